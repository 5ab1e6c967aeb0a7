"""Periodic jobs of the fast-track pathway (Huey): adapters that call one service each."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from parcours.fasttrack import services


@db_periodic_task(crontab(minute="*/15"))
def release_sanctuarised_slots() -> int:
    """Give the unused sanctuarised slots back N hours (per resource, default 48) before they start."""
    return services.slots_release_due()


@db_periodic_task(crontab(minute="5", hour="*"))
def pathology_overdue() -> int:
    return services.pathology_overdue_scan()


@db_periodic_task(crontab(minute="10", hour="*"))
def discharge_overdue() -> int:
    return services.discharge_overdue_scan()


@db_periodic_task(crontab(minute="30", hour="7-19"))
def first_day_letters() -> int:
    return services.first_day_letters_send()
