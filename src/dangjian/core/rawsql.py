"""Hand-written SQL for the few hot paths where building an ORM query costs more than
running it: the API's token look-up and the check-in (docs/performance.md, "Checking in").
On this project's 2-core machine the ORM spent about 6 ms of CPU composing the check-in's
activity query (four correlated subqueries) that PostgreSQL answers in 0.2 ms; with the
token look-up and the INSERTs, composing queries was most of a check-in's CPU time.

The statements are still built from the models' `_meta` (table and column names), once per
model and database, and the values still get the conversions the ORM would give them: when
writing, the one the backend's `get_db_prep_save` makes for a value of the field's type
(`_prep_save`; all of `get_db_prep_save` elsewhere than PostgreSQL), when reading, the
database's and the field's converters, so a renamed column or a SQLite text timestamp is
handled exactly as the ORM would. Rows are written from field values and instances made
without `Model.__init__` where that changes nothing (`_from_db`): for the check-in, model
instances had cost more CPU than its queries (tests/core/test_rawsql.py compares both
short cuts with the ORM). They
run through Django's cursor: transactions, query logging and `django_assert_num_queries`
see them like any other query.

On PostgreSQL these statements are sent with server-side parameter binding, so that they
can be prepared: PostgreSQL then plans each one once per connection instead of on every
request (planning the check-in's SELECT took longer than running it). Django itself binds
parameters on the client and never prepares (`prepare_threshold` is None by default, for
the sake of connection poolers); settings.DATABASES sets `prepare_threshold`, which only
these server-binding cursors use. With it None they still bind on the server, unprepared.
Where nothing would see the difference (no query logging, no transaction, statements
allowed to be prepared), they skip even psycopg's cursor: `_DirectCursor` sends them
through libpq's prepared-statement calls with psycopg's own dumpers and loaders
(tests/core/test_rawsql_direct.py).

Use it only where a profile shows the ORM's overhead matters; everything else stays ORM."""

import contextlib
import functools
import inspect
import itertools
from functools import cache

from django.db import connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init


def cursor(using: str = "default", *, binary: bool = False):
    """A cursor for the statements of this module: Django's own cursor wrapper (so the
    queries are logged, counted by tests and have their errors translated), over a
    server-binding psycopg cursor on PostgreSQL; or, where nothing would see the
    difference, a direct one (`_DirectCursor`).

    `binary`: PostgreSQL sends the results in its binary format, which psycopg loads in C;
    Django's loader of text timestamps is Python, and parsing two of them cost a check-in
    more than building its activity. Only for results whose columns are integers, text,
    booleans, numeric or timestamps with time zone (Django loads json and inet from text,
    its fields expect that). Ignored elsewhere than PostgreSQL."""
    connection = connections[using]
    server_binding = _server_binding_cursor_class(connection.vendor)
    if server_binding is None:
        return connection.cursor()
    # What BaseDatabaseWrapper.cursor() does, with the cursor class chosen here
    # (_prepare_cursor() is the backend's hook that wraps a cursor for logging).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if (
        not connection.queries_logged
        and not connection.execute_wrappers
        and connection.connection.prepare_threshold is not None
    ):
        return _DirectCursor(connection, server_binding, binary)
    return _wrapped_cursor(connection, server_binding, binary)


def _wrapped_cursor(connection, server_binding, binary: bool):
    with connection.wrap_database_errors:
        psycopg_cursor = server_binding(connection.connection)
        if binary:
            psycopg_cursor.format = _BINARY
        return connection._prepare_cursor(psycopg_cursor)


_BINARY = 1  # psycopg.pq.Format.BINARY (psycopg is imported only on PostgreSQL)


class _DirectCursor:
    """Runs this module's statements on PostgreSQL through libpq's prepared-statement calls
    (psycopg's `pq` layer), with psycopg's own C dumpers and loaders: what a psycopg
    cursor does for them, less its Python machinery (placeholder conversion, the prepared
    statement manager, the wait loop, result bookkeeping) and Django's wrapper around it.
    For the check-in's two statements that machinery was about 7 % of its CPU
    (callgrind: 1.568 million instructions per check-in before, 1.454 million after;
    docs/performance.md, "Checking in").

    Only where nothing would see the difference: no query logging (DEBUG, or a test that
    counts queries: they get Django's cursor), no execute wrappers, statements allowed to
    be prepared (not behind a pooler that forbids it: DB_PREPARE_THRESHOLD=none), and
    autocommit, checked on every statement: in a transaction psycopg would send BEGIN
    first, so there the statement goes to Django's cursor. Errors are psycopg's and
    translated by Django's wrapper as usual (a unique violation is an IntegrityError).
    Each statement is prepared once per connection, under a name of its own, and again if
    the server has dropped it since (psycopg's DEALLOCATE ALL after a rollback)."""

    def __init__(self, connection, server_binding, binary: bool):
        self.db = connection
        self._server_binding = server_binding
        self._binary = binary
        self._fallback = None
        self._rows = None
        self._next = 0

    def execute(self, sql: str, params) -> None:
        db = self.db
        conn = db.connection
        if not conn.autocommit or db.in_atomic_block:
            if self._fallback is None:
                self._fallback = _wrapped_cursor(db, self._server_binding, self._binary)
            self._rows = None
            self._fallback.execute(sql, params)
            return
        lib = _libpq()
        name, query = _direct_statement(sql)
        with db.wrap_database_errors, conn.lock:
            prepared = _prepared_on(conn)
            pgconn = conn.pgconn
            tx = lib.Transformer.from_context(conn)
            values = tx.dump_sequence(params, [lib.TEXT] * len(params))
            if name not in prepared:
                _prepare(conn, prepared, name, query, lib)
            result_format = _BINARY if self._binary else 0
            result = pgconn.exec_prepared(name, values, None, result_format)
            if _forgotten(result, lib):
                # The server dropped the session's prepared statements: psycopg sends
                # DEALLOCATE ALL after a rollback once it has prepared its own (Django's
                # cursor prepares this module's statements inside transactions), as does
                # DISCARD ALL. Nothing ran: prepare it again (each of the others likewise
                # when next used) and run it once more.
                prepared.discard(name)
                _prepare(conn, prepared, name, query, lib)
                result = pgconn.exec_prepared(name, values, None, result_format)
            if result.status not in lib.SUCCEEDED:
                raise lib.error_from_result(result, encoding=conn.info.encoding)
            tx.set_pgresult(result)
            self._rows = tx.load_rows(0, result.ntuples, tuple) if result.ntuples else []
            self._next = 0

    def fetchone(self):
        if self._rows is None:
            return self._fallback.fetchone()
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _prepare(conn, prepared: set, name: bytes, query: bytes, lib) -> None:
    result = conn.pgconn.prepare(name, query)
    if result.status != lib.COMMAND_OK:
        raise lib.error_from_result(result, encoding=conn.info.encoding)
    prepared.add(name)


def _forgotten(result, lib) -> bool:
    return (
        result.status == lib.FATAL_ERROR
        and result.error_field(lib.SQLSTATE) == lib.INVALID_STATEMENT_NAME
    )


@cache
def _libpq():
    # psycopg's pieces the direct cursor uses, imported once (and only on PostgreSQL).
    from types import SimpleNamespace

    from psycopg import errors, pq
    from psycopg.adapt import PyFormat, Transformer

    return SimpleNamespace(
        Transformer=Transformer,
        TEXT=PyFormat.TEXT,
        COMMAND_OK=pq.ExecStatus.COMMAND_OK,
        FATAL_ERROR=pq.ExecStatus.FATAL_ERROR,
        SQLSTATE=pq.DiagnosticField.SQLSTATE,
        INVALID_STATEMENT_NAME=errors.InvalidSqlStatementName.sqlstate.encode(),
        SUCCEEDED=(pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK),
        error_from_result=errors.error_from_result,
    )


@cache
def _direct_statement(sql: str) -> tuple[bytes, bytes]:
    """A name for the statement, and its text with `$1, $2, …` for the `%s` placeholders.
    This module's statements have no other `%` (no literal patterns)."""
    parts = sql.split("%s")
    if any("%" in part for part in parts):
        raise ValueError(f"only %s placeholders are supported here: {sql!r}")
    query = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
    return f"_dj_{next(_direct_ids)}".encode(), query.encode()


_direct_ids = itertools.count()


def _prepared_on(conn) -> set:
    # The names prepared on this psycopg connection (a new connection starts with none).
    prepared = getattr(conn, "_dj_prepared", None)
    if prepared is None:
        prepared = conn._dj_prepared = set()
    return prepared


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


@cache
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
    values = list(values)
    converters = _converters(model, attnames, using)
    # Looked up only when needed: on PostgreSQL these columns have no converters.
    connection = connections[using] if converters else None
    for i, funcs, col in converters:
        value = values[i]
        for func in funcs:
            value = func(value, col, connection)
        values[i] = value
    names, order = _model_order(model, attnames)
    return _from_db(model, using, names, [values[i] for i in order])


def _from_db(model: type[Model], using: str, names, values):
    """`model.from_db(using, names, values)`, without Model.__init__ where that is only
    setting attributes: no one listens to the init signals and every field is a plain
    (deferred-loading) attribute. Model.__init__ walks all the model's fields and sends two
    signals; for the three instances of a check-in that was a tenth of its CPU time."""
    if (
        not _plain_attributes(model)
        or (pre_init.receivers and pre_init.has_listeners(model))
        or (post_init.receivers and post_init.has_listeners(model))
    ):
        return model.from_db(using, names, values)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding = False
    state.db = using
    obj.__dict__.update(zip(names, values, strict=True))
    return obj


@cache
def _plain_attributes(model: type[Model]) -> bool:
    # What Model.__init__ would do through a descriptor's __set__ here is a plain setattr
    # (a fresh instance has no related object cached); a model of its own __init__, or a
    # field of another descriptor (files, say), takes the ORM's way.
    if model.__init__ is not Model.__init__:
        return False
    return all(
        type(inspect.getattr_static(model, f.attname))
        in (DeferredAttribute, ForeignKeyDeferredAttribute)
        for f in model._meta.concrete_fields
    )


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


# What get_db_prep_save() comes down to on PostgreSQL for a value of the field's own
# Python type: nothing for these (psycopg adapts str, bool, float, Decimal and inet text
# itself; the backend's adapt_*_value functions return them unchanged).
_AS_IS_ON_POSTGRESQL = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BooleanField",
        "CharField",
        "TextField",
        "FloatField",
        "DecimalField",
        "GenericIPAddressField",
    }
)


def _prep_save(field, connection):
    """A function for `field.get_db_prep_save(value, connection)`, or None where that is the
    value itself. Building a model instance and preparing its fields one by one cost a
    check-in more CPU than both its queries: `get_db_prep_save` is generic (to_python,
    lazy-string checks, expression checks) where a hot INSERT needs the one conversion the
    backend makes. On PostgreSQL that is a typed integer (psycopg.types.numeric.Int4, …:
    the prepared statement keeps one parameter type) or the JSON adapter, from the same
    backend functions Django calls; other fields and other databases get the full
    `get_db_prep_save`. tests/core/test_rawsql.py checks that both give the same values."""
    if connection.vendor != "postgresql":
        return functools.partial(_full_prep_save, field, connection)
    target = field.target_field if field.is_relation else field
    internal = target.get_internal_type()
    if internal in _AS_IS_ON_POSTGRESQL:
        return None
    if internal == "DateTimeField":
        return _aware
    if internal in connection.ops.integerfield_type_map:
        return connection.ops.integerfield_type_map[internal]
    if internal == "JSONField":
        return functools.partial(_json, connection.ops, field.encoder)
    return functools.partial(_full_prep_save, field, connection)


def _full_prep_save(field, connection, value):
    return field.get_db_prep_save(value, connection)


def _aware(value):
    # The one thing DateTimeField's preparation does with an aware datetime on PostgreSQL
    # is nothing; a naive one it would read in the current time zone, with a warning.
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the server clock is aware (core.clock)")
    return value


def _json(ops, encoder, value):
    return ops.adapt_json_value(value, encoder)


_REQUIRED = object()


@cache
def _row_writer(model: type[Model], using: str) -> tuple[tuple, ...]:
    """(attname, default, prep) for each column `_insert_statement` writes, in its order.
    `default` is the field's own default (a callable one, as `dict`, is called for each
    row), None for a nullable field, or _REQUIRED."""
    connection = connections[using]
    writer = []
    for f in _insert_statement(model, False, using)[1]:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            # pre_save() would set these from the clock whatever was given: not here.
            raise TypeError(f"{model.__name__}.{f.attname}: auto_now fields are not written here")
        if f.has_default():
            default = f.default if callable(f.default) else (lambda value=f.default: value)
        elif f.null:
            default = _none
        else:
            default = _REQUIRED
        writer.append((f.attname, default, _prep_save(f, connection)))
    return tuple(writer)


def _none():
    return None


def row_params(model: type[Model], values: dict, using: str = "default") -> list:
    """The parameters of `_insert_statement(model)` for a new row given as {attname: value}:
    each field's value or default, prepared for the database. A field without a default
    that is not nullable must be given (KeyError)."""
    params = []
    for attname, default, prep in _row_writer(model, using):
        if attname in values:
            value = values[attname]
        elif default is _REQUIRED:
            raise KeyError(f"{model.__name__}.{attname} has no default: give a value")
        else:
            value = default()
        if prep is not None and value is not None:
            value = prep(value)
        params.append(value)
    return params


def insert(
    model: type[Model],
    values: dict,
    *,
    returning: bool = True,
    using: str = "default",
    on=None,
):
    """INSERT one new row given as {attname: value} (fields left out take their defaults),
    with a statement built once per model: what `Model.objects.create()` does, less the
    query compilation and the instance (no signals: the project uses none). Returns the new
    primary key when `returning`. `on`: a cursor of this module's to run it on (one
    cursor for a request's statements saves making another)."""
    connection = connections[using]
    sql, _fields = _insert_statement(model, returning, using)
    with _on(on, using) as c:
        c.execute(sql, row_params(model, values, using))
        if not returning:
            return None
        if connection.features.can_return_columns_from_insert:
            return c.fetchone()[0]
        return connection.ops.last_insert_id(c, model._meta.db_table, model._meta.pk.column)


@cache
def _insert_pair_statement(first: type[Model], second: type[Model], using: str) -> str:
    first_sql, _fields = _insert_statement(first, True, using)
    second_sql, _fields = _insert_statement(second, False, using)
    pk, cte = quote(first._meta.pk.column, using), quote("first", using)
    return f"WITH {cte} AS ({first_sql}) {second_sql} RETURNING (SELECT {pk} FROM {cte})"  # noqa: S608


def pair_is_one_statement(using: str = "default") -> bool:
    """Whether `insert_pair` writes with a single (hence atomic) statement."""
    return _pair_in_one_statement(connections[using].vendor)


def _pair_in_one_statement(vendor: str) -> bool:
    return vendor == "postgresql"


def insert_pair(
    first: type[Model],
    first_values: dict,
    second: type[Model],
    second_values: dict,
    *,
    using: str = "default",
    on=None,
) -> int:
    """INSERT two new rows (as `insert`) and return the first one's primary key. On
    PostgreSQL in one statement (a data-modifying WITH): one round trip instead of two, and
    atomic by itself. Elsewhere one INSERT after the other."""
    if not _pair_in_one_statement(on.db.vendor if on is not None else connections[using].vendor):
        pk = insert(first, first_values, using=using, on=on)
        insert(second, second_values, returning=False, using=using, on=on)
        return pk
    sql = _insert_pair_statement(first, second, using)
    params = row_params(first, first_values, using) + row_params(second, second_values, using)
    with _on(on, using) as c:
        c.execute(sql, params)
        return c.fetchone()[0]


def _on(given, using: str):
    # The caller's cursor (left open for it), or a new one closed after the statement.
    return contextlib.nullcontext(given) if given is not None else cursor(using, binary=True)


def loaded(model: type[Model], values: dict, pk, using: str = "default"):
    """The instance of a row just written with `insert` (values as given, the same defaults
    for the rest), as if read back: what `create()` returns, made the cheap way."""
    row = {
        attname: values[attname] if attname in values else default()
        for attname, default, _prep in _row_writer(model, using)
    }
    row[model._meta.pk.attname] = pk
    names = concrete_attnames(model)
    return _from_db(model, using, names, [row[name] for name in names])
