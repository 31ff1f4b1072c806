"""Django settings for Rollwright, read from the environment (see README, Configuration)."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from rollout.env import (
    env_bool,
    env_choice,
    env_database,
    env_float,
    env_guid,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    # Tools that import the settings without serving (the test runner, the type checker) and
    # DEBUG runs get a development key; anything else must be given a real one.
    if not (DEBUG or "pytest" in sys.modules or "mypy" in sys.modules):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: production needs a secret key (or set DEBUG=1 locally)."
        )
    SECRET_KEY = "rollwright-insecure-development-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Origins (scheme://host[:port]) besides the server's own that may post forms and open the live
# pages' websockets: a TLS terminator's public origin when it rewrites the Host header.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# HTTPS (README, Running in production). ROLLWRIGHT_HTTPS says how browsers reach Rollwright:
# "on": over TLS (daphne's own ssl endpoint); "proxy": through a TLS terminator that sends
# X-Forwarded-Proto (trusted: the terminator must set it, and be the only way in); "off": plain
# HTTP, a local demo only. Unless off: http is redirected to https (but /healthz, for probes),
# HSTS for ROLLWRIGHT_HSTS_SECONDS, and cookies only over TLS.
ROLLWRIGHT_HTTPS = env_choice("ROLLWRIGHT_HTTPS", "off" if DEBUG else "on", ("on", "proxy", "off"))
_TLS = ROLLWRIGHT_HTTPS != "off"
if ROLLWRIGHT_HTTPS == "proxy":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _TLS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("ROLLWRIGHT_HSTS_SECONDS", 31_536_000, minimum=0) if _TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ROLLWRIGHT_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("ROLLWRIGHT_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = _TLS
CSRF_COOKIE_SECURE = _TLS
# HSTS for subdomains and the browsers' preload list are the domain owner's choice (opt in
# above), not a default of one application: Django's reminders about them stay silent.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Rollwright's durations are Azure's (5-minute health wait, 30-60 minute detection delay);
# the time scale divides them, so 60 plays a minute of rollout in a second.
ROLLWRIGHT_TIME_SCALE = env_float("ROLLWRIGHT_TIME_SCALE", 1.0, minimum=0.001)
# T5: roll every newly eligible version within seconds instead of after Azure's delays.
ROLLWRIGHT_IMMEDIATE_TRIGGERS = env_bool("ROLLWRIGHT_IMMEDIATE_TRIGGERS", False)

# Beat's sweeper re-enqueues, every ROLLWRIGHT_SWEEP_SECONDS, the operations whose next look is
# that much overdue: the most a step waits after its wake-up was lost with a killed worker or a
# restarted Redis.
ROLLWRIGHT_SWEEP_SECONDS = env_float("ROLLWRIGHT_SWEEP_SECONDS", 5.0, minimum=0.5)

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss", "memory"))

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rollwright.sqlite3'}"),
}
# PostgreSQL connections come from a pool per process (psycopg_pool, Django's OPTIONS["pool"]),
# at most ROLLWRIGHT_DB_POOL_SIZE of them: under ASGI every request runs in a thread of its
# own, and persistent connections (CONN_MAX_AGE) stayed open in threads that were gone, until
# PostgreSQL refused clients. A request that finds the pool busy waits up to
# ROLLWRIGHT_DB_POOL_TIMEOUT seconds. Each connection is checked as it leaves the pool, so a
# PostgreSQL restart or a terminated session costs one reconnect, not an error.
ROLLWRIGHT_DB_POOL_SIZE = env_int("ROLLWRIGHT_DB_POOL_SIZE", 10, minimum=1)
ROLLWRIGHT_DB_POOL_TIMEOUT = env_float("ROLLWRIGHT_DB_POOL_TIMEOUT", 20.0, minimum=0.1)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool's check_connection
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": ROLLWRIGHT_DB_POOL_SIZE,
        "timeout": ROLLWRIGHT_DB_POOL_TIMEOUT,
        "max_idle": 60,
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server read while a worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "oauth2_provider",
    "axes",
    "rollout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves static/ under daphne in production (DEBUG=0), compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Login throttling (django-axes): last, so it sees every login's outcome.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles, images and sockets from this origin
# only; no inline script and no style attribute anywhere (static/rollwright/js/sizes.js sets
# sizes through the CSSOM). The json_script data blocks are not scripts and need no exception.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "rollout.urls"
ASGI_APPLICATION = "rollout.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # R1: the header's badge, the user's strongest role and where each holds.
                "rollout.dashboard.permissions.role_badge",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = [
    # Refuses a login while its account or its address is locked out, before the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): after ROLLWRIGHT_LOGIN_FAILURE_LIMIT wrong passwords for one
# account, or from one address, logins from there are refused (HTTP 429, with a message on the
# login page) for ROLLWRIGHT_LOGIN_COOLOFF_MINUTES; a correct login resets the count. The
# address is REMOTE_ADDR: behind a proxy, set AXES_IPWARE_META_PRECEDENCE_ORDER in a settings
# module of your own to the header it sets. Lockouts are listed in the admin (Axes).
AXES_FAILURE_LIMIT = env_int("ROLLWRIGHT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ROLLWRIGHT_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False

# Identity (R1, A1, A2). Rollwright is one tenant; its id is what `az login --tenant` names,
# what /tenants lists and what the access tokens' `tid` says.
ROLLWRIGHT_TENANT_ID = env_guid("ROLLWRIGHT_TENANT_ID", "7d1f9b0e-5a3c-4e8b-9f26-3c4b5a6d7e80")
ROLLWRIGHT_TENANT_NAME = env_str("ROLLWRIGHT_TENANT_NAME", "Rollwright")
ROLLWRIGHT_TENANT_DOMAIN = env_str("ROLLWRIGHT_TENANT_DOMAIN", "rollwright.local")
# Lifetime of the bearer tokens the OAuth2 token endpoint issues (Azure's are 60-90 minutes)
# and the default and longest lifetime of the tokens `create_api_token` issues.
ROLLWRIGHT_OAUTH_TOKEN_SECONDS = env_int("ROLLWRIGHT_OAUTH_TOKEN_SECONDS", 3600, minimum=60)
ROLLWRIGHT_API_TOKEN_DAYS = env_int("ROLLWRIGHT_API_TOKEN_DAYS", 90, minimum=1)
ROLLWRIGHT_API_TOKEN_MAX_DAYS = env_int("ROLLWRIGHT_API_TOKEN_MAX_DAYS", 365, minimum=1)
# The audiences (resources) a client may ask a token for, besides this server's own address:
# Azure Resource Manager's, as the SDK and the az CLI name them.
ROLLWRIGHT_TOKEN_AUDIENCES = env_list(
    "ROLLWRIGHT_TOKEN_AUDIENCES",
    ["https://management.core.windows.net/", "https://management.azure.com/"],
)
# The OAuth2 server: client credentials only (rollout.services.access.oauth), secrets and
# tokens hashed at rest, every token a JWT that expires.
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": ROLLWRIGHT_OAUTH_TOKEN_SECONDS,
    "ACCESS_TOKEN_GENERATOR": "rollout.services.access.oauth.generate_access_token",
    "OAUTH2_VALIDATOR_CLASS": "rollout.services.access.oauth.ClientCredentialsValidator",
    "OAUTH2_BACKEND_CLASS": "rollout.services.access.oauth.ServicePrincipalBackend",
    "PKCE_REQUIRED": True,
    # RFC 9700 (the OAuth 2.0 Security BCP) throughout; only client credentials are used.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Named here because a ServicePrincipal points at it (django-oauth-toolkit's own model).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("ROLLWRIGHT_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or "pytest" in sys.modules
        else "rollout.staticfiles.ManifestOrSourceStorage"
    },
}
# Files collectstatic has not collected are served from static/ (rollout/staticfiles.py).
WHITENOISE_USE_FINDERS = True

# Channel layer groups: a websocket consumer re-joins its group every CHANNEL_GROUP_REJOIN
# seconds, so the members of a web process that died (kill -9, a restart) leave their groups
# after CHANNEL_GROUP_EXPIRY seconds instead of channels-redis' default day. CAPACITY is the
# messages one channel may hold before channels-redis drops new ones: a 1,000-instance
# rollout's burst fits in it.
CHANNEL_GROUP_EXPIRY = 120
CHANNEL_GROUP_REJOIN = 30


def redis_channel_layer(url: str) -> dict[str, object]:
    """The channel layer on the Redis at ``url`` (the test settings use it too)."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s socket timeout, as long as channels-redis' blocking
            # receive waits: idle websockets would be dropped every 5 s (channels_redis#422).
            # Keepalive notices a peer that vanished.
            "hosts": [{"address": url, "socket_timeout": 30, "socket_keepalive": True}],
            "group_expiry": CHANNEL_GROUP_EXPIRY,
            "capacity": 1000,
            "expiry": 60,
        },
    }


CHANNEL_LAYERS: dict[str, dict[str, object]]
if REDIS_URL.startswith("memory"):
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}

CELERY_BROKER_URL = REDIS_URL if not REDIS_URL.startswith("memory") else "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A worker outlives any Redis outage: it retries the broker at start-up and after a loss for as
# long as it takes (Celery's default gives up after 100 tries), and survives losing a
# connection that holds unacknowledged messages (rollout/broker.py). Work queued in a Redis
# that restarted empty is found again from the database by beat's sweeper.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "rollout.broker:Transport"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A dead peer or a half-open socket is noticed (keepalive, a PING every 10 s on idle
    # connections) instead of a send hanging; a send to a Redis that is down fails within
    # seconds and is logged, and the sweeper catches up (rollout/services/wakeups.py).
    "socket_keepalive": True,
    "health_check_interval": 10,
    "socket_connect_timeout": 5,
    "socket_timeout": 10,
    "retry_on_timeout": True,
}
CELERY_TIMEZONE = "UTC"
# The task modules; services queue their tasks by name (rollout.services.wakeups).
CELERY_IMPORTS = (
    "rollout.tasks.upgrades",
    "rollout.tasks.releases",
    "rollout.tasks.notifications",
    "rollout.tasks.gates",
)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # Django's LOGGING below applies to the worker too

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"quiet_refusals": {"()": "rollout.log_filters.QuietRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # An expected 403 is one line, without a traceback (rollout/log_filters.py).
        "django.request": {"filters": ["quiet_refusals"]},
        # Beat sends a few tasks a second and a rollout steps many times a second: keep the
        # worker's "received"/"succeeded" lines out of `make run`'s console (failures still show).
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.beat": {"level": "WARNING"},
    },
}

CELERY_BEAT_SCHEDULE = {
    "sweep-overdue-upgrades": {
        "task": "rollout.sweep_overdue_operations",
        "schedule": ROLLWRIGHT_SWEEP_SECONDS,
    },
    # T1-T7: the safety net of the event-driven trigger (rollout/tasks/releases.py).
    "scan-automatic-upgrades": {
        "task": "rollout.scan_automatic_upgrades",
        "schedule": 2.0,
    },
    # T4: gallery replication progresses region by region.
    "advance-gallery-replication": {
        "task": "rollout.advance_gallery_replication",
        "schedule": 1.0,
    },
}

# G2: notifications. Each target's deliveries go out in order; a failed attempt is retried after
# ROLLWRIGHT_WEBHOOK_RETRY_SECONDS, doubling each time up to an hour, and given up after
# ROLLWRIGHT_WEBHOOK_MAX_ATTEMPTS (wall-clock times: the time scale does not apply).
ROLLWRIGHT_WEBHOOK_TIMEOUT = env_float("ROLLWRIGHT_WEBHOOK_TIMEOUT", 10.0, minimum=0.1)
ROLLWRIGHT_WEBHOOK_RETRY_SECONDS = env_float("ROLLWRIGHT_WEBHOOK_RETRY_SECONDS", 10.0, minimum=0.01)
ROLLWRIGHT_WEBHOOK_MAX_ATTEMPTS = env_int("ROLLWRIGHT_WEBHOOK_MAX_ATTEMPTS", 12, minimum=1)
CELERY_BEAT_SCHEDULE["sweep-gate-runs"] = {  # G1: measurements whose wake-up was lost
    "task": "rollout.sweep_gate_runs",
    "schedule": ROLLWRIGHT_SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["sweep-notifications"] = {
    "task": "rollout.sweep_notifications",
    "schedule": ROLLWRIGHT_SWEEP_SECONDS,
}

# G3: /metrics. With a token, a scrape must send "Authorization: Bearer <token>"; without one,
# only the addresses of ROLLWRIGHT_METRICS_ALLOW may scrape. Measurements taken inside the
# processes (engine steps, websocket clients) meet in PROMETHEUS_MULTIPROC_DIR (prometheus-client's
# multiprocess mode; set before the library is first imported, so here).
ROLLWRIGHT_METRICS_TOKEN = env_str("ROLLWRIGHT_METRICS_TOKEN", "")
ROLLWRIGHT_METRICS_ALLOW = env_list("ROLLWRIGHT_METRICS_ALLOW", ["127.0.0.1", "::1"])
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics"))
Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
