"""Background tasks (Huey): adapters that call one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from parcours.learning import services


@db_periodic_task(crontab(hour="7", minute="5"))
def training_expiry_reminders_task() -> None:
    """Every morning: remind professionals whose qualification ends within 60 days (once per expiry)."""
    services.expiry_reminders_send()
