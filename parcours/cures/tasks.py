"""Background tasks (Huey): adapters that call one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parcours.core import clock
from parcours.cures import services, synthesis


@db_task()
def synthesis_run_task(run_id: int) -> None:
    synthesis.synthesis_run_execute(run_id=run_id)


@db_periodic_task(crontab(minute="*/15"))
def open_lab_windows_task() -> None:
    services.cures_open_lab_windows()


@db_periodic_task(crontab(hour="20", minute="30"))
def daily_synthesis_task() -> None:
    """Every evening: the day's syntheses (a run that already exists for the day is left alone)."""
    from parcours.cures.models import SynthesisRun

    day = clock.today()
    if not SynthesisRun.objects.filter(date=day).exists():
        run = SynthesisRun.objects.create(date=day)
        synthesis.synthesis_run_execute(run_id=run.pk)
