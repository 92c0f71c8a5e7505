"""Point-in-time recovery as docs/operations.md gives it: scripts/pitr_drill.sh archives a
throwaway primary's WAL (port 5450), takes a base backup, commits a row before the target
time and one after, and recovers the base backup to that time on port 5451."""

import subprocess
import tempfile
from pathlib import Path

import pytest
from django.db import connection

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pitr_drill.sh"
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def test_a_base_backup_recovers_to_a_time_with_the_rows_committed_before_it_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "WAL archiving is PostgreSQL's: tested on PostgreSQL (DATABASE_URL=postgres://...)"
        )
    if PG_BIN is None or not (PG_BIN / "pg_basebackup").exists():
        pytest.skip("PostgreSQL's server binaries (initdb, pg_basebackup) are not installed")
    parent = Path(tempfile.mkdtemp(prefix="pitr_drill_"))
    # The clusters run as `postgres` when the suite runs as root: it must reach the folder.
    parent.chmod(0o755)
    folder = parent / "clusters"
    drill = subprocess.run(
        [SCRIPT, folder, "5450", "5451"], capture_output=True, text=True, timeout=180, check=False
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    # Row 1 came with the base backup, row 2 from the archived WAL; row 3 was after the time.
    assert drill.stdout.strip().splitlines()[-1] == "recovered ids: 1 2"
    assert "recovery stopping before commit" in drill.stderr
    assert not folder.exists()
    parent.rmdir()
