"""The settings the test suite runs with (DJANGO_SETTINGS_MODULE in pyproject.toml):
dangjian.settings, as production runs it (DEBUG off), with random keys of this run's own.
dangjian.settings refuses to start with DEBUG off and no keys. The keys go into the
environment before it is read, and DJANGO_SETTINGS_MODULE names dangjian.settings again
once this module is loaded, so that the processes the tests start (gunicorn, manage.py, a
settings probe) run on the same settings with the same keys, from any directory. Keys set
in the environment already are kept."""

import base64
import os
import secrets

for _name, _value in {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "ID_NUMBER_HASH_KEY": secrets.token_urlsafe(50),
}.items():
    if not os.environ.get(_name):
        os.environ[_name] = _value

from dangjian.settings import *  # noqa: E402, F403

os.environ["DJANGO_SETTINGS_MODULE"] = "dangjian.settings"
