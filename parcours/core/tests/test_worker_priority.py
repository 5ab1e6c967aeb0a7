"""The background worker lowers its own CPU priority when it starts (PARCOURS_WORKER_NICE)."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from django.test import override_settings

from parcours.core.tasks import lower_worker_priority


def _niceness_after_startup(conn) -> None:  # type: ignore[no-untyped-def]
    lower_worker_priority()
    conn.send(os.nice(0))
    conn.close()


@pytest.mark.parametrize("step", [0, 10])
def test_the_worker_runs_its_tasks_below_the_web_processes_priority(step: int) -> None:
    start = os.nice(0)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    with override_settings(PARCOURS_WORKER_NICE=step):
        proc = ctx.Process(target=_niceness_after_startup, args=(child,))
        proc.start()
        proc.join(10)
    assert parent.recv() == min(start + step, 19)
    assert os.nice(0) == start  # the caller's own priority is untouched
