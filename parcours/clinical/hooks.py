"""Callbacks run after observations are committed (the telemonitoring app registers the triage here).

A hook that fails is logged and does not undo the recording: the observation stays with ``triaged_at`` empty,
and ``selectors.untriaged`` lets a periodic sweep catch it up, so nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

ObservationsHook = Callable[[int, list[int]], None]
_HOOKS: list[ObservationsHook] = []


def on_observations_recorded(callback: ObservationsHook) -> None:
    """Register ``callback(patient_id, observation_ids)``; registering the same callback twice is harmless."""
    if callback not in _HOOKS:
        _HOOKS.append(callback)


def run_hooks(patient_id: int, observation_ids: list[int]) -> None:
    for hook in list(_HOOKS):
        try:
            hook(patient_id, observation_ids)
        except Exception:  # a hook must not lose the recorded data; the sweep retries
            log.exception("observation hook %r failed for patient %s", hook, patient_id)
