"""JSON API of the telemonitoring app (mounted under /api/v1/ by parcours.web.api). Adapters only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from parcours.accounts.models import User
from parcours.audit.services import audit_record
from parcours.core.errors import NotFound
from parcours.patients.access import access_patient_by_id, patients_visible_to
from parcours.telemonitoring import questionnaires, selectors, services
from parcours.telemonitoring.models import Alert, QuestionnaireResponse, TriageAssessment

router = Router(tags=["telemonitoring"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class TriageOut(Schema):
    id: uuid.UUID
    assessed_at: dt.datetime
    trigger: str
    policy: str
    level: str
    max_grade: int
    hold_treatment: bool
    discontinuation_review: bool
    red_flags: list[str]
    result: dict[str, Any]

    @staticmethod
    def of(a: TriageAssessment) -> TriageOut:
        return TriageOut(
            id=a.external_id,
            assessed_at=a.assessed_at,
            trigger=a.trigger,
            policy=a.policy,
            level=a.level,
            max_grade=a.max_grade,
            hold_treatment=a.hold_treatment,
            discontinuation_review=a.discontinuation_review,
            red_flags=list(a.red_flags),
            result={k: v for k, v in a.result.items() if k != "explanation"},
        )


class AlertOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    level: str
    status: str
    opened_at: dt.datetime
    escalation_step: int
    escalation_due_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int

    @staticmethod
    def of(a: Alert) -> AlertOut:
        return AlertOut(
            id=a.external_id,
            patient_id=a.patient.external_id,
            level=a.level,
            status=a.status,
            opened_at=a.opened_at,
            escalation_step=a.escalation_step,
            escalation_due_at=a.escalation_due_at,
            acknowledged_at=a.acknowledged_at,
            closed_at=a.closed_at,
            version=a.version,
        )


class GateOut(Schema):
    latest_triage_at: dt.datetime | None
    latest_max_grade: int | None
    hold_treatment: bool
    hold_reason: str
    open_alert_levels: list[str]


class ProxyIn(Schema):
    answers: dict[str, int | None] = Field(description="ProAE variable -> answer code (0-4; presence 0/1)")
    free_text: str = Field("", max_length=4000)
    submission_key: str = Field(
        min_length=8, max_length=80, description="Idempotency key: a retry counts once"
    )
    questionnaire: str = questionnaires.DEFAULT


class SubmitOut(Schema):
    response_id: uuid.UUID
    duplicate: bool
    triage: TriageOut | None
    patient_instruction: str


class AckIn(Schema):
    version: int | None = None
    note: str = Field("", max_length=1000)


class CloseIn(Schema):
    reason: str = Field(min_length=1, max_length=1000)
    version: int | None = None


@router.get(
    "/telemonitoring/patients/{patient_id}/triages", response=list[TriageOut], summary="Latest triages"
)
def list_triages(request: HttpRequest, patient_id: str) -> Any:
    patient = access_patient_by_id(user=request.user, patient_id=patient_id)
    return [
        TriageOut.of(a)
        for a in TriageAssessment.objects.filter(patient=patient).order_by("-assessed_at")[:50]
    ]


@router.get(
    "/telemonitoring/patients/{patient_id}/gate",
    response=GateOut,
    summary="Telemonitoring's part of the cure OK gate (hold, open alerts)",
)
def gate(request: HttpRequest, patient_id: str) -> Any:
    patient = access_patient_by_id(user=request.user, patient_id=patient_id)
    status = selectors.gate_status(patient)
    return GateOut(
        latest_triage_at=status.latest_triage.assessed_at if status.latest_triage else None,
        latest_max_grade=status.latest_triage.max_grade if status.latest_triage else None,
        hold_treatment=status.hold_open,
        hold_reason=status.hold_reason,
        open_alert_levels=list(status.open_alert_levels),
    )


@router.post(
    "/telemonitoring/patients/{patient_id}/responses",
    response={201: SubmitOut, 200: SubmitOut},
    summary="Proxy entry of a questionnaire (IDEL/IDEC); triaged at once; idempotent by submission_key",
)
def submit_proxy(request: HttpRequest, patient_id: str, payload: ProxyIn) -> Any:
    patient = access_patient_by_id(user=request.user, patient_id=patient_id, permission="monitoring.proxy")
    outcome = services.response_submit_proxy(
        actor=_user(request),
        patient=patient,
        answers=payload.answers,
        free_text=payload.free_text,
        submission_key=payload.submission_key,
        questionnaire=payload.questionnaire,
    )
    body = SubmitOut(
        response_id=outcome.response.external_id,
        duplicate=outcome.duplicate,
        triage=TriageOut.of(outcome.assessment) if outcome.assessment else None,
        patient_instruction=outcome.instruction.title,
    )
    return Status(200 if outcome.duplicate else 201, body)


@router.get("/telemonitoring/alerts", response=list[AlertOut], summary="Alerts not closed, for my patients")
def list_alerts(request: HttpRequest) -> Any:
    alerts = selectors.queue_alerts(patients_visible_to(user=request.user))
    audit_record(
        actor=_user(request), action="read", object_type="telemonitoring_queue", detail={"api": True}
    )
    return [AlertOut.of(a) for a in alerts]


def _alert(request: HttpRequest, alert_id: str) -> Alert:
    try:
        uid = uuid.UUID(alert_id)
    except ValueError as exc:
        raise NotFound("Alerte introuvable.") from exc
    alert = Alert.objects.select_related("patient").filter(external_id=uid).first()
    if alert is None or not patients_visible_to(user=request.user).filter(pk=alert.patient_id).exists():
        raise NotFound("Alerte introuvable.")
    return alert


@router.post("/telemonitoring/alerts/{alert_id}/acknowledge", response=AlertOut)
def acknowledge(request: HttpRequest, alert_id: str, payload: AckIn) -> Any:
    alert = services.alert_acknowledge(
        actor=_user(request), alert=_alert(request, alert_id), version=payload.version, note=payload.note
    )
    return AlertOut.of(alert)


@router.post("/telemonitoring/alerts/{alert_id}/close", response=AlertOut)
def close(request: HttpRequest, alert_id: str, payload: CloseIn) -> Any:
    alert = services.alert_close(
        actor=_user(request), alert=_alert(request, alert_id), reason=payload.reason, version=payload.version
    )
    return AlertOut.of(alert)


@router.get(
    "/telemonitoring/fhir/Questionnaire/{code}", summary="FHIR R4 Questionnaire (enableWhen branching)"
)
def fhir_questionnaire(request: HttpRequest, code: str) -> Any:
    try:
        definition = questionnaires.load(code)
    except KeyError as exc:
        raise NotFound("Questionnaire inconnu.") from exc
    return questionnaires.to_fhir_questionnaire(definition)


@router.get(
    "/telemonitoring/fhir/QuestionnaireResponse/{response_id}",
    summary="A stored response as a FHIR R4 QuestionnaireResponse",
)
def fhir_response(request: HttpRequest, response_id: str) -> Any:
    try:
        uid = uuid.UUID(response_id)
    except ValueError as exc:
        raise NotFound("Réponse introuvable.") from exc
    response = (
        QuestionnaireResponse.objects.select_related("patient", "entered_by").filter(external_id=uid).first()
    )
    if response is None:
        raise NotFound("Réponse introuvable.")
    patient = access_patient_by_id(user=request.user, patient_id=response.patient.external_id)
    definition = questionnaires.load(
        response.questionnaire, response.assignment.regimen if response.assignment else ""
    )
    return questionnaires.to_fhir_response(
        definition,
        answers=response.answers,
        free_text=response.free_text,
        authored=response.submitted_at.isoformat(),
        patient_reference=f"Patient/{patient.external_id}",
        author_reference=f"Practitioner/{response.entered_by.external_id}" if response.entered_by else None,
        response_id=str(response.external_id),
    )
