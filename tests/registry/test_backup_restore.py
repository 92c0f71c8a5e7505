"""A backup restores: scripts/backup.sh dumps the committed test database and its media,
scripts/restore.sh puts both into a new database and an empty directory and checks them
against the manifest (manage.py verify_backup), and the check fails when the keys are not the
kept ones or a row differs. pg_dump and pg_restore need PostgreSQL."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from dangjian.attendance import services as attendance
from dangjian.attendance.models import AttendanceRecord
from dangjian.interaction import services as interaction
from dangjian.registry import crypto
from dangjian.registry.models import Member
from tests.attendance.conftest import CHECKOUT_CLOSES, SECOND, at, check_in
from tests.attendance.conftest import DURING as CHECK_IN_TIME
from tests.conftest import COMMITTED
from tests.factories import make_member, next_id_number
from tests.interaction.conftest import DURING as PHOTO_TIME
from tests.interaction.conftest import approved_activity, image_bytes, upload

pytestmark = COMMITTED
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "backups are pg_dump and pg_restore: PostgreSQL only (DATABASE_URL=postgres://...)"
        )


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def _verify(backup: Path, database_url: str, **env: str) -> subprocess.CompletedProcess:
    manage = [settings.BASE_DIR / "manage.py", "verify_backup", backup / "manifest.json"]
    return _run([sys.executable, *map(str, manage)], DATABASE_URL=database_url, **env)


@pytest.fixture
def restored(world, tmp_path, settings):
    """The world with two members of known ID numbers, an activity held with a check-in and
    a photo, closed and scored; backed up and restored. Gives (backup dir, restored URL,
    restored media, {member id: ID number}, the photo)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    numbers = {}
    for name in ("备份甲", "备份乙"):
        number = next_id_number()
        numbers[make_member(world.city_admin, world.a.branch, name=name, id_number=number).pk] = (
            number
        )
    activity = approved_activity(world)
    with at(CHECK_IN_TIME):
        check_in(world.a.member.user, activity)
    with at(PHOTO_TIME):
        photo = interaction.upload_photo(
            actor=world.a.branch_admin, activity=activity, file=upload(image_bytes())
        )
    with at(CHECKOUT_CLOSES + SECOND):
        assert attendance.close_due_activities() == 1

    backup = _run(
        [str(SCRIPTS / "backup.sh"), str(tmp_path / "backups")],
        DATABASE_URL=_url(connection.settings_dict["NAME"]),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    assert backup.returncode == 0, backup.stderr
    assert "The keys are NOT in this backup" in backup.stderr
    backup_dir = Path(backup.stdout.strip().splitlines()[-1])

    name = f"{connection.settings_dict['NAME']}_restored"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    url, media = _url(name), tmp_path / "restored_media"
    restore = _run(
        [str(SCRIPTS / "restore.sh"), str(backup_dir)], DATABASE_URL=url, MEDIA_ROOT=str(media)
    )
    try:
        assert restore.returncode == 0, restore.stdout + restore.stderr
        assert "verified:" in restore.stdout
        yield backup_dir, url, media, numbers, photo
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_whole_and_its_check_fails_on_other_keys_or_a_changed_row(restored):
    # One test: a backup and a restore take most of its time.
    backup_dir, url, media, numbers, photo = restored
    kept_apart = [
        os.environ[k] for k in ("FIELD_ENCRYPTION_KEYS", "ID_NUMBER_HASH_KEY", "SECRET_KEY")
    ]
    for file in backup_dir.iterdir():
        content = file.read_bytes()
        assert not [key for key in kept_apart if key.encode() in content], file.name
    with psycopg.connect(url) as db:
        assert db.execute("SELECT count(*) FROM registry_member").fetchone()[0] == (
            Member.objects.count()
        )
        assert db.execute("SELECT count(*) FROM attendance_attendancerecord").fetchone()[0] == (
            AttendanceRecord.objects.count()
        )
        tokens = dict(
            db.execute(
                "SELECT id, id_number_encrypted FROM registry_member WHERE id = ANY(%s)",
                [list(numbers)],
            ).fetchall()
        )
    assert {pk: crypto.decrypt(token) for pk, token in tokens.items()} == numbers
    for field in (photo.image, photo.thumbnail):
        original = Path(settings.MEDIA_ROOT) / field.name
        assert (media / field.name).read_bytes() == original.read_bytes()

    other_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    wrong_keys = _verify(backup_dir, url, FIELD_ENCRYPTION_KEYS=other_key)
    assert wrong_keys.returncode != 0
    assert "do not decrypt with the configured FIELD_ENCRYPTION_KEYS" in wrong_keys.stderr

    with psycopg.connect(url) as db:
        db.execute("UPDATE registry_member SET name = '改过' WHERE id = %s", [min(numbers)])
        db.execute(
            "DELETE FROM attendance_attendancerecord"
            " WHERE id = (SELECT min(id) FROM attendance_attendancerecord)"
        )
    # The right encryption keys, the wrong hash key, a row changed and one gone: each named.
    changed = _verify(backup_dir, url, ID_NUMBER_HASH_KEY=secrets.token_urlsafe(50))
    assert changed.returncode != 0
    assert "wrong ID_NUMBER_HASH_KEY" in changed.stderr
    assert "registry_member: checksum" in changed.stderr
    records = AttendanceRecord.objects.count()
    assert f"attendance_attendancerecord: {records - 1} rows, backup had {records}" in (
        changed.stderr
    )
