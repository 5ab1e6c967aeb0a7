"""Reads of the telemonitoring app (no writes, no audit here: callers audit what they show)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, QuerySet, Value, When

from parcours.core import clock
from parcours.patients.models import Patient
from parcours.telemonitoring.charts import Chart, Point
from parcours.telemonitoring.enums import AlertStatus, HoldStatus, TaskStatus
from parcours.telemonitoring.models import (
    Alert,
    MonitoringPlan,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    TreatmentHold,
    TriageAssessment,
    WorkTask,
)
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
    return (
        TreatmentHold.objects.filter(patient=patient, status=HoldStatus.OPEN).order_by("-opened_at").first()
    )


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
        Alert.objects.filter(patient=patient)
        .exclude(status=AlertStatus.CLOSED)
        .values_list("level", flat=True),
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


def queue_alerts(patients: QuerySet[Patient], *, limit: int | None = None) -> list[Alert]:
    """Alerts not closed for these patients: urgent first, then same day; unacknowledged before acknowledged;
    oldest first. ``limit`` keeps the page light (the count of the rest is shown)."""
    rows = (
        Alert.objects.filter(patient__in=patients)
        .exclude(status=AlertStatus.CLOSED)
        .select_related("patient", "assessment", "acknowledged_by")
        .annotate(
            rank=Case(
                When(level="urgent", then=Value(0)), When(level="same_day", then=Value(1)), default=Value(2)
            ),
            acked=Case(When(status=AlertStatus.OPEN, then=Value(0)), default=Value(1)),
        )
        .order_by("rank", "acked", "opened_at", "id")
    )
    return list(rows[:limit] if limit is not None else rows)


def queue_alert_count(patients: QuerySet[Patient]) -> int:
    return Alert.objects.filter(patient__in=patients).exclude(status=AlertStatus.CLOSED).count()


def queue_tasks(patients: QuerySet[Patient]) -> QuerySet[WorkTask]:
    return (
        WorkTask.objects.filter(patient__in=patients, status=TaskStatus.OPEN)
        .select_related("patient")
        .order_by("due_at", "id")
    )


# ------------------------------------------------------------------------------------ patient page


@dataclass(frozen=True)
class PatientMonitoring:
    plan: MonitoringPlan | None
    latest: TriageAssessment | None
    assessments: list[TriageAssessment]
    alerts: list[Alert]
    hold: TreatmentHold | None
    holds: list[TreatmentHold]
    tasks: list[WorkTask]
    assignments: list[QuestionnaireAssignment]
    responses: list[QuestionnaireResponse]
    charts: list[Chart]


KEY_LABS = ("ALT", "AST", "BILIRUBIN", "CREATININE", "NEUTROPHILS", "PLATELETS", "TSH")


def pro_grade_series(patient: Patient, *, since: dt.datetime) -> list[Point]:
    """Highest PRO-CTCAE composite grade of each questionnaire (0 when no symptom graded >= 1)."""
    points = []
    for a in TriageAssessment.objects.filter(
        patient=patient, trigger="questionnaire", assessed_at__gte=since
    ).order_by("assessed_at"):
        grades = [f["grade"] for f in a.result.get("findings", []) if f.get("source") == "pro"]
        points.append(Point(a.assessed_at, float(max(grades, default=0))))
    return points


def trend_charts(
    patient: Patient, *, cure_dates: list[dt.date] | None = None, days: int = 180
) -> list[Chart]:
    from django.utils.translation import gettext as _

    from parcours.clinical.catalogue import lookup
    from parcours.clinical.selectors import observations_for

    since = clock.now() - dt.timedelta(days=days)
    cures = [d for d in (cure_dates or []) if d >= since.date()]
    charts = [
        Chart(
            id="pro",
            title=_("Grade composite PRO-CTCAE le plus élevé, par questionnaire (0 à 3)"),
            unit="",
            points=pro_grade_series(patient, since=since),
            y_max=3,
            integer_axis=True,
            cure_dates=cures,
        )
    ]
    by_code: dict[str, list[Any]] = {}
    for obs in observations_for(patient, kind="lab", codes=KEY_LABS, since=since):
        by_code.setdefault(obs.code, []).append(obs)
    for code in KEY_LABS:
        rows = by_code.get(code)
        if not rows:
            continue
        latest = rows[0]
        ref = []
        if latest.upper is not None:
            ref.append((_("LSN"), float(latest.upper)))
        if latest.lower is not None:
            ref.append((_("LIN"), float(latest.lower)))
        definition = lookup("lab", code)
        label = definition.fr if definition is not None else code
        charts.append(
            Chart(
                id=f"lab-{code.lower()}",
                title=f"{label} ({latest.unit})",
                unit=latest.unit,
                points=[Point(o.observed_at, float(o.value)) for o in rows],
                reference=ref,
                cure_dates=cures,
            )
        )
    return charts


def patient_monitoring(patient: Patient, *, cure_dates: list[dt.date] | None = None) -> PatientMonitoring:
    assessments = list(TriageAssessment.objects.filter(patient=patient).order_by("-assessed_at", "-id")[:20])
    return PatientMonitoring(
        plan=MonitoringPlan.objects.filter(patient=patient).first(),
        latest=assessments[0] if assessments else None,
        assessments=assessments,
        alerts=list(
            Alert.objects.filter(patient=patient)
            .select_related("acknowledged_by", "closed_by", "assessment")
            .prefetch_related("events__actor")
            .order_by("-opened_at")[:20]
        ),
        hold=open_hold(patient),
        holds=list(TreatmentHold.objects.filter(patient=patient).prefetch_related("reviews__reviewer")[:10]),
        tasks=list(WorkTask.objects.filter(patient=patient, status=TaskStatus.OPEN).order_by("due_at")),
        assignments=list(QuestionnaireAssignment.objects.filter(patient=patient).order_by("-due_at")[:10]),
        responses=list(
            QuestionnaireResponse.objects.filter(patient=patient)
            .select_related("entered_by")
            .order_by("-submitted_at")[:10]
        ),
        charts=trend_charts(patient, cure_dates=cure_dates),
    )
