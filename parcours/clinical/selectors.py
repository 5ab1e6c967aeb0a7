"""Reading observations (callers have already passed the patient access gate)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from parcours.clinical.models import Observation
from parcours.patients.models import Patient


def observations_for(
    patient: Patient,
    *,
    kind: str | None = None,
    codes: Iterable[str] | None = None,
    since: dt.datetime | None = None,
) -> QuerySet[Observation]:
    qs = Observation.objects.filter(patient=patient)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    if since is not None:
        qs = qs.filter(observed_at__gte=since)
    return qs.order_by("-observed_at", "-id")


def latest_by_code(
    patient: Patient, *, kind: str, since: dt.datetime | None = None
) -> dict[str, Observation]:
    """The most recent observation of each code (one query; the per-code index keeps it short)."""
    latest: dict[str, Observation] = {}
    for obs in observations_for(patient, kind=kind, since=since):
        latest.setdefault(obs.code, obs)
    return latest


def untriaged(limit: int = 500, *, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> list[Observation]:
    """Observations whose triage hook has not run (or failed), oldest first, for the sweep."""
    from parcours.core import clock

    cutoff = clock.now() - older_than
    return list(
        Observation.objects.filter(triaged_at__isnull=True, recorded_at__lte=cutoff).order_by("recorded_at")[
            :limit
        ]
    )
