"""JSON API of the learning app (mounted under /api/v1/ by parcours.web.api)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import Forbidden, NotFound, ValidationFailed
from parcours.learning import selectors, services
from parcours.learning.content import pick
from parcours.learning.models import Act, Assignment
from parcours.patients.access import access_patient_by_id

router = Router(tags=["learning"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class ModuleOut(Schema):
    id: str
    title: str
    status: str
    reason: str
    available_from: dt.datetime | None
    quiz_passed: bool
    last_score: int | None
    last_total: int | None
    to_revisit: list[str]


class EducationOut(Schema):
    programme: str | None
    version: int | None
    completed: int
    passed: int
    modules: list[ModuleOut]
    ready: bool
    unmet: list[str]
    support_plan: list[str]


@router.get("/patients/{patient_id}/education", response=EducationOut, summary="ETP progress and readiness")
def education(request: HttpRequest, patient_id: str) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id)
    enrolment = selectors.enrolment_of(patient=patient)
    readiness = selectors.readiness_now(patient=patient)
    modules: list[ModuleOut] = []
    completed = passed = 0
    if enrolment is not None:
        progress = selectors.progress_of(enrolment=enrolment)
        completed, passed = progress.completed, progress.passed
        for r in progress.rows:
            modules.append(
                ModuleOut(
                    id=r.status.module_id,
                    title=pick(r.status.module.title),
                    status=r.status.status,
                    reason=pick(r.status.reason),
                    available_from=r.status.available_from,
                    quiz_passed=r.passed,
                    last_score=r.last_attempt.score if r.last_attempt else None,
                    last_total=r.last_attempt.total if r.last_attempt else None,
                    to_revisit=[pick(t) for t in r.last_attempt.to_revisit] if r.last_attempt else [],
                )
            )
    return EducationOut(
        programme=enrolment.programme_key if enrolment else None,
        version=enrolment.programme.version if enrolment else None,
        completed=completed,
        passed=passed,
        modules=modules,
        ready=readiness.ready,
        unmet=[c.id for c in readiness.unmet],
        support_plan=[a.id for a in readiness.support_plan],
    )


class QualificationOut(Schema):
    user_id: uuid.UUID
    act: str
    on: dt.date
    ok: bool
    reason: str


def _professional(user_id: uuid.UUID) -> User:
    user = User.objects.filter(external_id=user_id, is_active=True).first()
    if user is None:
        raise NotFound(_("Professionnel(le) introuvable."))
    return user


@router.get(
    "/professionals/{user_id}/qualification",
    response=QualificationOut,
    summary="May this professional be assigned this act on this day? (training registry)",
)
def qualification(
    request: HttpRequest, user_id: uuid.UUID, act: str = Query(...), on: dt.date | None = None
) -> Any:
    me = _user(request)
    if not any(has_perm(me, p) for p in ("careteam.manage", "training.manage", "planning.manage")):
        raise Forbidden(_("Votre rôle ne permet pas de consulter les qualifications."))
    user = _professional(user_id)
    day = on or clock.today()
    ok, reason = selectors.qualification_check(user=user, act=act, on=day)
    audit_record(actor=me, action="read", object_type="qualification", object_id=str(user_id))
    return QualificationOut(user_id=user_id, act=act, on=day, ok=ok, reason=reason)


class AssignmentIn(Schema):
    professional_id: uuid.UUID
    act: str = Field(description="immunotherapy_administration | etp_session")
    starts_on: dt.date | None = None


class AssignmentOut(Schema):
    id: uuid.UUID
    professional_id: uuid.UUID
    act: str
    starts_on: dt.date
    valid_until: dt.date | None


def _assignment(a: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.external_id,
        professional_id=a.professional.external_id,
        act=a.act,
        starts_on=a.starts_on,
        valid_until=a.valid_until,
    )


@router.post(
    "/patients/{patient_id}/assignments",
    response={201: AssignmentOut},
    summary="Assign a professional for an act (422 with the reason when not qualified or expired)",
)
def assign(request: HttpRequest, patient_id: str, payload: AssignmentIn) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id, permission="careteam.manage")
    professional = User.objects.filter(external_id=payload.professional_id, is_active=True).first()
    if professional is None:
        raise ValidationFailed(
            _("Professionnel(le) introuvable."),
            field_errors={"professional_id": [_("Professionnel(le) introuvable.")]},
        )
    assignment = services.assignment_create(
        actor=_user(request),
        patient=patient,
        professional=professional,
        act=payload.act,
        starts_on=payload.starts_on or clock.today(),
    )
    return Status(201, _assignment(assignment))


class NearbyOut(Schema):
    professional_id: uuid.UUID
    name: str
    city: str
    distance_km: float
    qualified: bool


@router.get(
    "/patients/{patient_id}/nearby-professionals",
    response=list[NearbyOut],
    summary="Trained professionals near the patient's home, qualified first then by distance",
)
def nearby(
    request: HttpRequest,
    patient_id: str,
    act: str = Query(Act.IMMUNOTHERAPY.value),
    radius_km: float = Query(30.0, gt=0, le=200),
    on: dt.date | None = None,
    limit: int = Query(20, ge=1, le=100),
) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id)
    if act not in Act.values:
        raise ValidationFailed(_("Acte inconnu."), field_errors={"act": [_("Acte inconnu.")]})
    if patient.latitude is None or patient.longitude is None:
        raise ValidationFailed(
            _("Les coordonnées du domicile ne sont pas renseignées."),
            field_errors={"patient": [_("Coordonnées du domicile absentes.")]},
        )
    found = selectors.nearby_professionals(
        latitude=patient.latitude,
        longitude=patient.longitude,
        act=act,
        on=on or clock.today(),
        radius_km=radius_km,
        limit=limit,
    )
    return [
        NearbyOut(
            professional_id=n.external_id,
            name=n.name,
            city=n.city,
            distance_km=n.distance_km,
            qualified=n.qualified,
        )
        for n in found
    ]
