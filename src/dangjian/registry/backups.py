"""What a backup must give back, taken when it is made and checked after a restore
(scripts/backup.sh, scripts/restore.sh, docs/operations.md "Backup and restore").

The fingerprint of a database is the applied migrations, every model's row count and a
checksum of the key tables. The checksum of a table is the sum, as an exact number, of the
first 64 bits of the md5 of each row's text form (`t::text`), read with the session's
time zone, date style and float digits fixed, so that the same rows give the same figure on
any server of the same major version. A sum needs no sort and no string of the whole table
(`string_agg` of a province's attendance would pass PostgreSQL's 1 GB limit), and any changed,
missing or added row changes it.

The ID-card numbers are checked by decrypting a sample with the configured
FIELD_ENCRYPTION_KEYS and hashing it again with ID_NUMBER_HASH_KEY: the stored keyed hash
must come back, which proves both keys without any number in the manifest."""

from django.apps import apps
from django.db import connection, transaction

from dangjian.registry import crypto, idcard
from dangjian.registry.models import Member

FORMAT = 1
KEY_TABLES = (
    "registry.Organization",
    "registry.User",
    "registry.Member",
    "themedays.Activity",
    "attendance.AttendanceRecord",
    "scoring.ActivityScore",
    "scoring.BranchPeriodScore",
)
CHECKSUM_METHOD = (
    "sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric) over the table's rows, "
    "TimeZone UTC, DateStyle ISO, extra_float_digits 1"
)
KEYS_NOTE = (
    "NOT in this backup: FIELD_ENCRYPTION_KEYS, ID_NUMBER_HASH_KEY and SECRET_KEY. Without "
    "the first two the ID-card numbers cannot be read or found. Keep them apart from the "
    "backups (docs/operations.md, Backup and restore)."
)


class NotPostgreSQL(Exception):
    pass


def _tables() -> list[str]:
    """Every table the code's models own, once (multi-table children have their own)."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables | {"django_migrations"})


def _key_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in KEY_TABLES]


def _read(cursor) -> dict:
    quote = connection.ops.quote_name
    cursor.execute("SELECT app || '.' || name FROM django_migrations ORDER BY app, name")
    migrations = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT to_regclass(t) IS NOT NULL, t FROM unnest(%s::text[]) AS t", [_tables()])
    present = [table for exists, table in cursor.fetchall() if exists]
    counts = {}
    for table in present:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - our own tables
        counts[table] = cursor.fetchone()[0]
    checksums = {}
    for table in _key_tables():
        checksum = "coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)"
        cursor.execute(f"SELECT {checksum} FROM {quote(table)} t")  # noqa: S608 - our tables
        checksums[table] = str(cursor.fetchone()[0])
    return {"migrations": migrations, "row_counts": counts, "checksums": checksums}


def _fixed_text_forms(cursor) -> None:
    # The row's text form depends on these session settings; fixed, it depends on the rows.
    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    cursor.execute("SET LOCAL DateStyle = 'ISO, MDY'")
    cursor.execute("SET LOCAL IntervalStyle = 'postgres'")
    cursor.execute("SET LOCAL extra_float_digits = 1")
    cursor.execute("SET LOCAL bytea_output = 'hex'")


def fingerprint(*, snapshot: str = "") -> dict:
    """The database's fingerprint, read in one repeatable-read transaction; with `snapshot`
    (pg_export_snapshot() of the session pg_dump also imports) it describes exactly the rows
    the dump holds."""
    if connection.vendor != "postgresql":
        raise NotPostgreSQL("backups are taken and checked on PostgreSQL (pg_dump)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot:
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        _fixed_text_forms(cursor)
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        read = _read(cursor)
    return {
        "format": FORMAT,
        "server_version": server_version,
        "checksum_method": CHECKSUM_METHOD,
        "keys": KEYS_NOTE,
        **read,
    }


def _id_number_problems(sample: int) -> list[str]:
    rows = list(
        Member.objects.order_by("?").values_list("pk", "id_number_encrypted", "id_number_hash")[
            :sample
        ]
    )
    undecryptable, unhashed = [], []
    for pk, token, stored_hash in rows:
        try:
            plain = crypto.decrypt(token)
        except ValueError:
            undecryptable.append(pk)
            continue
        if crypto.keyed_hash(idcard.normalize(plain)) != stored_hash:
            unhashed.append(pk)
    problems = []
    if undecryptable:
        problems.append(
            f"{len(undecryptable)} of {len(rows)} sampled ID numbers do not decrypt with the "
            f"configured FIELD_ENCRYPTION_KEYS (members {undecryptable[:5]}…): "
            "wrong or missing keys"
        )
    if unhashed:
        problems.append(
            f"{len(unhashed)} of {len(rows)} sampled ID numbers decrypt but do not match their "
            f"stored hash (members {unhashed[:5]}…): wrong ID_NUMBER_HASH_KEY"
        )
    return problems


def check_keys(*, sample: int = 200) -> tuple[list[str], int]:
    """Whether the configured keys read this database's ID numbers (after a point-in-time
    recovery, which has no manifest), and how many were tried."""
    if connection.vendor != "postgresql":
        raise NotPostgreSQL("backups are taken and checked on PostgreSQL (pg_dump)")
    return _id_number_problems(sample), min(sample, Member.objects.count())


def verify(manifest: dict, *, sample: int = 200) -> tuple[list[str], dict]:
    """What differs between this database and the manifest of its backup (empty: none),
    and what was checked."""
    if manifest.get("format") != FORMAT:
        return [f"unknown manifest format {manifest.get('format')!r}, expected {FORMAT}"], {}
    now = fingerprint()
    problems = []
    if now["migrations"] != manifest["migrations"]:
        missing = sorted(set(manifest["migrations"]) - set(now["migrations"]))
        extra = sorted(set(now["migrations"]) - set(manifest["migrations"]))
        problems.append(f"migrations differ: missing {missing[:5]}, extra {extra[:5]}")
    for table, count in manifest["row_counts"].items():
        if now["row_counts"].get(table) != count:
            problems.append(
                f"{table}: {now['row_counts'].get(table, 'no table')} rows, backup had {count}"
            )
    for table, checksum in manifest["checksums"].items():
        if now["checksums"].get(table) != checksum:
            problems.append(
                f"{table}: checksum {now['checksums'].get(table)}, backup had {checksum}"
            )
    problems += _id_number_problems(sample)
    checked = {
        "tables": len(manifest["row_counts"]),
        "rows": sum(manifest["row_counts"].values()),
        "checksummed": len(manifest["checksums"]),
        "id_numbers": min(sample, now["row_counts"].get(Member._meta.db_table, 0)),
    }
    return problems, checked
