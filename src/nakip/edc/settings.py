"""Django settings of the NAKIP EDC, read from the environment.

NAKIP_ENV (development | production), NAKIP_SECRET_KEY, NAKIP_DATABASE_URL, NAKIP_DATA_DIR,
NAKIP_ALLOWED_HOSTS, NAKIP_DEBUG. Production refuses to start without a secret key.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

ENV = os.environ.get("NAKIP_ENV", "development").strip().lower()
PRODUCTION = ENV == "production"


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def data_dir() -> Path:
    """Folder for the SQLite file and collected static files (./nakip-data by default)."""
    return Path(os.environ.get("NAKIP_DATA_DIR") or (Path.cwd() / "nakip-data")).resolve()


DATA_DIR = data_dir()

SECRET_KEY = os.environ.get("NAKIP_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("NAKIP_ENV=production needs NAKIP_SECRET_KEY to be set")
    SECRET_KEY = "nakip-development-only-key-never-use-in-production-0123456789"

DEBUG = _flag("NAKIP_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    # the debug pages list every URL and show settings and tracebacks: never in production
    raise ImproperlyConfigured("NAKIP_DEBUG cannot be on with NAKIP_ENV=production")

_hosts = os.environ.get("NAKIP_ALLOWED_HOSTS", "")
if _hosts.strip():
    ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
elif PRODUCTION:
    raise ImproperlyConfigured("NAKIP_ENV=production needs NAKIP_ALLOWED_HOSTS")
else:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "simple_history",
    "axes",
    "csp",
    "nakip.edc.apps.EDCConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "nakip.edc.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # one transaction per writing request (reads run without: never wait for a writer)
    "nakip.edc.write_transactions.WriteTransactionMiddleware",
]

ROOT_URLCONF = "nakip.edc.urls"
WSGI_APPLICATION = "nakip.edc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # template tags of the web pages (they live in nakip.edc.web, not in the app root)
            "libraries": {"edc_tags": "nakip.edc.web.templatetags.edc_tags"},
        },
    },
]

# --------------------------------------------------------------------------- database
_db_url = os.environ.get("NAKIP_DATABASE_URL", "").strip()
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "nakip.sqlite3")}
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Single-site SQLite (docs/operations.md): WAL lets pages read while one request writes;
    # writers take the lock when their transaction begins (IMMEDIATE) and queue for up to
    # NAKIP_SQLITE_BUSY_TIMEOUT seconds, after which the request answers 503 + Retry-After.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": float(os.environ.get("NAKIP_SQLITE_BUSY_TIMEOUT", "10")),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
        }
    )
# Writing requests get one transaction each from WriteTransactionMiddleware (reads none).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------- authentication
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Login throttling (django-axes): 5 failures lock the username+IP for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("NAKIP_AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "edc/lockout.html"  # a page that says why and for how long
AXES_ENABLED = _flag("NAKIP_AXES_ENABLED", default=True)
# Behind a reverse proxy: its address(es), so the lockout keys on the real client address
# taken from X-Forwarded-For (docs/operations.md). Empty: the TCP peer is the client.
NAKIP_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("NAKIP_TRUSTED_PROXIES", "").split(",") if p.strip()
]
AXES_CLIENT_IP_CALLABLE = "nakip.edc.client_address.client_ip"
# Keep failed logins after a successful one: the administrator's login history shows both.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Sessions: 30 minutes of inactivity, gone when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _flag("NAKIP_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("NAKIP_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    _csrf = os.environ.get("NAKIP_CSRF_TRUSTED_ORIGINS", "")
    CSRF_TRUSTED_ORIGINS = [o.strip() for o in _csrf.split(",") if o.strip()]

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the EDC itself
# only; no inline script, no framing, forms post back to the EDC.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Oversized payloads are refused (HTTP 400) before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --------------------------------------------------------------------------- static files
STATIC_URL = "/static/"
# collectstatic target; in development WhiteNoise serves straight from the apps' static folders.
STATIC_ROOT = os.environ.get("NAKIP_STATIC_ROOT") or (
    str(DATA_DIR / "static") if PRODUCTION else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --------------------------------------------------------------------------- REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NAKIP EDC API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "nakip.edc.api.docs.document_error_responses",
        "nakip.edc.api.links.add_links",
    ],
}

# --------------------------------------------------------------------------- audit trail
# The reason for change is a text column of every history table: stored whole, never cut
# (services.MAX_REASON_LENGTH refuses longer reasons with a 400 instead).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --------------------------------------------------------------------------- misc
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("NAKIP_TIME_ZONE", "Europe/Berlin")
USE_I18N = False
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The protocol file the EDC runs (packaged NAKIP-AML protocol when unset).
NAKIP_PROTOCOL_FILE = os.environ.get("NAKIP_PROTOCOL_FILE") or None
