"""Background tasks (Huey): adapters that call one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parcours.notifications import services


@db_task()
def notification_send_task(notification_id: int) -> None:
    services.notification_send(notification_id=notification_id)


@db_periodic_task(crontab(minute="*"))
def notification_sweep_task() -> None:
    """Every minute: retries that are due, rows a dead worker left in ``sending``, lost first tasks."""
    services.notification_requeue_due()
