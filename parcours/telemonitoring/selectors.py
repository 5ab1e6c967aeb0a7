"""Reads of the telemonitoring app (no writes, no audit here: callers audit what they show)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from parcours.patients.models import Patient
from parcours.telemonitoring.enums import AlertStatus, HoldStatus, TaskStatus
from parcours.telemonitoring.models import Alert, TreatmentHold, TriageAssessment, WorkTask
from parcours.treatments.ok_gate import TriageSummary

LEVEL_ORDER = {"urgent": 0, "same_day": 1, "routine": 2, "none": 3}


@dataclass(frozen=True)
class GateStatus:
    """What the cure OK gate (clinical-rules A.3) needs from telemonitoring.

    ``latest_triage``: the patient's latest triage, or None if never triaged. Its ``hold_treatment`` is
    **the hold as the gate must see it**: true while any hold is open, i.e. raised by a triage (this one or
    an earlier one) and not yet lifted by a doctor's review; false once a doctor has lifted it, even if the
    latest triage itself said hold (the review is the point of the hold, clinical-rules A.1 rule 6).
    ``open_alert_levels``: levels of the alerts not closed (open or acknowledged), worst first.
    ``hold_open`` / ``hold_reason``: the open hold and its reasons in French ("" when none).
    """

    latest_triage: TriageSummary | None
    open_alert_levels: tuple[str, ...]
    hold_open: bool
    hold_reason: str


def open_hold(patient: Patient) -> TreatmentHold | None:
    return TreatmentHold.objects.filter(patient=patient, status=HoldStatus.OPEN).order_by("-opened_at").first()


def latest_assessment(patient: Patient) -> TriageAssessment | None:
    return TriageAssessment.objects.filter(patient=patient).order_by("-assessed_at", "-id").first()


def gate_status(patient: Patient) -> GateStatus:
    """Telemonitoring's part of the pre-infusion gate, for ``treatments.ok_gate.evaluate_ok``."""
    latest = (
        TriageAssessment.objects.filter(patient=patient)
        .order_by("-assessed_at", "-id")
        .values("assessed_at", "max_grade")
        .first()
    )
    hold = open_hold(patient)
    levels = sorted(
        Alert.objects.filter(patient=patient).exclude(status=AlertStatus.CLOSED).values_list("level", flat=True),
        key=lambda level: LEVEL_ORDER.get(level, 9),
    )
    summary = (
        TriageSummary(
            hold_treatment=hold is not None,
            assessed_at=latest["assessed_at"],
            max_grade=latest["max_grade"],
        )
        if latest is not None
        else None
    )
    return GateStatus(
        latest_triage=summary,
        open_alert_levels=tuple(levels),
        hold_open=hold is not None,
        hold_reason=hold.reason_text if hold is not None else "",
    )


def open_alerts(patient: Patient) -> QuerySet[Alert]:
    return Alert.objects.filter(patient=patient).exclude(status=AlertStatus.CLOSED)


def queue_alerts(patients: QuerySet[Patient]) -> list[Alert]:
    """Alerts not closed for these patients, worst level first then oldest first."""
    rows = list(
        Alert.objects.filter(patient__in=patients)
        .exclude(status=AlertStatus.CLOSED)
        .select_related("patient", "assessment", "acknowledged_by")
    )
    rows.sort(key=lambda a: (LEVEL_ORDER.get(a.level, 9), a.status != AlertStatus.OPEN, a.opened_at))
    return rows


def queue_tasks(patients: QuerySet[Patient]) -> QuerySet[WorkTask]:
    return (
        WorkTask.objects.filter(patient__in=patients, status=TaskStatus.OPEN)
        .select_related("patient")
        .order_by("due_at", "id")
    )
