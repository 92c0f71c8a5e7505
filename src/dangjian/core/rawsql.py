"""Hand-written SQL for the few hot paths where building an ORM query costs more than
running it: the API's token look-up and the check-in (docs/performance.md, "Checking in").
On this project's 2-core machine the ORM spent about 6 ms of CPU composing the check-in's
activity query (four correlated subqueries) that PostgreSQL answers in 0.2 ms; with the
token look-up and the INSERTs, composing queries was most of a check-in's CPU time.

The statements are still built from the models' `_meta` (table and column names), once per
model and database, and the values still go through the fields' own conversions both ways
(`get_db_prep_save` when writing, the database's and the field's converters when reading),
so a renamed column or a SQLite text timestamp is handled exactly as the ORM would. They
run through Django's cursor: transactions, query logging and `django_assert_num_queries`
see them like any other query.

On PostgreSQL these statements are sent with server-side parameter binding, so that they
can be prepared: PostgreSQL then plans each one once per connection instead of on every
request (planning the check-in's SELECT took longer than running it). Django itself binds
parameters on the client and never prepares (`prepare_threshold` is None by default, for
the sake of connection poolers); settings.DATABASES sets `prepare_threshold`, which only
these server-binding cursors use. With it None they still bind on the server, unprepared.

Use it only where a profile shows the ORM's overhead matters; everything else stays ORM."""

from functools import cache

from django.db import connections
from django.db.models import Model


def cursor(using: str = "default"):
    """A cursor for the statements of this module: Django's own cursor wrapper (so the
    queries are logged, counted by tests and have their errors translated), over a
    server-binding psycopg cursor on PostgreSQL."""
    connection = connections[using]
    server_binding = _server_binding_cursor_class(connection.vendor)
    if server_binding is None:
        return connection.cursor()
    # What BaseDatabaseWrapper.cursor() does, with the cursor class chosen here
    # (_prepare_cursor() is the backend's hook that wraps a cursor for logging).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(server_binding(connection.connection))


@cache
def _server_binding_cursor_class(vendor: str):
    if vendor != "postgresql":
        return None
    from django.db.backends.postgresql import base

    return base.ServerBindingCursor if base.is_psycopg3 else None


def quote(name: str, using: str = "default") -> str:
    return connections[using].ops.quote_name(name)


def table(model: type[Model], using: str = "default") -> str:
    return quote(model._meta.db_table, using)


def column(model: type[Model], attname: str, using: str = "default") -> str:
    """The database column of a field given by name or attname (`branch` or `branch_id`)."""
    return quote(_field(model, attname).column, using)


def _field(model: type[Model], name: str):
    for f in model._meta.concrete_fields:
        if name in (f.name, f.attname):
            return f
    raise LookupError(f"{model.__name__} has no concrete field {name!r}")


def concrete_attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def select_list(
    model: type[Model], alias: str, attnames: tuple[str, ...], using: str = "default"
) -> str:
    """`alias."col", alias."col2", …` for `attnames`, in that order."""
    a = quote(alias, using)
    return ", ".join(f"{a}.{column(model, n, using)}" for n in attnames)


@cache
def _converters(model: type[Model], attnames: tuple[str, ...], using: str) -> tuple:
    # What the ORM's compiler applies to each column it reads (SQLite returns timestamps as
    # text and booleans as integers; PostgreSQL needs none for these types).
    connection = connections[using]
    found = []
    for i, name in enumerate(attnames):
        f = _field(model, name)
        col = f.get_col(model._meta.db_table)
        funcs = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if funcs:
            found.append((i, tuple(funcs), col))
    return tuple(found)


@cache
def _model_order(model: type[Model], attnames: tuple[str, ...]) -> tuple[tuple, tuple]:
    # Model.from_db() takes the values in the model's field order.
    position = {name: i for i, name in enumerate(attnames)}
    names = tuple(f.attname for f in model._meta.concrete_fields if f.attname in position)
    if len(names) != len(attnames):
        raise LookupError(f"{model.__name__}: not all concrete attnames: {attnames}")
    return names, tuple(position[name] for name in names)


def instance(model: type[Model], attnames: tuple[str, ...], values, using: str = "default"):
    """A model instance from a row read by hand (`values` in the order of `attnames`), as
    the ORM would make it: fields not in `attnames` are deferred and load on access, as
    after `.only()`."""
    connection = connections[using]
    values = list(values)
    for i, funcs, col in _converters(model, attnames, using):
        value = values[i]
        for func in funcs:
            value = func(value, col, connection)
        values[i] = value
    names, order = _model_order(model, attnames)
    return model.from_db(using, names, [values[i] for i in order])


@cache
def _insert_statement(model: type[Model], returning: bool, using: str) -> tuple[str, tuple]:
    connection = connections[using]
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        table(model, using),
        ", ".join(quote(f.column, using) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    if returning and connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(meta.pk.column, using)}"
    return sql, fields


def insert(obj: Model, *, returning: bool = True, using: str = "default") -> None:
    """INSERT one new instance with a statement built once per model (what `save()` does for
    a new row, less the query compilation; no signals: the project uses none). Sets the
    primary key when `returning`."""
    model = type(obj)
    connection = connections[using]
    sql, fields = _insert_statement(model, returning, using)
    params = _params(obj, fields, connection)
    with cursor(using) as c:
        c.execute(sql, params)
        if returning:
            if connection.features.can_return_columns_from_insert:
                pk = c.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(c, model._meta.db_table, model._meta.pk.column)
            obj.pk = pk
    obj._state.adding = False
    obj._state.db = using


def _params(obj: Model, fields, connection) -> list:
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


@cache
def _insert_pair_statement(first: type[Model], second: type[Model], using: str) -> str:
    first_sql, _fields = _insert_statement(first, True, using)
    second_sql, _fields = _insert_statement(second, False, using)
    pk, cte = quote(first._meta.pk.column, using), quote("first", using)
    return f"WITH {cte} AS ({first_sql}) {second_sql} RETURNING (SELECT {pk} FROM {cte})"  # noqa: S608


def pair_is_one_statement(using: str = "default") -> bool:
    """Whether `insert_pair` writes with a single (hence atomic) statement."""
    return connections[using].vendor == "postgresql"


def insert_pair(first: Model, second: Model, *, using: str = "default") -> None:
    """INSERT two new rows, `first` getting its primary key. On PostgreSQL in one statement
    (a data-modifying WITH): one round trip instead of two, and atomic by itself. Elsewhere
    one INSERT after the other."""
    connection = connections[using]
    if not pair_is_one_statement(using):
        insert(first, using=using)
        insert(second, returning=False, using=using)
        return
    sql = _insert_pair_statement(type(first), type(second), using)
    _sql, first_fields = _insert_statement(type(first), True, using)
    _sql, second_fields = _insert_statement(type(second), False, using)
    params = _params(first, first_fields, connection) + _params(second, second_fields, connection)
    with cursor(using) as c:
        c.execute(sql, params)
        first.pk = c.fetchone()[0]
    for obj in (first, second):
        obj._state.adding = False
        obj._state.db = using
