"""JSON API for patients (adapters only: parse, gate, service/selector, serialise)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from parcours.accounts.models import User
from parcours.patients import selectors, services
from parcours.patients.access import access_patient_by_id
from parcours.patients.models import CareTeamMembership, Patient, TimelineEvent
from parcours.patients.timeline import timeline_text

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: uuid.UUID
    ins: str
    identity_status: str
    birth_name: str
    used_name: str
    given_names: str
    sex: str
    birth_date: dt.date
    birth_place_insee: str
    address: str
    postcode: str
    city: str
    phone: str
    email: str
    primary_diagnosis: str
    hospital: str | None
    had: str | None
    referring_oncologist: str | None
    gp: str | None
    version: int

    @staticmethod
    def of(p: Patient) -> PatientOut:
        return PatientOut(
            id=p.external_id,
            **{
                name: getattr(p, name)
                for name in services.EDITABLE_FIELDS
                if name not in {"latitude", "longitude"}
            },
            hospital=p.hospital.name if p.hospital else None,
            had=p.had.name if p.had else None,
            referring_oncologist=str(p.referring_oncologist) if p.referring_oncologist else None,
            gp=str(p.gp) if p.gp else None,
            version=p.version,
        )


class PatientIn(Schema):
    birth_name: str = Field(min_length=1, max_length=100)
    given_names: str = Field(min_length=1, max_length=150)
    sex: str = Field(pattern="^[FMI]$")
    birth_date: dt.date
    ins: str = Field("", max_length=21)
    identity_status: str = "provisional"
    used_name: str = Field("", max_length=100)
    birth_place_insee: str = Field("", max_length=5)
    address: str = Field("", max_length=300)
    postcode: str = Field("", max_length=5)
    city: str = Field("", max_length=120)
    latitude: float | None = None
    longitude: float | None = None
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    primary_diagnosis: str = Field("", max_length=200)


class PatientPatch(Schema):
    version: int = Field(description="The version you read; a stale version gets 409.")
    birth_name: str | None = Field(None, min_length=1, max_length=100)
    given_names: str | None = Field(None, min_length=1, max_length=150)
    sex: str | None = Field(None, pattern="^[FMI]$")
    birth_date: dt.date | None = None
    ins: str | None = Field(None, max_length=21)
    identity_status: str | None = None
    used_name: str | None = Field(None, max_length=100)
    birth_place_insee: str | None = Field(None, max_length=5)
    address: str | None = Field(None, max_length=300)
    postcode: str | None = Field(None, max_length=5)
    city: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)
    primary_diagnosis: str | None = Field(None, max_length=200)


class PatientPage(Schema):
    count: int
    items: list[PatientOut]


class MemberOut(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    role: str
    team_role: str
    organisation: str | None
    since: dt.datetime


class MemberIn(Schema):
    user_id: uuid.UUID
    team_role: str = Field("", max_length=100)


class TimelineOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    kind: str
    text: str
    reason: str
    data: dict[str, Any]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get("/patients", response=PatientPage, summary="Patients visible to me (my care teams)")
def list_patients(
    request: HttpRequest,
    q: str = "",
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> Any:
    from parcours.audit.services import audit_record

    qs = selectors.my_patients(user=_user(request), query=q).select_related(
        "hospital", "had", "referring_oncologist", "gp"
    )
    items = list(qs[offset : offset + limit])
    audit_record(
        actor=_user(request), action="list", object_type="patient", detail={"q": q, "offset": offset}
    )
    return {"count": qs.count(), "items": [PatientOut.of(p) for p in items]}


@router.post("/patients", response={201: PatientOut}, summary="Create a patient (you join the care team)")
def create_patient(request: HttpRequest, payload: PatientIn) -> Any:
    patient = services.patient_create(actor=_user(request), data=services.PatientInput(**payload.dict()))
    return Status(201, PatientOut.of(patient))


@router.get("/patients/{patient_id}", response=PatientOut)
def get_patient(request: HttpRequest, patient_id: str) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id)
    return PatientOut.of(selectors.patient_with_contacts(patient_id=patient.pk))


@router.patch(
    "/patients/{patient_id}", response=PatientOut, summary="Update identity/contact (optimistic locking)"
)
def update_patient(request: HttpRequest, patient_id: str, payload: PatientPatch) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id, for_write=True)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    patient = services.patient_update(
        actor=_user(request), patient=patient, expected_version=version, changes=changes
    )
    return PatientOut.of(selectors.patient_with_contacts(patient_id=patient.pk))


def _member(m: CareTeamMembership) -> MemberOut:
    return MemberOut(
        id=m.external_id,
        user_id=m.user.external_id,
        name=str(m.user),
        role=m.user.role.code if m.user.role else "",
        team_role=m.team_role,
        organisation=str(m.user.organisation) if m.user.organisation else None,
        since=m.since,
    )


@router.get("/patients/{patient_id}/care-team", response=list[MemberOut])
def care_team(request: HttpRequest, patient_id: str) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id)
    return [_member(m) for m in selectors.active_care_team(patient=patient)]


@router.post("/patients/{patient_id}/care-team", response={201: MemberOut})
def add_member(request: HttpRequest, patient_id: str, payload: MemberIn) -> Any:
    from parcours.core.errors import ValidationFailed

    patient = access_patient_by_id(user=_user(request), patient_id=patient_id, permission="careteam.manage")
    user = User.objects.select_related("role", "organisation").filter(external_id=payload.user_id).first()
    if user is None:
        from django.utils.translation import gettext as _

        raise ValidationFailed(
            _("Professionnel inconnu."), field_errors={"user_id": [_("Professionnel inconnu.")]}
        )
    membership = services.careteam_member_add(
        actor=_user(request), patient=patient, user=user, team_role=payload.team_role
    )
    return Status(201, _member(membership))


@router.get("/patients/{patient_id}/timeline", response=list[TimelineOut])
def timeline(
    request: HttpRequest,
    patient_id: str,
    before: int | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id)
    events: list[TimelineEvent] = selectors.timeline_page(patient=patient, before_id=before, limit=limit)
    return [
        TimelineOut(
            id=e.pk,
            at=e.at,
            actor=e.actor_label,
            kind=e.kind,
            text=timeline_text(e),
            reason=e.reason,
            data=e.data,
        )
        for e in events
    ]
