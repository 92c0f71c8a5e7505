"""Writing many rows at once: reserve primary keys, insert rows, update columns by key.

For the city-sized writes (the member import, the seeder's simulated months) where
`bulk_create`'s multi-row INSERTs and `bulk_update`'s CASE WHEN per row and column cost
minutes. On PostgreSQL rows go in with COPY (psycopg's `Cursor.copy()`) and updates are
one `UPDATE … FROM unnest(arrays)` a batch; elsewhere the ORM's `bulk_create` inserts and
one prepared UPDATE a row updates. Values are prepared by each field's `get_db_prep_save`,
as the ORM would, except where that returns the value unchanged (`PLAIN_TYPES`).
docs/performance.md has the figures.
"""

from collections.abc import Callable, Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, models, transaction
from psycopg.copy import QueuedLibpqWriter

from dangjian.core import clock

BATCH = 2000

# Field types whose `get_db_prep_save` gives a value of the field's own Python type (or
# None) to the driver as it is on PostgreSQL (integers wrapped in psycopg's Int4 and the
# like, which COPY writes alike); anything else goes through it (tests/core/test_bulk.py
# checks the claim).
PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def reserve_ids(model: type[models.Model], count: int, *, using: str = DEFAULT_DB_ALIAS):
    """`count` primary keys that no other row will take, for rows written later (so that
    other rows can point at them first)."""
    if count <= 0:
        return []
    conn = connections[using]
    meta = model._meta
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
    if conn.vendor == "sqlite":
        return _reserve_sqlite(conn, meta, count)
    raise NotSupportedError(f"bulk.reserve_ids does not know {conn.vendor}")


def _reserve_sqlite(conn, meta, count: int) -> list[int]:
    # Django declares SQLite's auto fields AUTOINCREMENT: rowids are then never taken
    # below the table's entry in sqlite_sequence, which we move past the reserved ones.
    qn = conn.ops.quote_name
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute(f"SELECT MAX({qn(meta.pk.column)}) FROM {qn(meta.db_table)}")  # noqa: S608
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        row = cursor.fetchone()
        first = max(top, row[0] if row else 0) + 1
        last = first + count - 1
        if row:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, meta.db_table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [meta.db_table, last]
            )
    return list(range(first, last + 1))


def insert(model: type[models.Model], objs: Sequence[models.Model], *, using=DEFAULT_DB_ALIAS):
    """`bulk_create(objs)`: the objects come back with their primary keys set (drawn
    from the sequence first on PostgreSQL)."""
    if not objs:
        return
    conn = connections[using]
    if conn.vendor != "postgresql":
        model.objects.using(using).bulk_create(objs, batch_size=BATCH)
        return
    meta = model._meta
    new = [obj for obj in objs if obj.pk is None]
    for obj, pk in zip(new, reserve_ids(model, len(new), using=using), strict=True):
        obj.pk = pk
    fields = meta.concrete_fields
    auto = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    attnames = [f.attname for f in fields]
    rows = []
    for obj in objs:
        for f in auto:
            f.pre_save(obj, add=True)
        values = obj.__dict__
        rows.append([values[name] for name in attnames])
    insert_rows(model, attnames, rows, using=using)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """Insert rows given as sequences of attribute values (`branch_id`, not `branch`) in
    the order of `names`; fields not named take their default, the primary key from the
    table when not named. Returns the number of rows."""
    conn = connections[using]
    meta = model._meta
    fields = [
        meta.pk if name in ("pk", meta.pk.attname) else meta.get_field(name) for name in names
    ]
    missing = [f for f in meta.concrete_fields if not f.primary_key and f not in fields]
    if conn.vendor != "postgresql":
        attnames = [f.attname for f in fields]
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.using(using).bulk_create(objs, batch_size=BATCH)
        return len(objs)
    fill = _defaults(missing)
    converters = [_converter(f, conn) for f in fields + missing]
    qn = conn.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields + missing)
    sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
    count = 0
    conn.ensure_connection()
    with (
        conn.wrap_database_errors,
        conn.connection.cursor() as cursor,
        cursor.copy(sql, writer=_writer(cursor, rows)) as copy,
    ):
        write = copy.write_row
        if fill is None and not any(converters):
            for row in rows:
                write(row)
                count += 1
        else:
            plan = [(i, c) for i, c in enumerate(converters) if c is not None]
            for row in rows:
                row = list(row)
                if fill is not None:
                    row += fill()
                for i, convert in plan:
                    row[i] = convert(row[i])
                write(row)
                count += 1
    return count


def update(
    model: type[models.Model],
    objs: Sequence[models.Model],
    field_names: Sequence[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """What `bulk_update(objs, field_names)` does: write those fields of each object to
    its row."""
    if not objs:
        return
    conn = connections[using]
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    qn = conn.ops.quote_name
    if conn.vendor != "postgresql":
        # bulk_update builds a CASE WHEN per row and field, which costs far more here than
        # one prepared UPDATE a row: an in-process database runs those as fast as anything.
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
        with conn.cursor() as cursor:
            cursor.executemany(
                sql,
                [
                    [f.get_db_prep_save(getattr(obj, f.attname), conn) for f in fields] + [obj.pk]
                    for obj in objs
                ],
            )
        return
    columns = [meta.pk, *fields]
    sets = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(conn)}[]" for f in columns)
    names = ", ".join(qn(f.column) for f in columns)
    pk = qn(meta.pk.column)
    # Only quoted identifiers from the model's metadata are formatted in; values are bound.
    sql = (
        f"UPDATE {qn(meta.db_table)} AS t SET {sets} "  # noqa: S608
        f"FROM unnest({arrays}) AS s({names}) WHERE t.{pk} = s.{pk}"
    )
    plan = [(f.attname, _converter(f, conn)) for f in fields]
    with conn.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            chunk = objs[start : start + BATCH]
            params = [[obj.pk for obj in chunk]]
            for attname, convert in plan:
                values = [obj.__dict__[attname] for obj in chunk]
                params.append(values if convert is None else [convert(v) for v in values])
            cursor.execute(sql, params)


def _writer(cursor, rows: Iterable[Sequence]):
    """For many rows, psycopg's queued writer: rows are formatted in this thread while its
    thread sends the previous ones and PostgreSQL stores them, so both cores work at once.
    For a batch or less, starting that thread costs more than it saves."""
    if isinstance(rows, Sequence) and len(rows) <= BATCH:
        return None
    return QueuedLibpqWriter(cursor)


def _converter(field: models.Field, conn) -> Callable | None:
    """None for a field whose values go to the driver as they are, else a function giving
    each value the field's `get_db_prep_save`, once for each distinct object: a batch
    often repeats one (the same position, the same empty dict)."""
    if field.get_internal_type() in PLAIN_TYPES:
        return None
    prepare = field.get_db_prep_save
    done: dict[int, tuple] = {}

    def convert(value):
        # Keyed by id() with the object kept alongside, so that an id is never reused
        # for another object while the converter lives.
        seen = done.get(id(value))
        if seen is None:
            seen = done[id(value)] = (value, prepare(value, conn))
        return seen[1]

    return convert


def _defaults(missing: list[models.Field]) -> Callable[[], list] | None:
    """What the columns not given hold for each new row, as the model would set them:
    its default (called for each row when callable), or the time for auto_now fields."""
    if not missing:
        return None
    now = clock.now()
    makers = []
    for f in missing:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            makers.append((False, now))
        elif f.has_default() and callable(f.default):
            makers.append((True, f.default))
        else:
            makers.append((False, f.get_default()))
    if not any(per_row for per_row, _ in makers):
        constant = [value for _, value in makers]
        return lambda: constant
    return lambda: [make() if per_row else make for per_row, make in makers]
