"""Background tasks (Huey): adapters that call one service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from parcours.logistics import services


@db_task()
def plan_run_task(run_id: int) -> None:
    services.plan_run_execute(run_id=run_id)
