"""Guanxi settings: everything comes from GUANXI_* environment variables.

Defaults are safe for the embedded demo (SQLite in GUANXI_DATA_DIR, DEBUG off,
localhost only). Helpers below fail loudly on a malformed value instead of
silently falling back.
"""

import os
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(f"GUANXI_{name}", default)


def env_bool(name, default=False):
    raw = env(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"GUANXI_{name} must be true or false, not {raw!r}")


def env_int(name, default):
    raw = env(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"GUANXI_{name} must be a whole number, not {raw!r}") from None


def env_float(name, default, low, high):
    raw = env(name, "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"GUANXI_{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"GUANXI_{name} must be between {low} and {high}, not {raw!r}")
    return value


def env_list(name, default):
    raw = env(name, "")
    return [item.strip() for item in raw.split(",") if item.strip()] or default


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
UPLOADS_DIR = DATA_DIR / "uploads"
REJECTS_DIR = DATA_DIR / "rejects"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY", "")
if not SECRET_KEY:
    # The embedded default keeps a random key in the data folder so sessions
    # survive restarts without any secret living in the repository.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.utils.crypto import get_random_string

        key_file.write_text(get_random_string(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves Swagger UI from local static files instead of a CDN
    "django_htmx",
    "huey.contrib.djhuey",
    "guanxi.core",
    "guanxi.accounts",
    "guanxi.customers",
    "guanxi.commerce",
    "guanxi.imports",
    "guanxi.insights",
    "guanxi.segments",
    "guanxi.campaigns",
    "guanxi.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "guanxi.core.middleware.reject_nul_bytes",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "guanxi.urls"
WSGI_APPLICATION = "guanxi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guanxi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_settings():
    url = env("DATABASE_URL", "")
    # WAL + IMMEDIATE transactions + a busy timeout let the web server,
    # the worker and an import write side by side without "database is locked".
    sqlite_options = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-64000; PRAGMA foreign_keys=ON;"
        ),
    }
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "guanxi.sqlite3",
            "OPTIONS": sqlite_options,
            "TEST": {"NAME": env("TEST_SQLITE_NAME", "") or None},
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=60)
    except ValueError as exc:
        raise ImproperlyConfigured(f"GUANXI_DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        config["OPTIONS"] = {**sqlite_options, **config.get("OPTIONS", {})}
    return config


DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env("LANGUAGE", "en")
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "guanxi" / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# plotly's bundled plotly.min.js, served as static/plotly/plotly.min.js (no CDN: works offline).
# (found without importing plotly, which takes 0.2 s)
STATICFILES_DIRS = [BASE_DIR / "guanxi" / "static",
                    ("plotly", Path(find_spec("plotly").submodule_search_locations[0]) / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (tests, development) whitenoise finds files in the apps.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = UPLOADS_DIR
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The reporting currency all money is summed in on dashboards.
# Exchange rates (reports.ExchangeRate, in the admin) give each currency's value in it.
REPORTING_CURRENCY = env("REPORTING_CURRENCY", "CNY").strip().upper()
if not (len(REPORTING_CURRENCY) == 3 and REPORTING_CURRENCY.isascii() and REPORTING_CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"GUANXI_REPORTING_CURRENCY must be a three-letter currency code, not {REPORTING_CURRENCY!r}")
# The default source name for imports when none is given.
DEFAULT_SOURCE = env("DEFAULT_SOURCE", "shop")
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 2000)

# Customer analytics (docs/analytics.md): the RFM window, the CLV horizon, the
# yearly discount rate and gross margin CLV is computed with, recommendations
# kept per customer, and the hour (shop time) of the nightly analysis.
GUANXI_ANALYTICS = {
    "rfm_window_days": env_int("RFM_WINDOW_DAYS", 365),
    "horizon_days": env_int("CLV_HORIZON_DAYS", 365),
    "discount_rate": env_float("CLV_DISCOUNT_RATE", 0.10, 0.0, 1.0),
    "margin": env_float("CLV_MARGIN", 1.0, 0.0, 1.0),
    "recommendations": env_int("RECOMMENDATIONS", 10),
}
ANALYZE_AT_HOUR = env_int("ANALYZE_AT_HOUR", 2)
# Saved segments are refreshed nightly at HH:30 (shop time), and after every analysis.
SEGMENTS_REFRESH_AT_HOUR = env_int("SEGMENTS_REFRESH_AT_HOUR", 3)

# Background work: the django.tasks API, executed by huey. Embedded default keeps
# the queue in its own SQLite file; set GUANXI_REDIS_URL to scale out.
TASKS_IMMEDIATE = env_bool("TASKS_IMMEDIATE", False)
if env("REDIS_URL", ""):
    HUEY = {"huey_class": "huey.RedisHuey", "url": env("REDIS_URL"), "immediate": TASKS_IMMEDIATE}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": TASKS_IMMEDIATE,
    }
HUEY["name"] = "guanxi"
# Periodic tasks (the nightly analysis) follow the shop's clock: Django sets the
# process time zone to TIME_ZONE, and huey reads local time when utc is off.
HUEY["utc"] = False
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    # The worker (run_huey) gives huey its own handler; without this every line prints twice.
    "loggers": {"huey": {"level": "INFO", "propagate": False}},
}

# Messages. E-mail goes through SMTP (Django's backend); the embedded demo writes
# messages to files under GUANXI_DATA_DIR/outbox instead unless an SMTP host is set.
SMTP_HOST = env("SMTP_HOST", "")
if SMTP_HOST:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {
        "host": SMTP_HOST,
        "port": env_int("SMTP_PORT", 25),
        "username": env("SMTP_USER", "") or None,
        "password": env("SMTP_PASSWORD", "") or None,
        "use_tls": env_bool("SMTP_STARTTLS", False),
        "timeout": env_int("SMTP_TIMEOUT", 30),
    }}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "OPTIONS": {"file_path": str(DATA_DIR / "outbox")}}}
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", "shop@example.com")
GUANXI_MESSAGING = {
    # Links in messages (tracking pixel, clicks, unsubscribe) start with this address.
    "public_url": env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    # At most this many marketing messages per customer in this many days, all channels together.
    "budget_messages": env_int("CONTACT_BUDGET_MESSAGES", 2),
    "budget_days": env_int("CONTACT_BUDGET_DAYS", 7),
    # No marketing between these hours of the customer's own clock (start > end wraps midnight).
    "quiet_start": env_int("QUIET_HOURS_START", 21),
    "quiet_end": env_int("QUIET_HOURS_END", 9),
    # An order this many days after an open or click is credited to the message.
    "attribution_days": env_int("ATTRIBUTION_DAYS", 5),
    "max_attempts": env_int("SEND_MAX_ATTEMPTS", 5),
    "lease_seconds": env_int("SEND_LEASE_SECONDS", 120),
    # SMS and WeChat through HTTP providers (see docs/channels.md); empty: written to files like e-mail.
    "sms_url": env("SMS_PROVIDER_URL", ""),
    "sms_token": env("SMS_PROVIDER_TOKEN", ""),
    "wechat_url": env("WECHAT_URL", ""),
    "wechat_token": env("WECHAT_TOKEN", ""),
    "webhook_secret": env("WEBHOOK_SIGNING_SECRET", ""),
}
