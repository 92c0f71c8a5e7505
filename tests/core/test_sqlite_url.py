"""A SQLite database named by DATABASE_URL (sqlite:///…) is set up like the embedded
default: WAL, a busy timeout and IMMEDIATE transactions. Without them, members checking in
at the same instant were answered "database is locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code_or_script: list[str], **env) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(env, PYTHONPATH=f"{ROOT / 'src'}:{ROOT}")
    done = subprocess.run(
        [sys.executable, *code_or_script],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def options(**env) -> dict:
    code = "import json; from dangjian import settings as s; print(json.dumps(s.DATABASES))"
    return json.loads(run(["-c", code], **env))["default"]


def test_a_sqlite_url_gets_the_options_of_the_embedded_default(tmp_path):
    embedded = options(SQLITE_PATH=str(tmp_path / "embedded.sqlite3"))
    named = options(DATABASE_URL=f"sqlite:///{tmp_path / 'named.sqlite3'}")
    assert named["ENGINE"] == embedded["ENGINE"] == "django.db.backends.sqlite3"
    assert named["OPTIONS"] == embedded["OPTIONS"]
    assert "busy_timeout" in named["OPTIONS"]["init_command"]
    assert named["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_members_checking_in_at_the_same_instant_on_a_sqlite_url_are_all_recorded(tmp_path):
    result = json.loads(
        run(
            [str(ROOT / "tests" / "core" / "sqlite_race.py"), "8"],
            DATABASE_URL=f"sqlite:///{tmp_path / 'race.sqlite3'}",
        )
    )
    assert result["errors"] == []
    assert result["records"] == 8
