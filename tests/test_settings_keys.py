"""settings.py refuses to start in production (DEBUG off) without its keys: SECRET_KEY,
FIELD_ENCRYPTION_KEYS, ID_NUMBER_HASH_KEY. It started before and derived the key that
encrypts ID numbers from a string in the source, so anybody who read the code could decrypt
them. The keys come from the environment, else from var/secrets.env, which `make demo`
(scripts/generate_keys.py) writes once with random keys.

Each case runs a copy of settings.py in a checkout of its own (tmp_path), so that the
var/secrets.env of this checkout, if any, plays no part."""

import base64
import os
import runpy
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "src" / "dangjian" / "settings.py"
GENERATE_KEYS = ROOT / "scripts" / "generate_keys.py"
KEYS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ID_NUMBER_HASH_KEY")
FERNET_KEY = Fernet.generate_key().decode()
GOOD = {"SECRET_KEY": "s" * 50, "FIELD_ENCRYPTION_KEYS": FERNET_KEY, "ID_NUMBER_HASH_KEY": "h" * 40}
# What the insecure default derived the ID numbers' key from.
PUBLIC_DEFAULT = "django-insecure-embedded-default-do-not-deploy"


@pytest.fixture
def checkout(tmp_path, monkeypatch) -> Path:
    """A checkout with a copy of settings.py and no keys in the environment, DEBUG unset."""
    target = tmp_path / "src" / "dangjian" / "settings.py"
    target.parent.mkdir(parents=True)
    shutil.copy(SETTINGS, target)
    for name in (*KEYS, "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def load(checkout: Path, monkeypatch, **env) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(checkout / "src" / "dangjian" / "settings.py"))


def test_a_production_start_without_keys_is_refused(checkout, monkeypatch):
    with pytest.raises(ImproperlyConfigured) as refused:
        load(checkout, monkeypatch)

    message = str(refused.value)
    assert all(name in message for name in KEYS)
    assert "make keys" in message and "docs/operations.md" in message


@pytest.mark.parametrize("missing", KEYS)
def test_a_production_start_without_any_one_key_is_refused(checkout, monkeypatch, missing):
    given = {name: value for name, value in GOOD.items() if name != missing}

    with pytest.raises(ImproperlyConfigured, match=missing):
        load(checkout, monkeypatch, DEBUG="0", **given)


def test_an_empty_key_counts_as_none(checkout, monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        load(checkout, monkeypatch, **{**GOOD, "FIELD_ENCRYPTION_KEYS": " , "})


def test_a_production_start_with_its_keys_uses_them(checkout, monkeypatch):
    second = Fernet.generate_key().decode()

    loaded = load(
        checkout, monkeypatch, **{**GOOD, "FIELD_ENCRYPTION_KEYS": f"{FERNET_KEY},{second}"}
    )

    assert loaded["DEBUG"] is False
    assert loaded["SECRET_KEY"] == GOOD["SECRET_KEY"]
    assert loaded["FIELD_ENCRYPTION_KEYS"] == [FERNET_KEY, second]
    assert loaded["ID_NUMBER_HASH_KEY"] == GOOD["ID_NUMBER_HASH_KEY"]


def test_a_key_that_is_not_a_fernet_key_is_refused(checkout, monkeypatch):
    not_fernet = base64.urlsafe_b64encode(b"sixteen bytes!!!").decode()

    for value in ("change-me", not_fernet):
        with pytest.raises(ImproperlyConfigured, match="Fernet key"):
            load(checkout, monkeypatch, **{**GOOD, "FIELD_ENCRYPTION_KEYS": value})


def test_development_with_debug_on_starts_without_keys(checkout, monkeypatch):
    loaded = load(checkout, monkeypatch, DEBUG="1")

    assert loaded["SECRET_KEY"] == PUBLIC_DEFAULT
    assert loaded["FIELD_ENCRYPTION_KEYS"] == [] and loaded["ID_NUMBER_HASH_KEY"] == ""


def run_generate_keys(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(GENERATE_KEYS), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_the_keys_make_demo_writes_once_are_read_and_kept(checkout, monkeypatch):
    keys_file = checkout / "var" / "secrets.env"

    run_generate_keys(str(keys_file))
    first = keys_file.read_text()
    run_generate_keys(str(keys_file))

    assert keys_file.read_text() == first  # never replaced
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    loaded = load(checkout, monkeypatch)
    written = dict(line.split("=", 1) for line in first.splitlines() if not line.startswith("#"))
    assert {name: loaded[name] for name in KEYS} == {
        "SECRET_KEY": written["SECRET_KEY"],
        "FIELD_ENCRYPTION_KEYS": [written["FIELD_ENCRYPTION_KEYS"]],
        "ID_NUMBER_HASH_KEY": written["ID_NUMBER_HASH_KEY"],
    }
    assert len(written["SECRET_KEY"]) >= 50 and PUBLIC_DEFAULT not in first
    token = Fernet(written["FIELD_ENCRYPTION_KEYS"]).encrypt(b"610702199001011234")
    assert Fernet(loaded["FIELD_ENCRYPTION_KEYS"][0]).decrypt(token) == b"610702199001011234"


def test_each_installation_gets_keys_of_its_own(tmp_path):
    run_generate_keys(str(tmp_path / "one.env"))
    run_generate_keys(str(tmp_path / "two.env"))
    printed = run_generate_keys().stdout

    one, two = (tmp_path / "one.env").read_text(), (tmp_path / "two.env").read_text()
    values = [
        line.split("=", 1)[1]
        for text in (one, two, printed)
        for line in text.splitlines()
        if "=" in line and not line.startswith("#")
    ]
    assert len(values) == 9 and len(set(values)) == 9


def test_the_environment_wins_over_the_keys_file(checkout, monkeypatch):
    run_generate_keys(str(checkout / "var" / "secrets.env"))

    loaded = load(checkout, monkeypatch, SECRET_KEY="from-the-environment-" + "x" * 40)

    assert loaded["SECRET_KEY"] == "from-the-environment-" + "x" * 40
    assert loaded["ID_NUMBER_HASH_KEY"]  # still from the file


def test_the_test_suite_runs_on_keys_of_its_own(settings):
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "dangjian.settings"
    assert settings.SECRET_KEY != PUBLIC_DEFAULT
    assert settings.FIELD_ENCRYPTION_KEYS and settings.ID_NUMBER_HASH_KEY
    assert not settings.DEBUG
