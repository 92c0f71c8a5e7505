"""The one settings module. Everything that differs between machines comes from the
environment; see `.env.example` for the full list."""

import base64
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _key_file(path: Path) -> dict[str, str]:
    """The NAME=value lines of a file of keys; empty when there is none."""
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


# Keys the environment does not set are read from var/secrets.env when it exists: `make
# demo` (or `make keys`) writes random ones there once, so that a demo or a development
# checkout never runs on a key anybody can read in this file.
KEYS_FILE = BASE_DIR / "var" / "secrets.env"
_keys_from_file = _key_file(KEYS_FILE)


def env_key(name: str) -> str:
    return os.environ.get(name) or _keys_from_file.get(name, "")


DEBUG = env_bool("DEBUG", False)
# Django's signing key (sessions, CSRF tokens).
SECRET_KEY = env_key("SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The absolute address printed into QR posters and notification links.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Key material for personal data (ID-card numbers). Comma-separated Fernet keys; the first
# encrypts, all decrypt, so keys can be rotated.
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in env_key("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()
]
# Key for the keyed hash that lets us find a member by exact ID number without decrypting.
ID_NUMBER_HASH_KEY = env_key("ID_NUMBER_HASH_KEY")
_unset = [
    name
    for name, value in (
        ("SECRET_KEY", SECRET_KEY),
        ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
        ("ID_NUMBER_HASH_KEY", ID_NUMBER_HASH_KEY),
    )
    if not value
]
if _unset and not DEBUG:
    # Without them the keys would come from a string in this file: anybody who reads the
    # code could decrypt every ID number. Only development (DEBUG=1) runs on that default
    # (registry/crypto.py derives the data keys from it).
    raise ImproperlyConfigured(
        f"{', '.join(_unset)} not set. Production sets every key in the environment "
        "(docs/operations.md, Configure; `python3 scripts/generate_keys.py` prints new ones); "
        f"a demo or development checkout can run `make keys` to write random ones to {KEYS_FILE}."
    )
SECRET_KEY = SECRET_KEY or "django-insecure-embedded-default-do-not-deploy"
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        _fernet_key = base64.urlsafe_b64decode(_key.encode())
    except ValueError:
        _fernet_key = b""
    if len(_fernet_key) != 32:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: each key must be a Fernet key (32 bytes in URL-safe base64)"
        )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "treebeard",
    "axes",
    "dangjian.core",
    # domain
    "dangjian.registry",
    "dangjian.audit",
    "dangjian.notifications",
    "dangjian.themedays",
    "dangjian.interaction",
    "dangjian.attendance",
    "dangjian.scoring",
    "dangjian.supervision",
    "dangjian.learning",
    "dangjian.volunteering",
    "dangjian.orglife",
    "dangjian.demodata",
    # interfaces
    "dangjian.portal",
    "dangjian.console",
    "dangjian.mobile",
    "dangjian.api",
]

MIDDLEWARE = [
    # First, so that every answer carries X-Request-ID and every log line its request's id.
    "dangjian.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.middleware.DefaultLanguageMiddleware",
    # Text that no field may hold (NUL, the other control characters) is refused here, for
    # the API and the pages alike (core.textguard).
    "dangjian.core.textguard.TextGuardMiddleware",
    # Requests under API_PATH_PREFIX leave the stack here: what follows is for pages.
    "dangjian.core.middleware.ApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
# Where dangjian.urls mounts the JSON API (core.middleware.ApiMiddleware routes it).
API_PATH_PREFIX = "/api/"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# Database. PostgreSQL in production and CI (DATABASE_URL=postgres://...). With no
# DATABASE_URL we fall back to an embedded SQLite file so that `make demo` needs nothing
# installed.
DATABASE_URL = env_str("DATABASE_URL")
HOT_DB_ALIAS = "hot"
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 600)
# A persistent connection is checked before each request reuses it, so a restarted
# database costs no failed request. On PostgreSQL the check asks the socket and costs no
# round trip (core/db/postgresql); CONN_HEALTH_CHECKS=0 skips it, at the price of one
# failed request per worker after the database restarts.
CONN_HEALTH_CHECKS = env_bool("CONN_HEALTH_CHECKS", True)
DATABASES = {
    "default": (
        dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=CONN_HEALTH_CHECKS
        )
        if DATABASE_URL
        else {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "dangjian.sqlite3")),
        }
    )
}
_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Any SQLite database, the embedded default or a sqlite:// URL: WAL lets the page server
    # and the scheduler read while one writes; writers wait for each other (busy timeout)
    # instead of failing with "database is locked", and take the write lock when their
    # transaction begins (IMMEDIATE), so that a read-then-write never has to be refused.
    _options["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
    )
    _options["transaction_mode"] = "IMMEDIATE"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that sends nothing (core/db/postgresql).
    DATABASES["default"]["ENGINE"] = "dangjian.core.db.postgresql"
    # A second connection of each worker to the same database, for the statements every
    # check-in runs (core.db.hot_connection): there parameters are bound on the server and
    # psycopg prepares a statement it has run DB_PREPARE_THRESHOLD times, so PostgreSQL
    # plans it once per connection instead of on every check-in (planning the facts query
    # took longer than running it). Everything else keeps Django's defaults on `default`:
    # client-side binding, never prepared, each statement planned for its own values.
    # Behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode
    # before 1.21) set DB_PREPARE_THRESHOLD=none.
    _prepare = env_str("DB_PREPARE_THRESHOLD", "1").lower()
    DATABASES[HOT_DB_ALIAS] = {
        **DATABASES["default"],
        "OPTIONS": {
            **_options,
            "server_side_binding": True,
            "prepare_threshold": (
                None if _prepare in ("", "none") else env_int("DB_PREPARE_THRESHOLD", 1)
            ),
        },
        "TEST": {"MIRROR": "default"},
    }
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}

# A read replica (a streaming standby of DATABASE_URL's database) for the heavy reads:
# rankings, dashboards, exports, reports (core.replica says which and how). Empty: no
# `replica` alias, no router, no middleware, every read on DATABASE_URL as before.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
REPLICA_DB_ALIAS = "replica"
# A replica further behind than this is left for the primary until it catches up.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 10)
# How often each process asks the replica whether it answers and how far behind it is.
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5)
# A user who wrote reads from the primary this long: it must outlast the lag allowed
# (REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS) for users to see their own writes.
REPLICA_READ_YOUR_WRITES_SECONDS = env_int("REPLICA_READ_YOUR_WRITES_SECONDS", 20)
DATABASE_ROUTERS = []
if DATABASE_REPLICA_URL:
    DATABASES[REPLICA_DB_ALIAS] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=CONN_HEALTH_CHECKS
    )
    if DATABASES[REPLICA_DB_ALIAS]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES[REPLICA_DB_ALIAS]["ENGINE"] = "dangjian.core.db.postgresql"
        # A replica whose host does not answer costs a heavy read this long, once per
        # check, before the primary answers instead (libpq would wait for the OS).
        DATABASES[REPLICA_DB_ALIAS].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    DATABASES[REPLICA_DB_ALIAS]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["dangjian.core.replica.ReplicaRouter"]
    # Right after the request id, above the API's exit, so that API requests mark their
    # user's writes too.
    MIDDLEWARE.insert(1, "dangjian.core.replica.ReplicaMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out phone/IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The first hasher makes new hashes; the others still verify older ones, which are rehashed
# with the first at the account's next login (docs/decisions.md, "Password hashing").
PASSWORD_HASHERS = [
    "dangjian.registry.passwords.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Passwords like the account's phone number or name, and any that holds the number.
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["phone", "name"]},
    },
    {"NAME": "dangjian.registry.passwords.PhoneInPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"

# Login throttling (django-axes): a phone+IP pair is locked for AXES_COOLOFF_MINUTES
# after AXES_FAILURE_LIMIT failures, on the page and the API alike.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "phone"
AXES_RESET_ON_SUCCESS = True
# Each login view answers a lockout itself (a page or a JSON 429); axes keeps that answer.
AXES_LOCKOUT_CALLABLE = "dangjian.core.lockout.keep_view_response"
# Two wider limits within the same cool-off (dangjian.core.lockout): failures from one
# address across phones (password spraying) and on one phone across addresses.
AXES_HANDLER = "dangjian.core.lockout.LockoutHandler"
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 50)
LOGIN_FAILURES_PER_PHONE = env_int("LOGIN_FAILURES_PER_PHONE", 20)
AXES_VERBOSE = False
# No AccessLog row per successful login: nothing reads it, nothing prunes it, and it would
# keep every member's addresses and browsers for ever (one row a sign-in, 208,000 members).
# Who did what is the audit log's (dangjian.audit); failures are still counted for lockout.
AXES_DISABLE_ACCESS_LOG = True
# Which request headers carry the client's address (behind nginx: HTTP_X_REAL_IP), read by
# dangjian.core.clientip for axes and the attempt log alike (django-ipware is not used).
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("AXES_IP_HEADERS", ["REMOTE_ADDR"])
AXES_CLIENT_IP_CALLABLE = "dangjian.core.clientip.client_ip"

# How long an API token lives; its owner can list and revoke it before then, and a
# password change, a reset or sign-out-everywhere revokes them all (registry.accounts).
API_TOKEN_TTL = timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 30))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "dangjian" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
# STATIC_MANIFEST=1 (production, `make demo`): hashed, compressed files from `collectstatic`,
# cached for ever by browsers. Unset (tests, development): read straight from the apps.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
# Uploaded files (photos, attachments): the local file system under MEDIA_ROOT by default,
# an S3-compatible object store with MEDIA_STORAGE=s3 (django-storages; docs/operations.md).
MEDIA_STORAGE = env_str("MEDIA_STORAGE") or "local"
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, got {MEDIA_STORAGE!r}")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env_str("S3_BUCKET"),
                "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
                "region_name": env_str("S3_REGION") or None,
                "access_key": env_str("S3_ACCESS_KEY_ID") or None,
                "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
                "location": env_str("S3_PREFIX", "media"),
                # Private objects, never overwritten: photos are served only through the
                # scope-checking view, which reads them through the storage API.
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            },
        }
        if MEDIA_STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# With a reverse proxy that serves MEDIA_ROOT internally (nginx `internal` location), photo
# views answer with X-Accel-Redirect to this prefix instead of streaming the file.
MEDIA_ACCEL_REDIRECT = env_str("MEDIA_ACCEL_REDIRECT", "")

# Background work. With REDIS_URL, Celery uses Redis as broker and the cache is Redis too;
# without it tasks run eagerly in the calling process and the cache is local memory.
REDIS_URL = env_str("REDIS_URL")
REDIS_CACHE_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 2}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "dj"),
            # redis-py waits forever by default: a Redis that hangs would hold every
            # worker (and a starting one, core/warmup.py) until gunicorn kills it.
            "OPTIONS": REDIS_CACHE_TIMEOUTS,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it ends, and put back on the queue when the process running it
# dies (killed, out of memory): every task is idempotent, so running it again completes it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A web request that queues a task must not wait long for a Redis that is down: the publish
# gives up within the cache's timeouts and the caller leaves the work to the scheduled
# sweeps (dangjian.celery.send, core/scheduling.py).
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CACHE_TIMEOUTS["socket_connect_timeout"]
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# visibility_timeout (kombu's default, an hour) must stay above the longest countdown a task
# is queued with (notifications' backoff): a message unacknowledged for that long is
# delivered again.
CELERY_BROKER_TRANSPORT_OPTIONS = {**REDIS_CACHE_TIMEOUTS, "visibility_timeout": 3600}
# Celery beat's schedule is dangjian.core.scheduling.JOBS (set in dangjian/celery.py).
# Long work a person watches (notifications.jobs): how many branches one step of a
# distribution takes (each step its own transaction, counted on the job's progress bar); and,
# for the browser test that watches a distribution, a pause after each step and eager tasks
# run in a thread of their own (docs/architecture.md, "Background work"). Not environment
# settings: production keeps these values.
DISTRIBUTION_BRANCH_BATCH = 500
JOBS_STEP_PAUSE_SECONDS = 0.0
JOBS_RUN_IN_THREAD = False

# Theme-day activity policy: the defaults of docs/product.md, "Checking in and out" and the
# bounds a branch may set.
ACTIVITY_POLICY = {
    "default_radius_m": 300,
    "min_radius_m": 50,
    "max_radius_m": env_int("ACTIVITY_MAX_RADIUS_M", 1000),
    "checkin_opens_before_min": 30,
    "checkin_closes_after_min": 15,
    "checkout_closes_after_min": 60,
    "max_checkin_opens_before_min": 120,
    "max_checkin_closes_after_min": 60,
    "min_checkout_closes_after_min": 10,
    "max_checkout_closes_after_min": 240,
    "max_duration_hours": 12,
}
CAMPAIGN_ATTACHMENT_MAX_BYTES = env_int("CAMPAIGN_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# Learning (docs/product.md, "Learning"): a member's reading of an article counts once they
# have had it open this long, on the server's clock (a short article: when they reach its end).
LEARNING_MIN_READING_SECONDS = env_int("LEARNING_MIN_READING_SECONDS", 60)
# The required items (themedays.items codes) that may be marked done only with their
# evidence (orglife.items): all six by default.
ITEM_EVIDENCE_REQUIRED = ("charter", "dues", "study", "org_life", "deliberation", "disclosure")
# Volunteer hours (docs/product.md, issue 20): signed time is rounded to the nearest this many
# minutes, and a service longer than this many hours is refused as implausible.
VOLUNTEER_HOURS_ROUNDING_MINUTES = env_int("VOLUNTEER_HOURS_ROUNDING_MINUTES", 15)
VOLUNTEER_MAX_SERVICE_HOURS = env_int("VOLUNTEER_MAX_SERVICE_HOURS", 12)
# A published volunteer order nobody claimed for this many hours reaches one level up (the
# town or street, then the county).
VOLUNTEER_ESCALATE_AFTER_HOURS = env_int("VOLUNTEER_ESCALATE_AFTER_HOURS", 24)
# Quarterly awards (issue 21): how many of each kind the city selects in a round opened from now.
AWARD_SELECTION_SIZE = env_int("AWARD_SELECTION_SIZE", 20)
# A font file with Simplified Chinese glyphs for the PNG check-in poster (PDFs: core.pdffonts);
# unset: Debian's fonts-noto-cjk or another common CJK font if installed.
POSTER_FONT_PATH = env_str("POSTER_FONT_PATH")
# The map a plan's venue is picked on (core/templatetags/maps.py): Amap's (高德) JavaScript
# API v2, loaded from MAP_JS_URL with the deployment's key ({key}). Without a key no map
# script is loaded: the plan editor offers the phone's position and the address only. The
# security code of a key issued since December 2021 goes with it (AMAP_SECURITY_JS_CODE).
AMAP_KEY = env_str("AMAP_KEY")
AMAP_SECURITY_JS_CODE = env_str("AMAP_SECURITY_JS_CODE")
MAP_JS_URL = env_str("MAP_JS_URL", "https://webapi.amap.com/maps?v=2.0&key={key}")
# Monthly supervision (一月一督查, issue 21): from this day of a month the scheduled job makes
# each county's sheet for the month before; a held theme day whose sign-in rate (percent of
# the non-flowing roster) is below the threshold is listed.
SUPERVISION_MONTHLY_DAY = env_int("SUPERVISION_MONTHLY_DAY", 5)
SUPERVISION_SIGN_IN_THRESHOLD = env_int("SUPERVISION_SIGN_IN_THRESHOLD", 60)

# Partitioned history on PostgreSQL (core.partitions, attendance.retention): how many months
# after this one get their partitions made ahead by the scheduled job, so that rows never wait
# in the default partition; and after how many years the check-in attempt log's months are
# archived (gzip CSV under ATTEMPT_ARCHIVE_DIR) and dropped. 0 keeps every attempt: dropping
# history is a policy decision, never a default.
PARTITION_MONTHS_AHEAD = env_int("PARTITION_MONTHS_AHEAD", 3)
ATTEMPT_RETENTION_YEARS = env_int("ATTEMPT_RETENTION_YEARS", 0)
ATTEMPT_ARCHIVE_DIR = Path(env_str("ATTEMPT_ARCHIVE_DIR", str(BASE_DIR / "var" / "archive")))

# Activity photos (docs/product.md, "The activity record"): what an upload may be, how it is
# stored, how it is checked.
PHOTO_POLICY = {
    "max_upload_bytes": env_int("PHOTO_MAX_BYTES", 20 * 1024 * 1024),
    # Refused before decoding (a "decompression bomb" is a small file of huge dimensions):
    # the pixels an image decodes to (a JPEG scaled down as it is decoded), fewer for
    # transparency and WebP (interaction.images.pixel_limit). It bounds a worker's memory
    # (docs/performance.md, "Photo uploads"); 25 MP lets a 24 MP phone photo through.
    "max_pixels": env_int("PHOTO_MAX_PIXELS", 25_000_000),
    # Stored re-encoded as JPEG, the longer edge at most this, and a thumbnail.
    "max_edge_px": env_int("PHOTO_MAX_EDGE_PX", 2560),
    "thumb_edge_px": 480,
    "jpeg_quality": 85,
    "max_per_activity": env_int("PHOTO_MAX_PER_ACTIVITY", 60),
    # EXIF capture time may be this far outside the activity's start–end and still pass.
    "time_tolerance_min": env_int("PHOTO_TIME_TOLERANCE_MIN", 60),
    # Photos and the summary are accepted this long after the activity closed, marked late.
    "late_grace_hours": env_int("PHOTO_LATE_GRACE_HOURS", 72),
    # Browsers keep a photo this long (Cache-Control: private): its bytes never change.
    "cache_max_age": env_int("PHOTO_CACHE_MAX_AGE", 7 * 24 * 3600),
}
# Words that refuse a comment or reflection: comma-separated in the environment, and/or one
# a line in a UTF-8 file.
COMMENT_FORBIDDEN_WORDS = env_list("COMMENT_FORBIDDEN_WORDS", [])
if env_str("COMMENT_FORBIDDEN_WORDS_FILE"):
    with open(env_str("COMMENT_FORBIDDEN_WORDS_FILE"), encoding="utf-8") as _words:
        COMMENT_FORBIDDEN_WORDS += [w.strip() for w in _words if w.strip()]

# Outbound notification channels besides the in-app inbox: "log", "webhook", or a dotted
# path to a dangjian.notifications.channels.Channel subclass. Comma-separated.
NOTIFICATION_CHANNELS = env_list("NOTIFICATION_CHANNELS", ["log"])
NOTIFICATION_WEBHOOK_URL = env_str("NOTIFICATION_WEBHOOK_URL")
NOTIFICATION_WEBHOOK_SECRET = env_str("NOTIFICATION_WEBHOOK_SECRET")

# Text messages (verification codes): "log" (the message goes to the log), "aliyun" or
# "tencent" (their official SDKs), or a dotted path to a notifications.sms.Backend subclass.
SMS_BACKEND = env_str("SMS_BACKEND", "log")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "智慧党建云")
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID")
SMS_ACCESS_KEY_SECRET = env_str("SMS_ACCESS_KEY_SECRET")
# The provider's template id for each message the platform sends.
SMS_TEMPLATES = {
    "verification_code": env_str("SMS_TEMPLATE_VERIFICATION_CODE"),
    "activation_invitation": env_str("SMS_TEMPLATE_ACTIVATION_INVITATION"),
}
SMS_ALIYUN_ENDPOINT = env_str("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com")
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_APP_ID = env_str("SMS_TENCENT_APP_ID")
# The demo only: the console shows admins the messages sent (短信发件箱), codes included.
SMS_DEMO_OUTBOX = env_bool("SMS_DEMO_OUTBOX", False)
# Verification codes asked from one client address within an hour.
SMS_CODES_PER_IP_HOUR = env_int("SMS_CODES_PER_IP_HOUR", 30)

# The WeChat official account: its app id and secret, and WeChat's API (tests and the demo
# point it at a local stand-in that answers as WeChat documents).
WECHAT_APP_ID = env_str("WECHAT_APP_ID")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET")
WECHAT_API_BASE_URL = env_str("WECHAT_API_BASE_URL", "https://api.weixin.qq.com")
# WeChat's web authorization page (the official account's sign-in inside WeChat).
WECHAT_OPEN_BASE_URL = env_str("WECHAT_OPEN_BASE_URL", "https://open.weixin.qq.com")
# Template messages (the `wechat` notification channel, notifications.wechat): the official
# account's template id for each kind of notice; a kind without one is not sent to WeChat.
WECHAT_TEMPLATES = {
    "campaign": env_str("WECHAT_TEMPLATE_CAMPAIGN"),
    "plan_approved": env_str("WECHAT_TEMPLATE_PLAN_APPROVED"),
    "plan_rejected": env_str("WECHAT_TEMPLATE_PLAN_REJECTED"),
    "reminder": env_str("WECHAT_TEMPLATE_REMINDER"),
    "rectification": env_str("WECHAT_TEMPLATE_RECTIFICATION"),
    "activation_invitation": env_str("WECHAT_TEMPLATE_ACTIVATION_INVITATION"),
}

# Sessions stay in Django's database store, not in Redis: a Redis that stops must not sign
# every member out of the phone pages (docs/operations.md; docs/decisions.md, "Sessions
# stay in the database"). core.sessions: a sign-in without a session yet writes its row
# once.
SESSION_ENGINE = "dangjian.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A form refused for its CSRF token gets the site's Chinese page, not Django's English one.
CSRF_FAILURE_VIEW = "dangjian.core.pages.csrf_failure"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
# HTTPS only: browsers told to use nothing else for this many seconds (HSTS), and plain
# HTTP redirected. Behind a proxy that ends TLS, SECURE_SSL_REDIRECT needs BEHIND_TLS_PROXY
# (else every request looks like plain HTTP and is redirected for ever). The health check
# answers over plain HTTP too, for probes that talk to gunicorn directly.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"

# Each line names its level, logger and request (core.requestid: the id of the X-Request-ID
# header and of the API's 500 answer; "-" outside a request).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dangjian.core.requestid.LogFilter"}},
    "formatters": {"line": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": (env_str("LOG_LEVEL", "INFO") or "INFO").upper()},
    "loggers": {"axes": {"level": "WARNING"}},
}
