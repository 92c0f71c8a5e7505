"""An account read by literal SQL, for the look-ups every request of a kind runs: an API
key's holder (`services.holder_of`, every API request) and the account bound to a WeChat
openid (`wechat.account_for_openid`, every sign-in inside WeChat). Composing these joins
with the ORM cost more CPU than the statements (docs/performance.md, "Checking in");
tests/registry/test_api_tokens.py and test_wechat_binding.py check each against the ORM's
answer."""

from django.db import connection, models

from dangjian.registry.models import User

# The account's timestamps stay deferred (they load if ever touched; a sign-in without a
# password touches neither): read by hand, SQLite gives them back without their time
# zone, which only the ORM's own read adds.
_USER_FIELDS = [
    f for f in User._meta.get_fields() if f.concrete and not isinstance(f, models.DateTimeField)
]
_USER_ATTNAMES = [f.attname for f in _USER_FIELDS]


def select_account(rest: str) -> str:
    """A statement that selects the account's columns from `u`, `rest` its FROM and WHERE."""
    return f"SELECT {', '.join(f'u.{f.column}' for f in _USER_FIELDS)} {rest}"


def read_account(db, sql: str, params: list) -> User | None:
    """The account `sql` (made by `select_account`) finds on the connection `db`, if any."""
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    # The account belongs to the default connection, as if the ORM had read it.
    return None if row is None else User.from_db(connection.alias, _USER_ATTNAMES, row)
