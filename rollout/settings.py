"""Django settings for Rollwright, read from the environment (see README, Configuration)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from rollout.env import (
    env_bool,
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
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

# Rollwright's durations are Azure's (5-minute health wait, 30-60 minute detection delay);
# the time scale divides them, so 60 plays a minute of rollout in a second.
ROLLWRIGHT_TIME_SCALE = env_float("ROLLWRIGHT_TIME_SCALE", 1.0, minimum=0.001)
# T5: roll every newly eligible version within seconds instead of after Azure's delays.
ROLLWRIGHT_IMMEDIATE_TRIGGERS = env_bool("ROLLWRIGHT_IMMEDIATE_TRIGGERS", False)

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss", "memory"))

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rollwright.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Workers step operations many times a second: keep connections instead of reconnecting.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
    # Login throttling (django-axes): last, so it sees every login's outcome.
    "axes.middleware.AxesMiddleware",
]

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
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "PKCE_REQUIRED": True,
}
# Named here because a ServicePrincipal points at it (django-oauth-toolkit's own model).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or "pytest" in sys.modules
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CHANNEL_LAYERS: dict[str, dict[str, object]]
if REDIS_URL.startswith("memory"):
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout, as long as channels-redis' blocking
            # receive waits: idle websockets would be dropped every 5 s (channels_redis#422).
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }

CELERY_BROKER_URL = REDIS_URL if not REDIS_URL.startswith("memory") else "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The task modules; services queue their tasks by name (rollout.services.wakeups).
CELERY_IMPORTS = ("rollout.tasks.upgrades", "rollout.tasks.releases")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # Django's LOGGING below applies to the worker too

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
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
        "schedule": 5.0,
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
