"""Django settings for Yui; every deployment-specific value comes from ``yui.config``."""

from __future__ import annotations

import os

from yui import config, logging_json

BASE_DIR = config.BASE_DIR
DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key()
DEBUG = config.flag("YUI_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("YUI_ALLOWED_HOSTS", "*").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "channels",
    "strawberry_django",
    "django_tasks",
    "django_tasks_db",
    "subgraphs.core",
    "subgraphs.people",
    "subgraphs.presence",
    "subgraphs.calendar",
    "subgraphs.notices",
    "subgraphs.facilities",
    "subgraphs.mail",
    "subgraphs.audit",
    "yui",
]

MIDDLEWARE = [
    "yui.middleware.SecurityHeadersMiddleware",
    "yui.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "yui.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "yui.urls"
ASGI_APPLICATION = "yui.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": config.database_from_url(
        os.environ.get("YUI_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'yui.sqlite3'}"
    )
}
# A connection a database restart broke is noticed before it is used, not on every later
# request (subgraphs.core.db does the same for work outside Django's request cycle).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = config.redis_url()
# Other subgraphs reached over HTTP (distributed); the rest are called in-process.
SUBGRAPH_URLS = config.subgraph_urls()
# Where users reach the deployment (absolute links such as calendar feed URLs); None: the
# request's own scheme and host.
PUBLIC_URL = config.public_url()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s timeout by default, as long as the channel
            # layer's blocking pop waits for a message: every idle subscription (and each
            # subgraph's WebSocket consumer) failed after 5 s. Longer than that pop, so a
            # Redis that stopped answering is still noticed.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("YUI_CACHE_PREFIX", "yui"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "yui.channel_layer.EmbeddedChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Accounts: one Person row per staff member is also the sign-in account.
AUTH_USER_MODEL = "people.Person"
AUTHENTICATION_BACKENDS = ["subgraphs.people.auth.TenantLoginBackend"]
# Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane; subgraphs.people.hashers says
# why): ~20 ms a check instead of Django's ~200 ms. Hashes stored with Django's defaults
# are verified as before and re-hashed with these on the next successful sign-in.
PASSWORD_HASHERS = [
    "subgraphs.people.hashers.YuiArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SILENCED_SYSTEM_CHECKS = [
    # login_id is unique per tenant, not globally; TenantLoginBackend looks accounts up
    # by (tenant, login_id), which a UniqueConstraint on the model enforces.
    "auth.W004",
]

SESSION_COOKIE_NAME = "yui_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10  # one working day
SESSION_COOKIE_SECURE = config.flag("YUI_SECURE_COOKIES", False)
CSRF_COOKIE_NAME = "yui_csrftoken"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling: after LOGIN_FREE_FAILURES failures each further attempt must wait
# twice as long as the one before; after LOGIN_LOCK_FAILURES the account (or address) is
# refused for LOGIN_LOCK_SECONDS.
LOGIN_FREE_FAILURES = 3
LOGIN_LOCK_FAILURES = 10
LOGIN_LOCK_SECONDS = 15 * 60
LOGIN_FAILURE_WINDOW_SECONDS = 60 * 60
# Sign-ins one process checks at once (hashing, or waiting for a core to hash); more are
# answered 503 with Retry-After. At ~20 ms of CPU a check, 32 queued on 2 cores wait
# ~0.3 s: well inside a client's patience, while a longer queue would only answer late.
LOGIN_MAX_IN_FLIGHT = 32
LOGIN_OVERLOAD_RETRY_SECONDS = 2
# GraphQL requests (not subscriptions) one process works on at once; more get 503 with
# Retry-After in GraphQL's JSON.
GRAPHQL_MAX_IN_FLIGHT = 200
GRAPHQL_OVERLOAD_RETRY_SECONDS = 2
# Threads for the database work of GraphQL requests (yui.federation.DatabaseLanes): so
# many requests' ORM calls run at once, each thread keeping its connection (PostgreSQL:
# so many connections per process). 0: every ORM call of the process on one thread.
DB_THREADS = config.count("YUI_DB_THREADS", 4)

# Presence (在席) reads as 未設定 again from this hour (Japan time) each night, unless a
# return time set with it lies beyond; computed when read, so no job has to run.
PRESENCE_RESET_HOUR = config.hour_of_day("YUI_PRESENCE_RESET_HOUR", 4)

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024  # a 40,000-row staff CSV fits

# Uploaded files (notices' attachments; subgraphs.core.storage): a directory under
# YUI_DATA_DIR, or an S3-compatible store when YUI_STORAGE_S3_BUCKET is set (the s3 extra).
FILE_STORAGE: dict[str, object] = (
    {
        "backend": "s3",
        "bucket": os.environ["YUI_STORAGE_S3_BUCKET"],
        "endpoint_url": os.environ.get("YUI_STORAGE_S3_ENDPOINT_URL", ""),
        "access_key_id": os.environ.get("YUI_STORAGE_S3_ACCESS_KEY_ID", ""),
        "secret_access_key": os.environ.get("YUI_STORAGE_S3_SECRET_ACCESS_KEY", ""),
        "region": os.environ.get("YUI_STORAGE_S3_REGION", ""),
    }
    if os.environ.get("YUI_STORAGE_S3_BUCKET")
    else {"backend": "local", "location": DATA_DIR / "files"}
)
FILE_MAX_BYTES = config.count("YUI_FILE_MAX_BYTES", 20 * 1024 * 1024, most=2 * 1024**3)

LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# Background work (the mail outbox) on a durable queue in the database: a task is a row,
# committed with the change that made it. `yui serve` runs the worker in a thread,
# `yui worker` on its own (distributed).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["mail"]}}
# External mail goes to this SMTP relay (host:port, e.g. the LGWAN mail gateway); unset,
# it waits in the outbox. Retries back off from MAIL_RETRY_BASE_SECONDS, doubling, to
# MAIL_RETRY_MAX_SECONDS between attempts; after MAIL_MAX_ATTEMPTS it is FAILED.
MAIL_RELAY = os.environ.get("YUI_MAIL_RELAY", "").strip()
MAIL_RETRY_BASE_SECONDS = config.count("YUI_MAIL_RETRY_BASE_SECONDS", 30, most=3600)
MAIL_RETRY_MAX_SECONDS = 3600
MAIL_MAX_ATTEMPTS = 30
MAIL_EMBEDDED_WORKER = config.flag("YUI_MAIL_WORKER", True)
# Incoming mail (IMAP): poll every MAIL_IMAP_POLL_SECONDS where the server has no IDLE;
# servers' TLS certificates are checked against the system's CAs plus YUI_MAIL_IMAP_CA_FILE
# (a PEM bundle, e.g. the municipality's own CA), if set.
MAIL_IMAP_POLL_SECONDS = config.count("YUI_MAIL_IMAP_POLL_SECONDS", 60, most=3600)
MAIL_IMAP_CA_FILE = os.environ.get("YUI_MAIL_IMAP_CA_FILE", "").strip()

STRAWBERRY_DJANGO = {"MUTATIONS_DEFAULT_HANDLE_ERRORS": False}

# YUI_LOG_LEVEL (WARNING); YUI_LOG_FORMAT=json: JSON lines, one per gateway operation too.
LOGGING = logging_json.from_environment()
