"""Background tasks (Huey): adapters that call one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parcours.notifications import services


@db_task()
def notification_send_task(notification_id: int) -> None:
    services.notification_send(notification_id=notification_id)


@db_task()
def notification_send_batch_task(notification_ids: list[int]) -> None:
    """Several messages in one task (an alert's recipients): fewer round trips through the queue. A worker
    that dies in the middle leaves the rest pending: the sweep queues them again."""
    services.notification_send_many(notification_ids=notification_ids)


@db_periodic_task(crontab(minute="*"))
def notification_sweep_task() -> None:
    """Every minute: retries that are due, rows a dead worker left in ``sending``, lost first tasks."""
    services.notification_requeue_due()
