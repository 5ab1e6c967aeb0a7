"""JSON API of the cures app (mounted under /api/v1/ by parcours.web.api): the whole home-cure workflow.

Adapters only: parse, reach the cure through the access gate, call one service, serialise. Domain errors are
turned into answers in the user's language by ``parcours.web.api``. Every step takes the ``version`` the caller
read (409 ``stale_edit`` otherwise); steps on a patient's care state the ``patient_id`` (refused if the cure is
another patient's).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.clinical.services import ObservationInput
from parcours.core.errors import NotFound, ValidationFailed
from parcours.cures import selectors, services, synthesis
from parcours.cures.models import Cure, CurePlan, SynthesisRun
from parcours.patients.access import access_patient_by_id
from parcours.treatments.regimens import load_builtin_regimens

router = Router(tags=["cures"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _en() -> bool:
    return (get_language() or "fr").startswith("en")


class RegimenOut(Schema):
    id: str
    version: int
    drug: str
    label: str


class CureOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    plan_id: uuid.UUID
    drug: str
    number: int
    date: dt.date
    planned_start: dt.datetime
    lab_window_opens: dt.datetime
    place: str
    dose_mg: Decimal | None
    infusion_minutes: int
    status: str
    version: int
    shifted_by_days: int

    @staticmethod
    def of(c: Cure) -> CureOut:
        return CureOut(
            id=c.external_id,
            patient_id=c.patient.external_id,
            plan_id=c.plan.external_id,
            drug=c.plan.drug,
            number=c.number,
            date=c.date,
            planned_start=c.planned_start,
            lab_window_opens=c.lab_window_opens,
            place=c.place,
            dose_mg=c.dose_mg,
            infusion_minutes=c.infusion_minutes,
            status=c.status,
            version=c.version,
            shifted_by_days=c.shifted_by_days,
        )


class EventOut(Schema):
    event: str
    actor: str
    at: dt.datetime
    reason: str
    from_status: str
    to_status: str


class ConditionOut(Schema):
    id: str
    met: bool
    label: str


class GateOut(Schema):
    kind: str
    met: bool
    conditions: list[ConditionOut]


class CureDetailOut(CureOut):
    history: list[EventOut]
    gates: list[GateOut]


class PlanIn(Schema):
    regimen_id: str = Field(min_length=1, max_length=80)
    start: dt.date
    pharmacy_id: uuid.UUID
    cycles: int | None = Field(None, ge=1, le=60)
    first_number: int = Field(1, ge=1, le=500)
    dose_mg: Decimal | None = Field(None, gt=0)
    interval_days: int | None = Field(None, ge=1, le=120)
    weight_kg: Decimal | None = Field(None, gt=0)
    confirm_reason: str = Field("", max_length=500)


class WarningOut(Schema):
    key: str
    message: str
    confirmed_reason: str | None


class PlanOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    regimen_id: str
    regimen_version: int
    drug: str
    warnings: list[WarningOut]
    cures: list[CureOut]

    @staticmethod
    def of(plan: CurePlan) -> PlanOut:
        confirmed = {c["key"]: c["reason"] for c in plan.confirmations}
        return PlanOut(
            id=plan.external_id,
            patient_id=plan.patient.external_id,
            regimen_id=plan.regimen_id,
            regimen_version=plan.regimen_version,
            drug=plan.drug,
            warnings=[
                WarningOut(
                    key=w["key"],
                    message=w["message"]["en" if _en() else "fr"],
                    confirmed_reason=confirmed.get(w["key"]),
                )
                for w in plan.warnings
            ],
            cures=[CureOut.of(c) for c in Cure.objects.filter(plan=plan).select_related("patient", "plan")],
        )


class StepIn(Schema):
    version: int = Field(description="The cure version you read; a stale version gets 409.")


class PatientStepIn(StepIn):
    patient_id: uuid.UUID = Field(
        description="The patient you act for: a cure of another patient is refused."
    )


class LabIn(Schema):
    code: str = Field(min_length=1, max_length=32)
    value: Decimal | None = None
    unit: str | None = Field(None, max_length=24)
    lower: Decimal | None = None
    upper: Decimal | None = None


class LabsIn(PatientStepIn):
    sampled_at: dt.datetime
    items: list[LabIn] = Field(min_length=1, max_length=30)


class VitalsIn(PatientStepIn):
    observed_at: dt.datetime
    values: dict[str, Decimal]


class OkIn(PatientStepIn):
    kind: Literal["cycle", "day_of_cure"]
    delegated: bool = False
    override_reason: str = Field("", max_length=1000)


class OkRefuseIn(PatientStepIn):
    kind: Literal["cycle", "day_of_cure"]
    reason: str = Field(min_length=1, max_length=1000)


class PreparationIn(StepIn):
    lot: str = Field(min_length=1, max_length=60)
    prepared_at: dt.datetime
    storage: Literal["refrigerated", "room_temperature"] = "refrigerated"
    aseptic_validated: bool = True
    local_limit_hours: int | None = Field(None, ge=1)
    local_limit_reason: str = Field("", max_length=500)


class BagOut(Schema):
    lot: str
    prepared_at: dt.datetime
    deadline: dt.datetime
    latest_start: dt.datetime
    basis: str
    explanation: str
    released_at: dt.datetime | None
    blocked: bool


class PickupIn(StepIn):
    at: dt.datetime | None = None


class TemperatureIn(Schema):
    temperature_c: Decimal = Field(ge=-30, le=60)
    at: dt.datetime | None = None


class TemperatureOut(Schema):
    at: dt.datetime
    temperature_c: Decimal
    in_range: bool


class HandoverIn(StepIn):
    kit_antihistamine: bool
    kit_adrenaline: bool
    kit_corticosteroid: bool
    at: dt.datetime | None = None
    note: str = Field("", max_length=500)


class AdministrationIn(PatientStepIn):
    identity_checked: bool
    started_at: dt.datetime
    ended_at: dt.datetime
    lot: str = Field(min_length=1, max_length=60)
    dasri_disposed: bool
    vitals_before: dict[str, Decimal]
    vitals_after: dict[str, Decimal]
    tolerance: str = Field("", max_length=1000)
    reaction_grade: int = Field(0, ge=0, le=5)
    immediate_actions: str = Field("", max_length=1000)
    material_to_return: str = Field("", max_length=500)


class PostponeIn(StepIn):
    days: int = Field(ge=1, le=90)
    reason: str = Field(min_length=1, max_length=1000)


class PostponeOut(Schema):
    message: str
    changes: list[dict[str, Any]]
    cure: CureOut


class CancelIn(StepIn):
    reason: str = Field(min_length=1, max_length=1000)


class BoardItemOut(Schema):
    section: str
    cure: CureOut
    patient: str
    missing_ok: list[str]


class SynthesisRunIn(Schema):
    date: dt.date


class SynthesisRunOut(Schema):
    id: uuid.UUID
    date: dt.date
    status: str
    total: int
    done: int
    sent: int

    @staticmethod
    def of(run: SynthesisRun) -> SynthesisRunOut:
        return SynthesisRunOut(
            id=run.external_id,
            date=run.date,
            status=run.status,
            total=run.total,
            done=run.done,
            sent=run.sent,
        )


def _cure(request: HttpRequest, cure_id: uuid.UUID, permission: str | None = None) -> Cure:
    return selectors.cure_for(user=_user(request), cure_id=cure_id, permission=permission)


def _stepped(cure: Cure, version: int) -> Cure:
    cure.version = version
    return cure


def _fresh(cure: Cure) -> CureOut:
    return CureOut.of(Cure.objects.select_related("patient", "plan").get(pk=cure.pk))


@router.get("/cures/regimens", response=list[RegimenOut], summary="Protocoles (données versionnées)")
def regimens(request: HttpRequest) -> list[RegimenOut]:
    catalogue = load_builtin_regimens()
    return [
        RegimenOut(id=r.id, version=r.version, drug=r.drug.inn, label=r.label.en if _en() else r.label.fr)
        for r in catalogue.regimens.values()
    ]


@router.get("/cures/board", response=list[BoardItemOut], summary="Tableau du jour (par rôle)")
def board(request: HttpRequest, date: dt.date | None = None, limit: int = 200) -> list[BoardItemOut]:
    b = selectors.board(user=_user(request), day=date, limit=max(1, min(limit, 2000)))
    return [
        BoardItemOut(
            section=section.key,
            cure=CureOut.of(i.cure),
            patient=i.cure.patient.display_name,
            missing_ok=list(i.missing_ok),
        )
        for section in b.sections
        for i in section.items
    ]


@router.post("/patients/{patient_id}/cure-plans", response={201: PlanOut}, summary="Prescrire un protocole")
def plan_create(request: HttpRequest, patient_id: uuid.UUID, payload: PlanIn) -> Any:
    user = _user(request)
    patient = access_patient_by_id(user=user, patient_id=patient_id, permission="cure.prescribe")
    pharmacy = Organisation.objects.filter(
        external_id=payload.pharmacy_id, kind=OrganisationKind.PHARMACY
    ).first()
    if pharmacy is None:
        raise ValidationFailed(
            _("Pharmacie inconnue."), field_errors={"pharmacy_id": [_("Pharmacie (PUI) inconnue.")]}
        )
    data = payload.dict()
    data.pop("pharmacy_id")
    result = services.cure_plan_create(actor=user, patient=patient, pharmacy=pharmacy, **data)
    return Status(201, PlanOut.of(result.plan))


@router.get("/cure-plans/{plan_id}", response=PlanOut, summary="Protocole et calendrier")
def plan_get(request: HttpRequest, plan_id: uuid.UUID) -> PlanOut:
    plan = CurePlan.objects.filter(external_id=plan_id).select_related("patient").first()
    if plan is None:
        raise NotFound(_("Protocole introuvable."))
    access_patient_by_id(user=_user(request), patient_id=plan.patient.external_id)
    return PlanOut.of(plan)


@router.get(
    "/cures/{cure_id}", response=CureDetailOut, summary="Une cure : état, historique, conditions de l'OK"
)
def cure_get(request: HttpRequest, cure_id: uuid.UUID) -> CureDetailOut:
    cure = _cure(request, cure_id)
    gates = []
    if cure.status in {"planned", "labs_due", "ready_for_ok", "ok_given"}:
        for kind in ("cycle", "day_of_cure"):
            result, _hold, _why = services.gate_for(cure, kind)
            gates.append(
                GateOut(
                    kind=kind,
                    met=result.met,
                    conditions=[
                        ConditionOut(
                            id=c.id,
                            met=c.met,
                            label=services._pick(c.detail if c.detail and not c.met else c.label),
                        )
                        for c in result.conditions
                    ],
                )
            )
    return CureDetailOut(
        **CureOut.of(cure).dict(),
        history=[
            EventOut(
                event=e.event,
                actor=e.actor_label,
                at=e.at,
                reason=e.reason,
                from_status=e.from_status,
                to_status=e.to_status,
            )
            for e in cure.events.all()
        ],
        gates=gates,
    )


@router.post("/cures/{cure_id}/labs", response=CureOut, summary="Résultats du bilan (unités et bornes)")
def labs(request: HttpRequest, cure_id: uuid.UUID, payload: LabsIn) -> CureOut:
    user = _user(request)
    cure = _cure(request, cure_id, "cure.labs")
    services.check_patient(cure, payload.patient_id, user)
    items = [
        ObservationInput(
            kind="lab",
            code=i.code.upper(),
            value=i.value,
            unit=i.unit,
            observed_at=payload.sampled_at,
            lower=i.lower,
            upper=i.upper,
        )
        for i in payload.items
    ]
    services.cure_labs_record(
        actor=user, cure=_stepped(cure, payload.version), items=items, expected_version=payload.version
    )
    return _fresh(cure)


@router.post("/cures/{cure_id}/vitals", response=CureOut, summary="Constantes du jour de la cure")
def vitals(request: HttpRequest, cure_id: uuid.UUID, payload: VitalsIn) -> CureOut:
    user = _user(request)
    cure = _cure(request, cure_id, "cure.labs")
    services.check_patient(cure, payload.patient_id, user)
    unknown = set(payload.values) - set(services.VITAL_UNITS)
    if unknown:
        message = _("Constante inconnue : %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        raise ValidationFailed(message, field_errors={"values": [message]})
    services.cure_vitals_record(actor=user, cure=cure, values=payload.values, observed_at=payload.observed_at)
    return _fresh(cure)


@router.post("/cures/{cure_id}/ok", response=CureOut, summary="Donner l'OK clinique et biologique")
def ok_give(request: HttpRequest, cure_id: uuid.UUID, payload: OkIn) -> CureOut:
    user = _user(request)
    cure = _cure(request, cure_id, "cure.ok")
    services.check_patient(cure, payload.patient_id, user)
    services.cure_ok_give(
        actor=user,
        cure=cure,
        kind=payload.kind,
        delegated=payload.delegated,
        override_reason=payload.override_reason,
        expected_version=payload.version,
    )
    return _fresh(cure)


@router.post("/cures/{cure_id}/ok-refusal", response=CureOut, summary="Refuser l'OK (motif écrit)")
def ok_refuse(request: HttpRequest, cure_id: uuid.UUID, payload: OkRefuseIn) -> CureOut:
    user = _user(request)
    cure = _cure(request, cure_id, "cure.ok")
    services.check_patient(cure, payload.patient_id, user)
    services.cure_ok_refuse(
        actor=user, cure=cure, kind=payload.kind, reason=payload.reason, expected_version=payload.version
    )
    return _fresh(cure)


def _bag_out(bag: Any) -> BagOut:
    return BagOut(
        lot=bag.lot,
        prepared_at=bag.prepared_at,
        deadline=bag.deadline,
        latest_start=bag.latest_start,
        basis=bag.basis,
        explanation=bag.explanation.get("en" if _en() else "fr", ""),
        released_at=bag.released_at,
        blocked=bag.blocked_at is not None,
    )


@router.post(
    "/cures/{cure_id}/preparation",
    response={201: BagOut},
    summary="Préparation (lot, heure) et limite de stabilité",
)
def preparation(request: HttpRequest, cure_id: uuid.UUID, payload: PreparationIn) -> Any:
    cure = _cure(request, cure_id, "pharmacy.prepare")
    data = payload.dict()
    version = data.pop("version")
    bag = services.cure_preparation_record(actor=_user(request), cure=cure, expected_version=version, **data)
    return Status(201, _bag_out(bag))


@router.post("/cures/{cure_id}/release", response=BagOut, summary="Libérer la poche")
def release(request: HttpRequest, cure_id: uuid.UUID, payload: StepIn) -> BagOut:
    cure = _cure(request, cure_id, "pharmacy.prepare")
    return _bag_out(services.bag_release(actor=_user(request), cure=cure, expected_version=payload.version))


@router.post("/cures/{cure_id}/pickup", response=CureOut, summary="Retrait de la poche à la pharmacie")
def pickup(request: HttpRequest, cure_id: uuid.UUID, payload: PickupIn) -> CureOut:
    cure = _cure(request, cure_id, "delivery.manage")
    services.delivery_pickup(actor=_user(request), cure=cure, at=payload.at, expected_version=payload.version)
    return _fresh(cure)


@router.post(
    "/cures/{cure_id}/temperatures", response={201: TemperatureOut}, summary="Relevé de chaîne du froid"
)
def temperature(request: HttpRequest, cure_id: uuid.UUID, payload: TemperatureIn) -> Any:
    cure = _cure(request, cure_id, "delivery.manage")
    r = services.cold_chain_record(
        actor=_user(request), cure=cure, temperature_c=payload.temperature_c, at=payload.at
    )
    return Status(201, TemperatureOut(at=r.at, temperature_c=r.temperature_c, in_range=r.in_range))


@router.post(
    "/cures/{cure_id}/handover", response=CureOut, summary="Remise au domicile (trousse anti-allergique)"
)
def handover(request: HttpRequest, cure_id: uuid.UUID, payload: HandoverIn) -> CureOut:
    cure = _cure(request, cure_id, "delivery.manage")
    data = payload.dict()
    version = data.pop("version")
    services.delivery_handover(actor=_user(request), cure=cure, expected_version=version, **data)
    return _fresh(cure)


@router.post("/cures/{cure_id}/administration", response={201: CureOut}, summary="Administration à domicile")
def administration(request: HttpRequest, cure_id: uuid.UUID, payload: AdministrationIn) -> Any:
    user = _user(request)
    cure = _cure(request, cure_id, "cure.administer")
    services.check_patient(cure, payload.patient_id, user)
    data = payload.dict()
    data.pop("patient_id")
    version = data.pop("version")
    services.cure_administer(actor=user, cure=cure, patient=cure.patient, expected_version=version, **data)
    return Status(201, _fresh(cure))


@router.post(
    "/cures/{cure_id}/postponement", response=PostponeOut, summary="Reporter une cure (décale les suivantes)"
)
def postpone(request: HttpRequest, cure_id: uuid.UUID, payload: PostponeIn) -> PostponeOut:
    cure = _cure(request, cure_id)
    result = services.cure_postpone(
        actor=_user(request),
        cure=cure,
        days=payload.days,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return PostponeOut(message=result.message, changes=result.changes, cure=_fresh(cure))


@router.post("/cures/{cure_id}/cancellation", response=CureOut, summary="Annuler une cure (motif écrit)")
def cancel(request: HttpRequest, cure_id: uuid.UUID, payload: CancelIn) -> CureOut:
    cure = _cure(request, cure_id)
    services.cure_cancel(
        actor=_user(request), cure=cure, reason=payload.reason, expected_version=payload.version
    )
    return _fresh(cure)


@router.post(
    "/cures/syntheses", response={202: SynthesisRunOut}, summary="Produire et envoyer les synthèses du jour"
)
def synthesis_run(request: HttpRequest, payload: SynthesisRunIn) -> Any:
    run = synthesis.synthesis_run_request(actor=_user(request), date=payload.date)
    return Status(202, SynthesisRunOut.of(run))


@router.get("/cures/syntheses/{run_id}", response=SynthesisRunOut, summary="Avancement des synthèses")
def synthesis_run_get(request: HttpRequest, run_id: uuid.UUID) -> SynthesisRunOut:
    run = SynthesisRun.objects.filter(external_id=run_id).first()
    if run is None or not selectors.can_see_cures(_user(request)):
        raise NotFound(_("Calcul introuvable."))
    return SynthesisRunOut.of(run)
