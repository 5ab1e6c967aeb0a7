"""Background worker set-up shared by every app's tasks (Huey)."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from huey.contrib.djhuey import on_startup

log = logging.getLogger(__name__)


@on_startup()
def lower_worker_priority() -> None:
    """Give the web processes the CPU first (ADR 0014): background work (notifications, syntheses, sweeps)
    runs at ``PARCOURS_WORKER_NICE`` (default 10). During a burst of questionnaire submissions the worker
    would otherwise take a third of the cores for the alerts' e-mails and SMS while the submissions that
    make the alerts visible are still waiting; niced, it runs as soon as the cores are free (a second
    later at most in the benchmark). Linux applies it to the worker thread that runs the tasks."""
    step = int(getattr(settings, "PARCOURS_WORKER_NICE", 0))
    if step > 0 and hasattr(os, "nice"):
        try:
            os.nice(step)
        except OSError:  # pragma: no cover - not allowed here: keep the default priority
            log.warning("could not lower the worker's priority by %d", step)
