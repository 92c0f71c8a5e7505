"""Keeping the attempt log from growing for ever: with ATTEMPT_RETENTION_YEARS set, each
month's partition of the log older than that many years is copied into a gzip CSV file under
ATTEMPT_ARCHIVE_DIR, then detached and dropped, and the archive is audited (docs/operations.md,
"Partitions and retention"). Only on PostgreSQL, where the log is partitioned by month;
SQLite keeps every attempt."""

import logging

from django.conf import settings

from dangjian.attendance.models import CheckInAttempt
from dangjian.audit import services as audit
from dangjian.core import clock, partitions

logger = logging.getLogger(__name__)

TABLE = CheckInAttempt._meta.db_table


def archive_old_attempts() -> list[dict]:
    """Archive, then drop, every month's partition of attempts older than the retention
    (the months wholly before the same month that many years ago). What was archived:
    month, file and rows, one a partition."""
    years = settings.ATTEMPT_RETENTION_YEARS
    if years <= 0 or not partitions.is_partitioned(TABLE):
        return []
    # Rows of old months still in the default partition get a partition of their own first.
    partitions.ensure(TABLE, months_ahead=settings.PARTITION_MONTHS_AHEAD)
    this_month = partitions.month_of(clock.now())
    cutoff = partitions.add_months(this_month, -12 * years)
    done = []
    for month in partitions.months(TABLE):
        if month >= cutoff:
            break
        path, rows = partitions.archive(TABLE, month, settings.ATTEMPT_ARCHIVE_DIR)
        partitions.drop(TABLE, month)
        name = partitions.partition_name(TABLE, month)
        summary = {"month": f"{month:%Y-%m}", "file": str(path), "rows": rows}
        audit.record(
            actor=None,
            action="attempts.archive",
            obj=CheckInAttempt(),
            label=name,
            after=summary,
        )
        logger.info("attempts of %s archived to %s (%d rows) and dropped", name, path, rows)
        done.append(summary)
    return done
