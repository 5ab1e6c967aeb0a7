"""Settings shared by every environment. Nothing hospital-specific lives here."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import NamedTuple

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PARCOURS_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "parcours.core",
    "parcours.accounts",
    "parcours.audit",
    "parcours.notifications",
    "parcours.patients",
    "parcours.links",
    "parcours.clinical",
    "parcours.pathways",
    "parcours.logistics",
    "parcours.learning",
    "parcours.telemonitoring",
    "parcours.cures",
    "parcours.fasttrack",
    "parcours.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "parcours.web.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "parcours.audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "parcours.web.context.navigation",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL", "")
    if url:
        try:
            cfg = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
        if cfg.get("ENGINE") not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
            raise ImproperlyConfigured("DATABASE_URL: only postgresql:// and sqlite:// are supported")
        return cfg
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "parcours.sqlite3"),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "parcours" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic (demo, tests)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


# Background work (ADR 0005): Huey. Embedded default: a SQLite file next to the database; set
# PARCOURS_REDIS_URL (redis://host:6379/0) to share the queue between machines. PARCOURS_TASKS_IMMEDIATE runs
# tasks inline (tests).
def _huey() -> object:
    from huey import RedisHuey, SqliteHuey

    immediate = env_bool("PARCOURS_TASKS_IMMEDIATE", False)
    redis_url = env_str("PARCOURS_REDIS_URL", "")
    if redis_url:
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ImproperlyConfigured("PARCOURS_REDIS_URL: expected redis://host:port/db")
        return RedisHuey("parcours", url=redis_url, immediate=immediate)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("parcours", filename=str(VAR_DIR / "tasks.sqlite3"), immediate=immediate)


HUEY = _huey()


# Cache (rendered fragments such as the IDEC queue's alert cards; nothing that must survive a restart): the
# Redis of PARCOURS_REDIS_URL when set, so that every web process shares it; else each process keeps its own.
def _caches() -> dict[str, dict[str, object]]:
    redis_url = env_str("PARCOURS_REDIS_URL", "")
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "parcours",
                "TIMEOUT": 3600,
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "parcours",
            "TIMEOUT": 3600,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }


CACHES = _caches()


# Outgoing e-mail and SMS (ADR 0006). With PARCOURS_SMTP_HOST unset, nothing leaves the machine: e-mails are
# written as files under var/mail/ (Django's file backend) and SMS as JSON lines under var/sms/.
# PARCOURS_SMTP_TLS: starttls (default, port 587), ssl (implicit TLS, port 465) or none (a relay on a
# trusted network, port 25). The password may come from PARCOURS_SMTP_PASSWORD_FILE.
class _Email(NamedTuple):
    backend: str
    host: str
    port: int
    user: str
    password: str
    use_tls: bool
    use_ssl: bool
    from_email: str


_SMTP_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _email() -> _Email:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from_email = env_str("PARCOURS_MAIL_FROM", "Parcours <ne-pas-repondre@parcours.localhost>")
    _name, address = parseaddr(from_email)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ImproperlyConfigured(
            f"PARCOURS_MAIL_FROM: expected an address (or 'Name <address>'), got {from_email!r}"
        ) from exc
    host = env_str("PARCOURS_SMTP_HOST", "").strip()
    user = env_str("PARCOURS_SMTP_USER", "")
    password = env_str("PARCOURS_SMTP_PASSWORD", "")
    tls = env_str("PARCOURS_SMTP_TLS", "starttls").strip().lower()
    if tls not in _SMTP_DEFAULT_PORTS:
        raise ImproperlyConfigured(f"PARCOURS_SMTP_TLS: expected starttls, ssl or none, got {tls!r}")
    raw_port = env_str("PARCOURS_SMTP_PORT", "").strip()
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise ImproperlyConfigured(f"PARCOURS_SMTP_PORT: expected a port number, got {raw_port!r}")
        port = int(raw_port)
    else:
        port = _SMTP_DEFAULT_PORTS[tls]
    if bool(user) != bool(password):
        raise ImproperlyConfigured("PARCOURS_SMTP_USER and PARCOURS_SMTP_PASSWORD go together")
    if not host:
        if user or raw_port:
            raise ImproperlyConfigured("PARCOURS_SMTP_PORT/USER/PASSWORD need PARCOURS_SMTP_HOST")
        backend = "django.core.mail.backends.filebased.EmailBackend"
    else:
        backend = "django.core.mail.backends.smtp.EmailBackend"
    return _Email(backend, host, port, user, password, tls == "starttls", tls == "ssl", from_email)


_EMAIL = _email()
EMAIL_BACKEND = _EMAIL.backend
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = _EMAIL.host or "localhost"
EMAIL_PORT = _EMAIL.port
EMAIL_HOST_USER = _EMAIL.user
EMAIL_HOST_PASSWORD = _EMAIL.password
EMAIL_USE_TLS = _EMAIL.use_tls
EMAIL_USE_SSL = _EMAIL.use_ssl
EMAIL_TIMEOUT = 30  # seconds: a hung relay must not hold a worker forever (the outbox retries)
DEFAULT_FROM_EMAIL = SERVER_EMAIL = _EMAIL.from_email
# SMS: a class with send(*, to, body, reference) -> provider id (parcours.notifications.channels.SmsGateway).
PARCOURS_SMS_GATEWAY = env_str("PARCOURS_SMS_GATEWAY", "parcours.notifications.channels.LogSmsGateway")
PARCOURS_SMS_DIR = VAR_DIR / "sms"

# The audit table refuses UPDATE/DELETE through database triggers. Only browser tests, whose database is
# flushed between tests, turn this off (their own pytest run); production must keep it on.
PARCOURS_AUDIT_DB_GUARD = env_bool("PARCOURS_AUDIT_DB_GUARD", True)
# CPU priority of the background worker below the web processes (nice increment; 0 keeps it equal).
PARCOURS_WORKER_NICE = env_int("PARCOURS_WORKER_NICE", 10, low=0, high=19)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PARCOURS_LOG_LEVEL", "WARNING")},
}
