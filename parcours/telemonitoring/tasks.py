"""Background tasks (Huey): adapters that call one service. Timers live in the database (see services)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parcours.telemonitoring import schedules, services

log = logging.getLogger(__name__)


@db_task()
def alert_notify_task(alert_id: int) -> None:
    services.alert_notify(alert_id=alert_id)


@db_periodic_task(crontab(minute="*"))
def telemonitoring_sweep_task() -> None:
    """Every minute: pending notifications and due escalations (the durable timers), untriaged observations."""
    services.alert_sweep()
    services.observations_sweep()


@db_periodic_task(crontab(minute="*/15"))
def telemonitoring_schedule_task() -> None:
    """Every 15 minutes: create due questionnaires and send their links, remind, raise missed-questionnaire tasks."""
    schedules.schedule_sweep()
