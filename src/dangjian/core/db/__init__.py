"""The database connection for a hot path's statements (settings.HOT_DB_ALIAS)."""

from django.conf import settings
from django.db import connection, connections, transaction


def hot_connection():
    """The connection on which psycopg prepares the statements every check-in runs, when
    there is one (PostgreSQL) and the caller is not inside a transaction; otherwise the
    default connection, so that a service's or a test's transaction sees its own writes."""
    if settings.HOT_DB_ALIAS in settings.DATABASES and transaction.get_autocommit():
        return connections[settings.HOT_DB_ALIAS]
    return connection
