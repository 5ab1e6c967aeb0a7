"""Where the day's home visits come from: sources registered by the apps that know them.

Logistics sits below the apps that hold the care to give at home (``cures`` for the home cures, later
education for ETP sessions, …): it cannot import them. Each of those apps registers a *visit source* in its
``AppConfig.ready`` with :func:`register_visit_source`; ``services.visits_gather`` asks every source for an
HAD and a date and creates the missing :class:`~parcours.logistics.models.HomeVisit` rows. Same pattern as
``telemonitoring.schedules.register_cure_dates_provider``.

A source answers :class:`VisitProposal` objects: plain data, no model instance, so that the source decides
*what* is to be done and logistics alone decides what gets written (checks, idempotency, audit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parcours.accounts.models import Organisation


@dataclass(frozen=True)
class VisitProposal:
    """One visit a source asks to plan on a date for an HAD.

    ``source_ref`` is stable across calls (e.g. ``cure:<cure external id>``): gathering twice finds the visit
    already there by it. ``problem`` (non-empty) means the source knows the visit cannot be planned as it
    stands (e.g. the bag is blocked): the gathering reports it with that reason and creates nothing.
    """

    source_ref: str
    patient_id: int  # Patient primary key
    kind: str  # a logistics.enums.VisitKind value
    window_start: dt.time
    window_end: dt.time
    duration_min: int
    skills: tuple[str, ...]
    label: str  # what the planner reads in the report (in the active language)
    bag_pharmacy_id: int | None = None  # Organisation (PUI) primary key: the nurse collects the bag there
    bag_ready: dt.time | None = None
    bag_stability_min: int | None = None  # the administration starts at the latest bag_ready + this
    problem: str = ""


VisitSource = Callable[[Organisation, dt.date], Sequence[VisitProposal]]
_sources: dict[str, VisitSource] = {}


def register_visit_source(name: str, source: VisitSource) -> None:
    """Register ``source(had, date) -> proposals`` under ``name`` (registering a name again replaces it)."""
    _sources[name] = source


def visit_sources() -> dict[str, VisitSource]:
    """The registered sources, by name, in registration order."""
    return dict(_sources)
