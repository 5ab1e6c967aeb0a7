"""Test settings: the real database (SQLite file or DATABASE_URL), fast hashing."""

from config.settings.base import *  # noqa: F403
from config.settings.env import env_str

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "test-only-key-not-secret-0123456789abcdef")
from huey import MemoryHuey  # noqa: E402

HUEY = MemoryHuey("parcours-test", immediate=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Outgoing messages stay in memory (django.core.mail.outbox); SMS go to a throw-away log directory.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PARCOURS_SMS_DIR = VAR_DIR / "test" / "sms"  # noqa: F405
