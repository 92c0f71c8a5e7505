"""Monthly partitions of the history tables on PostgreSQL (docs/decisions.md, "Partitioned
history"): declarative RANGE partitioning by a month, one partition a month named
`<table>_pYYYYMM`, and a DEFAULT partition `<table>_default` that catches a row of a month
not made yet, so that an insert never fails for want of a partition.

`ensure()` makes the partitions of the coming months ahead (the `ensure-partitions` job,
`manage.py ensure_partitions`) and gives any month that rows in the default partition
belong to a partition of its own, moving those rows in the same transaction. `convert()`
turns an existing plain table into a partitioned one (the migrations). `archive()` copies a
partition into a gzip CSV file and `drop()` detaches and drops it (attendance.retention).
Months are UTC months: a partition key, never shown to anyone. SQLite keeps plain tables and
every function here does nothing there.

Table and column names come from `MONTHLY` only, never from input; bounds are dates this
module computes, written as literals because DDL takes no bound parameters."""

import gzip
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from dangjian.core import clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Monthly:
    table: str
    column: str
    # A timestamp with time zone (bounds are UTC instants) or a date (the month's first day).
    is_timestamp: bool


# The partitioned tables, by the column they are partitioned on. The migrations that convert
# them (attendance 0003, notifications 0007) name the same tables.
MONTHLY = {
    "attendance_checkinattempt": Monthly("attendance_checkinattempt", "at", True),
    "attendance_attendancerecord": Monthly("attendance_attendancerecord", "month", False),
    "notifications_notification": Monthly("notifications_notification", "month", False),
}

# How long a partition's DDL may wait for a lock before it gives up until the next run, so
# that a long report holding the table never queues every check-in behind the DDL.
LOCK_TIMEOUT = "5s"

NAME_RE = re.compile(r"_p(\d{4})(\d{2})$")


def month_of(value: date | datetime) -> date:
    """The UTC month (its first day) a moment or a day falls in."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partitioned(table: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    conn = connections[using]
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [table],
        )
        return cursor.fetchone() is not None


def months(table: str, *, using: str = DEFAULT_DB_ALIAS) -> list[date]:
    """The months that have a partition of their own, oldest first."""
    conn = connections[using]
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = [NAME_RE.search(name) for name in names]
    return sorted(date(int(m[1]), int(m[2]), 1) for m in found if m)


def _bound(spec: Monthly, month: date) -> str:
    if spec.is_timestamp:
        return f"'{month.isoformat()} 00:00:00+00'"
    return f"'{month.isoformat()}'"


def _range(spec: Monthly, month: date) -> str:
    return f"FROM ({_bound(spec, month)}) TO ({_bound(spec, add_months(month, 1))})"


def _month_sql(spec: Monthly) -> str:
    # The month a row falls in, as 'YYYY-MM', the same on both kinds of column.
    if spec.is_timestamp:
        return f"to_char({spec.column} AT TIME ZONE 'UTC', 'YYYY-MM')"
    return f"to_char({spec.column}, 'YYYY-MM')"


def _months_in(cursor, spec: Monthly, table: str) -> set[date]:
    cursor.execute(f"SELECT DISTINCT {_month_sql(spec)} FROM {table}")  # noqa: S608
    return {date(int(text[:4]), int(text[5:7]), 1) for (text,) in cursor.fetchall()}


def ensure(
    table: str, *, months_ahead: int = 3, today: date | None = None, using=DEFAULT_DB_ALIAS
) -> list[str]:
    """Make the partitions of this month and the `months_ahead` next ones, and of every month
    that rows in the default partition belong to; idempotent. Returns the partitions made."""
    conn = connections[using]
    if conn.vendor != "postgresql" or not is_partitioned(table, using=using):
        return []
    spec = MONTHLY[table]
    first = month_of(today or clock.today())
    wanted = {add_months(first, n) for n in range(months_ahead + 1)}
    with conn.cursor() as cursor:
        stray = _months_in(cursor, spec, f"{table}_default")
    made = []
    have = set(months(table, using=using))
    for month in sorted((wanted | stray) - have):
        with transaction.atomic(using=using), conn.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            _make(cursor, spec, month, move=month in stray)
        made.append(partition_name(table, month))
        logger.info("partition %s made", made[-1])
    return made


def _make(cursor, spec: Monthly, month: date, *, move: bool) -> None:
    """One month's partition, made as a table of its own and then attached: attaching takes a
    lock that lets reads and writes of the parent go on (creating a partition in place would
    take one that stops them). Rows of the month caught by the default partition are moved
    into it first, in the caller's transaction, so that attaching finds none left there."""
    table, name = spec.table, partition_name(spec.table, month)
    cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    # The bound as a constraint, so that attaching need not scan the rows to prove it.
    low, high = _bound(spec, month), _bound(spec, add_months(month, 1))
    check = f"{spec.column} IS NOT NULL AND {spec.column} >= {low} AND {spec.column} < {high}"
    cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound CHECK ({check})")
    if move:
        where = f"{_month_sql(spec)} = '{month:%Y-%m}'"
        cursor.execute(f"INSERT INTO {name} SELECT * FROM {table}_default WHERE {where}")  # noqa: S608
        cursor.execute(f"DELETE FROM {table}_default WHERE {where}")  # noqa: S608
    cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES {_range(spec, month)}")
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound")


def convert(schema_editor, table: str, *, months_ahead: int = 3) -> None:
    """Turn the plain table `table` into one partitioned by month, with the same columns,
    defaults, checks, indexes, unique constraints and foreign keys, its rows moved into the
    months' partitions (a partition for each month they fall in, this month's and the next
    `months_ahead`), and its id sequence going on from the old one. Unique constraints and
    the primary key must include the partition column (PostgreSQL's rule): the primary key
    becomes (id, column); a unique constraint without it is refused. In the migration's
    transaction, so that a failure leaves the old table as it was."""
    spec = MONTHLY[table]
    old = f"{table}_unpartitioned"
    cursor = schema_editor.connection.cursor()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass AND NOT indisprimary "
        "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
        [table],
    )
    constraints = cursor.fetchall()
    for name, kind, definition in constraints:
        if kind == "u" and spec.column not in definition:
            raise ValueError(f"{name} on {table} does not include {spec.column}")
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING IDENTITY) PARTITION BY RANGE ({spec.column})"
    )
    cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    first = month_of(clock.today())
    wanted = _months_in(cursor, spec, old) | {add_months(first, n) for n in range(months_ahead + 1)}
    for month in sorted(wanted):
        cursor.execute(
            f"CREATE TABLE {partition_name(table, month)} PARTITION OF {table} "
            f"FOR VALUES {_range(spec, month)}"
        )
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # noqa: S608
    next_id = f"(SELECT COALESCE(max(id), 0) + 1 FROM {old})"  # noqa: S608
    cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {next_id}, false)", [table])
    cursor.execute(
        "SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')", [table, old]
    )
    new_sequence, old_sequence = cursor.fetchone()
    cursor.execute(f"DROP TABLE {old}")
    # After the old table (its key's name is free again) and the rows (built once, not grown).
    cursor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {spec.column})"
    )
    # The old sequence went with its table: the new one takes its name.
    cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {old_sequence.split('.')[-1]}")
    # Read before the rename, the definitions name the table's own name, now the new one's.
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, _kind, definition in constraints:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def archive(
    table: str, month: date, directory: Path, *, using=DEFAULT_DB_ALIAS
) -> tuple[Path, int]:
    """Copy a month's partition into `directory/<partition>.csv.gz` (CSV with a header, as
    PostgreSQL's COPY writes it). Returns the file and the number of rows written."""
    conn = connections[using]
    name = partition_name(table, month)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.csv.gz"
    partial = path.with_suffix(".gz.partial")
    conn.ensure_connection()
    with gzip.open(partial, "wb") as out, conn.connection.cursor() as cursor:
        with cursor.copy(f"COPY {name} TO STDOUT (FORMAT csv, HEADER)") as copy:
            for data in copy:
                out.write(data)
        rows = cursor.rowcount
    # Renamed once whole, so that a file of that name is always a complete archive.
    partial.replace(path)
    return path, rows


def drop(table: str, month: date, *, using=DEFAULT_DB_ALIAS) -> None:
    """Detach a month's partition from its table and drop it."""
    conn = connections[using]
    name = partition_name(table, month)
    with transaction.atomic(using=using), conn.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")


def ensure_all(*, months_ahead: int | None = None, today: date | None = None) -> dict:
    """`ensure()` on every partitioned table (the `ensure-partitions` job): the partitions
    made, by table."""
    if months_ahead is None:
        months_ahead = settings.PARTITION_MONTHS_AHEAD
    return {table: ensure(table, months_ahead=months_ahead, today=today) for table in MONTHLY}
