"""JSON API of the fasttrack app (mounted under /api/v1/ by parcours.web.api).

Software referrals (a GP's practice software, a radiology information system) post to
``/fasttrack/referrals`` with a bearer token; the referrer is the token's user. Coordinators read the queue,
the availability grid and the indicators, and book slots.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.core.errors import Forbidden, NotFound, ValidationFailed
from parcours.fasttrack import selectors, services
from parcours.fasttrack.enums import Source
from parcours.fasttrack.models import Referral

router = Router(tags=["fasttrack"])


def _user(request: HttpRequest) -> User:
    auth = getattr(request, "auth", None)
    user = auth if isinstance(auth, User) else request.user
    assert isinstance(user, User)
    return user


def _require(user: User, perm: str) -> None:
    if not has_perm(user, perm):
        raise Forbidden(_("Votre rôle ne permet pas cette action (%(perm)s).") % {"perm": perm})


class DocumentIn(Schema):
    filename: str = Field(max_length=200)
    content_base64: str = Field(description="Le fichier (PDF, JPEG ou PNG) encodé en base64 ; 10 Mo au plus.")


class ReferralIn(Schema):
    pathway: str = Field(
        max_length=20, description="pancreas, lung, liver, thyroid, lymphoma, digestive, glioblastoma"
    )
    urgency: str = "rapid"
    referrer_kind: str = "gp"
    referrer_name: str = Field(max_length=200)
    referrer_rpps: str = Field("", max_length=11)
    referrer_email: str = Field("", max_length=254)
    referrer_phone: str = Field("", max_length=20)
    patient_birth_name: str = Field(max_length=100)
    patient_given_names: str = Field(max_length=150)
    patient_birth_date: dt.date
    patient_sex: str = Field("", max_length=1)
    patient_ins: str = Field("", max_length=21)
    patient_phone: str = Field("", max_length=20)
    patient_email: str = Field("", max_length=254)
    patient_postcode: str = Field("", max_length=5)
    first_symptoms_date: dt.date | None = None
    exams_done: list[str] = []
    exams_note: str = Field("", max_length=5000)
    suspicion: str = Field("", max_length=5000)
    documents: list[DocumentIn] = []


class ReferralOut(Schema):
    id: uuid.UUID
    pathway: str
    status: str
    urgency: str
    received_at: dt.datetime
    completeness: int
    missing: list[str]
    duplicate_of: uuid.UUID | None
    answer_hours: int
    patient_birth_name: str
    patient_given_names: str
    patient_birth_date: dt.date
    patient: uuid.UUID | None

    @staticmethod
    def of(r: Referral) -> ReferralOut:
        return ReferralOut(
            id=r.external_id,
            pathway=r.pathway,
            status=r.status,
            urgency=r.urgency,
            received_at=r.received_at,
            completeness=r.completeness,
            missing=list(r.missing),
            duplicate_of=r.duplicate_of.external_id if r.duplicate_of else None,
            answer_hours=r.answer_hours,
            patient_birth_name=r.patient_birth_name,
            patient_given_names=r.patient_given_names,
            patient_birth_date=r.patient_birth_date,
            patient=r.patient.external_id if r.patient else None,
        )


@router.post(
    "/fasttrack/referrals", response={201: ReferralOut, 429: dict}, summary="Adresser un patient (logiciel)"
)
def referral_create(request: HttpRequest, payload: ReferralIn) -> Any:
    user = _user(request)
    uploads = []
    for i, doc in enumerate(payload.documents):
        try:
            content = base64.b64decode(doc.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(
                _("Document illisible."),
                field_errors={f"documents[{i}].content_base64": [_("base64 invalide.")]},
            ) from exc
        uploads.append(services.Upload(doc.filename, content))
    data = payload.dict(exclude={"documents"})
    try:
        services.throttle_hit(ip=f"api:{user.pk}", limit=200)
    except services.RateLimited as exc:
        return Status(429, {"error": exc.code, "message": exc.message})
    referral = services.referral_submit(
        actor=user,
        data=services.ReferralInput(**data),
        documents=uploads,
        source=Source.API,
        client_ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(201, ReferralOut.of(referral))


@router.get("/fasttrack/referrals", response=list[ReferralOut], summary="File des demandes ouvertes")
def referral_queue(request: HttpRequest, pathway: str = "") -> list[ReferralOut]:
    user = _user(request)
    _require(user, "fasttrack.coordinate")
    return [ReferralOut.of(r) for r in selectors.queue(user=user, pathway=pathway)]


@router.get("/fasttrack/referrals/{referral_id}", response=ReferralOut)
def referral_get(request: HttpRequest, referral_id: uuid.UUID) -> ReferralOut:
    user = _user(request)
    _require(user, "fasttrack.coordinate")
    return ReferralOut.of(selectors.referral_for(user=user, referral_id=referral_id))


class BookIn(Schema):
    referral: uuid.UUID


class BookingOut(Schema):
    id: uuid.UUID
    slot: uuid.UUID
    start: dt.datetime
    resource: str


@router.post("/fasttrack/slots/{slot_id}/book", response={201: BookingOut})
def slot_book(request: HttpRequest, slot_id: uuid.UUID, payload: BookIn) -> Any:
    from parcours.fasttrack.models import Slot

    user = _user(request)
    _require(user, "slots.manage")
    referral = Referral.objects.filter(external_id=payload.referral).first()
    slot = Slot.objects.filter(external_id=slot_id).only("pk").first()
    if referral is None or slot is None:
        raise NotFound(_("Demande ou créneau introuvable."))
    booking = services.slot_book(actor=user, slot_id=slot.pk, referral=referral)
    return Status(
        201,
        BookingOut(
            id=booking.external_id,
            slot=booking.slot.external_id,
            start=booking.slot.start,
            resource=booking.slot.resource.name,
        ),
    )


class AvailabilityRowOut(Schema):
    resource: uuid.UUID
    name: str
    kind: str
    release_hours: int
    free: list[int] = Field(description="Free shared slots, one number per day of ``days``.")
    sanctuarised: list[int]
    emergency: list[int]
    booked: list[int]
    released: list[int]


class AvailabilityOut(Schema):
    first_day: dt.date
    days: list[dt.date]
    resources: list[AvailabilityRowOut]


@router.get("/fasttrack/availability", response=AvailabilityOut, summary="Disponibilités (colonnes par jour)")
def availability(request: HttpRequest, first_day: dt.date, weeks: int = 8, kind: str = "") -> AvailabilityOut:
    user = _user(request)
    _require(user, "slots.manage")
    if not 1 <= weeks <= 8:
        raise ValidationFailed(_("De 1 à 8 semaines."), field_errors={"weeks": [_("De 1 à 8.")]})
    view = selectors.availability(first_day=first_day, weeks=weeks, kind=kind)
    return AvailabilityOut(
        first_day=first_day,
        days=view.days,
        resources=[
            AvailabilityRowOut(
                resource=row.resource.external_id,
                name=row.resource.name,
                kind=row.resource.kind,
                release_hours=row.resource.release_hours,
                free=[c.free for c in row.cells],
                sanctuarised=[c.sanctuarised for c in row.cells],
                emergency=[c.emergency for c in row.cells],
                booked=[c.booked for c in row.cells],
                released=[c.released for c in row.cells],
            )
            for row in view.rows
        ],
    )


class DelayOut(Schema):
    n: int
    median_days: float | None
    p90_days: float | None


class IndicatorOut(Schema):
    pathway: str
    month: str
    referrals: int
    delays: dict[str, DelayOut]
    supportive_share: float | None
    er_share: float | None


@router.get("/fasttrack/indicators", response=list[IndicatorOut])
def indicators(request: HttpRequest, pathway: str = "", since: dt.date | None = None) -> list[IndicatorOut]:
    user = _user(request)
    _require(user, "indicators.view")
    return [
        IndicatorOut(
            pathway=r.pathway,
            month=r.month,
            referrals=r.referrals,
            delays={k: DelayOut(n=v[0], median_days=v[1], p90_days=v[2]) for k, v in r.delays.items()},
            supportive_share=r.supportive_share,
            er_share=r.er_share,
        )
        for r in selectors.indicators(pathway=pathway, since=since)
    ]


__all__ = ["HttpResponse", "router"]
