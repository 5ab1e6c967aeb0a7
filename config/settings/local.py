"""Local demo / development settings: SQLite by default, debug on, a fixed dev secret."""

from config.settings.base import *  # noqa: F403
from config.settings.env import env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
