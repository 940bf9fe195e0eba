"""Settings for the tracker: one module, configured by the environment.

DATABASE_URL  unset: SQLite file next to manage.py; postgres://user@host:port/name: PostgreSQL.
SECRET_KEY    required when DEBUG is off.
DEBUG         "1"/"true" turns on development mode (default: off, production-safe).
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS  comma-separated.
SECURE_SSL    "1" when the site is served over HTTPS (turns on HSTS and the SSL redirect).
EMAIL_URL     smtp://user:password@host:587 (STARTTLS), smtps://…:465 (TLS), console://, locmem://;
              or EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD / EMAIL_USE_TLS.
DEFAULT_FROM_EMAIL  the sender of every e-mail.
"""

import datetime
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def email_from_url(url: str) -> dict:
    """Translate EMAIL_URL into Django's EMAIL_* settings."""
    parts = urlsplit(url)
    backends = {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not supported.")
    settings = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme.startswith("smtp"):
        settings.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=parts.scheme == "smtp" and parts.port != 25,
        )
    return settings


def database_from_url(url: str) -> dict:
    """Translate DATABASE_URL into a DATABASES entry (SQLite when empty)."""
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "tracker",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Persistent connections, checked before reuse so a restarted server is survived.
            "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
            # No JIT: it compiles the reports' aggregate queries anew on every request (25 ms
            # of a 100 ms chart on the bench), and no query here runs long enough to repay it.
            "OPTIONS": {"connect_timeout": 5, "options": "-c jit=off"},
        }
    if parts.scheme == "sqlite":
        # sqlite:////abs/path.db is absolute, sqlite:///name.db relative, sqlite:// in memory.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": unquote(parts.path[1:]) or ":memory:",
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported.")


# A covering index (INCLUDE) serves the board's column totals on PostgreSQL; SQLite, which
# has no such indexes, simply builds it without the extra columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEBUG = env_bool("DEBUG")
# Under pytest the production defaults stay on, except what plain-HTTP test servers cannot do.
TESTING = "pytest" in sys.modules or env_bool("TESTING")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if TESTING:
        SECRET_KEY = "tests-only-secret-key-" + "x" * 40
    elif not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

# In DEBUG, local requests get `debug` in templates (the login page shows the demo accounts).
INTERNAL_IPS = ["127.0.0.1", "::1"] if DEBUG else []
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The backlog's "Rank by score" and "Move selected" post up to 1,000 issue numbers at once
# (planning.views.BULK_LIMIT); Django's default refuses more than 1,000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2500

INSTALLED_APPS = [
    "tracker.apps.TrackerAdminConfig",  # django.contrib.admin, with the site of admin_site.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "template_partials",
    "axes",
    "issues",
    "boards",
    "notifications",
    "planning",
    "projects",
    "reports",
    "intake",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # HTML compressed (issue 17: a 1,000-issue board is about 5 times smaller). BREACH is
    # mitigated: Django masks the CSRF token differently in every response.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that may touch the database, so that even the 503 page gets the headers.
    "tracker.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # NUL characters are bad input (400) before any view or database sees them.
    "tracker.middleware.BadInputMiddleware",
    "tracker.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Pages for a signed-in person are theirs alone: no shared or back-button copies.
    "tracker.middleware.PrivatePagesMiddleware",
    # Last, as django-axes asks: answers a locked-out log-in with its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "issues.context_processors.navigation",
                "notifications.inbox.context",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", ""))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Log-in throttling (django-axes): failures are counted in the database, so every process sees
# them. After AXES_FAILURE_LIMIT wrong passwords in a row for one username, or from one IP
# address, logging in is refused (even with the right password) for AXES_COOLOFF_TIME; a
# success resets the count, so someone who mistypes twice never notices.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, loading the signed-in user's profile (avatar colour) in the same query.
    "accounts.backends.ProfileBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tracker.middleware.locked_out"
AXES_VERBOSE = False
# Password reset requests per hour, per e-mail address and per client IP address.
PASSWORD_RESET_PER_EMAIL = int(os.environ.get("PASSWORD_RESET_PER_EMAIL", "3"))
PASSWORD_RESET_PER_IP = int(os.environ.get("PASSWORD_RESET_PER_IP", "20"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and the live server find static files without running collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Security: safe by default, relaxed only in DEBUG.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Load balancers check health over plain HTTP, without the proxy's X-Forwarded-Proto.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if not DEBUG:
    # Cookies are HTTPS-only unless told otherwise (tests run on plain HTTP).
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not TESTING)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # SECURE_SSL=1 says the site is served over HTTPS (directly or behind a proxy).
    if env_bool("SECURE_SSL"):
        SECURE_SSL_REDIRECT = True
        SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        # Preloading is a decision for the site owner, not a default.
        if not SECURE_HSTS_PRELOAD:
            SILENCED_SYSTEM_CHECKS.append("security.W021")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Who may create projects from the project list: "everyone" signed in, or "staff" only.
PROJECT_CREATION = os.environ.get("PROJECT_CREATION", "everyone").strip().lower()
if PROJECT_CREATION not in {"everyone", "staff"}:
    raise ImproperlyConfigured('PROJECT_CREATION is "everyone" or "staff".')

# The board polls for teammates' changes this often (milliseconds).
BOARD_POLL_INTERVAL_MS = int(os.environ.get("BOARD_POLL_INTERVAL_MS", "10000"))

# Per-process memory caches (nothing shared between processes: a miss just does the work).
# "boards" holds rendered boards (boards/cache.py), about 0.5 MB each for a 200-card board:
# bounded so that a worker's memory stays flat.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "boards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "boards",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 64},
    },
}

# Background work runs on a real queue: tasks are rows in the project's database, run by
# `manage.py db_worker` processes (any number of them, on any machine; see the README).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# E-mail: SMTP from the environment in production; printed to the console in development.
# (Tests get Django's locmem backend from the test runner, whatever is set here.)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tracker <tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
if os.environ.get("EMAIL_URL"):
    globals().update(email_from_url(os.environ["EMAIL_URL"]))
elif os.environ.get("EMAIL_HOST"):
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Changes to one issue within this many seconds are one notification e-mail (shorter in
# development, so that `make run` shows a mention's e-mail soon).
NOTIFICATION_BATCH_SECONDS = int(
    os.environ.get("NOTIFICATION_BATCH_SECONDS", "20" if DEBUG else "300")
)
# The hour (0-23, in TIME_ZONE) at which the worker sends the daily digests.
NOTIFICATION_DIGEST_HOUR = int(os.environ.get("NOTIFICATION_DIGEST_HOUR", "7"))
# The absolute address of the site, for links in e-mails (no request to build them from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Intake's rate limits (intake.ratelimit.DEFAULT_LIMITS), overridden per bucket from the
# environment: INTAKE_RATE_LIMITS="api-key=1200/60,widget-ip=60/60" (hits / seconds).
INTAKE_RATE_LIMITS = {
    name.strip(): (int(hits), int(seconds))
    for name, _, limit in (
        item.partition("=") for item in os.environ.get("INTAKE_RATE_LIMITS", "").split(",")
    )
    if name.strip()
    for hits, _, seconds in [limit.partition("/")]
}
