"""Writes of the cures app: prescribe, postpone, labs, OK, preparation, release, delivery, administration.

Every step locks the cure row (``select_for_update``), checks the version the caller read (optimistic
locking), rebuilds the pure ``CureState`` from the rows, calls ``treatments.cure_machine.apply`` and turns a
``Refusal`` into ``TransitionRefused`` listing every reason. So the safety rules (no administration without a
valid OK and an unexpired, cold-chain-compliant bag, never twice, no future timestamps) hold whatever the entry
point: page, API, import or demo loader.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.clinical.services import ObservationInput, observations_record
from parcours.core import clock
from parcours.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    StaleEdit,
    TransitionRefused,
    UnmetCondition,
    ValidationFailed,
)
from parcours.cures import gate
from parcours.cures.models import (
    Administration,
    Bag,
    ColdChainReading,
    Cure,
    CureEvent,
    CurePlan,
    CureStatus,
    Delivery,
    OkDecision,
)
from parcours.patients.models import Patient
from parcours.patients.timeline import timeline_record
from parcours.treatments import cure_machine as m
from parcours.treatments.calendar import (
    CureCalendar,
    PlannedCure,
    confirm_warning,
    lab_window,
    plan_cures,
    postpone,
)
from parcours.treatments.common import PARIS, DataError, Label
from parcours.treatments.ok_gate import (
    Condition,
    GateResult,
    OkDenied,
    OkKind,
    OkRecord,
    Override,
    decide_ok,
    evaluate_ok,
    refuse_ok,
)
from parcours.treatments.regimens import Regimen, load_builtin_regimens
from parcours.treatments.stability import StabilityDataMissing, stability_deadline, storage_range

HORIZON_DAYS = 182  # an "until stopped" regimen is laid out half a year ahead
CLOCK_SKEW = dt.timedelta(minutes=2)
DEFAULT_RANGES: dict[str, tuple[Decimal | None, Decimal]] = {
    "refrigerated": (Decimal(2), Decimal(8)),
    "room_temperature": (None, Decimal(25)),
}
VITAL_UNITS = {"TEMP": "°C", "SBP": "mmHg", "DBP": "mmHg", "HR": "/min", "RR": "/min", "SPO2": "%"}


P = ParamSpec("P")
R = TypeVar("R")


def refusals_traced(fn: Callable[P, R]) -> Callable[P, R]:
    """Outside the service's transaction: a refusal carrying ``audit`` details is traced even though the
    transaction that raised it was rolled back."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            detail = getattr(exc, "audit", None)
            if detail is not None:
                audit_record(**detail)
            raise

    return wrapper


def _refused(exc: DomainError, **audit: Any) -> DomainError:
    exc.audit = {"action": "denied", "object_type": "cure", **audit}  # type: ignore[attr-defined]
    return exc


def _lang() -> str:
    return "en" if (get_language() or "fr").startswith("en") else "fr"


def _pick(label: Label | Mapping[str, str]) -> str:
    if isinstance(label, Label):
        return label.en if _lang() == "en" else label.fr
    return str(label.get(_lang()) or label.get("fr") or "")


def _label(label: Label) -> dict[str, str]:
    return {"fr": label.fr, "en": label.en}


def _check_future(moment: dt.datetime, field: str, now: dt.datetime) -> None:
    if timezone.is_naive(moment):
        raise ValidationFailed(
            _("Date sans fuseau horaire."), field_errors={field: [_("Date sans fuseau horaire.")]}
        )
    if moment > now + CLOCK_SKEW:
        raise ValidationFailed(
            _("Horodatage dans le futur : vérifiez l'horloge ou la saisie."),
            field_errors={field: [_("Date dans le futur.")]},
        )


def regimens() -> Any:
    return load_builtin_regimens()


# ------------------------------------------------------------------------------------ prescription


@dataclass(frozen=True)
class PlanResult:
    plan: CurePlan
    cures: list[Cure]


def _place_fn(patient: Patient) -> Any:
    place = gate.place_of_care(patient)
    return lambda _day: place


def _plan_calendar(
    regimen: Regimen,
    *,
    patient: Patient,
    start: dt.date,
    cycles: int | None,
    first_number: int,
    dose_mg: Decimal | None,
    interval_days: int | None,
    weight_kg: Decimal | None,
) -> CureCalendar:
    numbers = range(first_number, first_number + 400)
    try:
        return plan_cures(
            regimen,
            start=start,
            place_of=_place_fn(patient),
            cycles=cycles,
            horizon=None if cycles is not None else start + dt.timedelta(days=HORIZON_DAYS),
            first_cure_number=first_number,
            weight_kg=weight_kg,
            doses={n: dose_mg for n in numbers} if dose_mg is not None else None,
            intervals={n: interval_days for n in numbers} if interval_days is not None else None,
        )
    except DataError as exc:
        field = str(exc).split(":", 1)[0].split("[", 1)[0].strip() or "regimen"
        raise ValidationFailed(
            _("La prescription n'est pas valide : %(e)s") % {"e": exc}, field_errors={field: [str(exc)]}
        ) from exc


def plan_preview(
    *,
    patient: Patient,
    regimen_id: str,
    start: dt.date,
    cycles: int | None = None,
    first_number: int = 1,
    dose_mg: Decimal | None = None,
    interval_days: int | None = None,
    weight_kg: Decimal | None = None,
) -> CureCalendar:
    try:
        regimen = regimens().regimen(regimen_id)
    except KeyError:
        raise ValidationFailed(
            _("Protocole inconnu."), field_errors={"regimen_id": [_("Protocole inconnu.")]}
        ) from None
    return _plan_calendar(
        regimen,
        patient=patient,
        start=start,
        cycles=cycles,
        first_number=first_number,
        dose_mg=dose_mg,
        interval_days=interval_days,
        weight_kg=weight_kg,
    )


@refusals_traced
@transaction.atomic
def cure_plan_create(
    *,
    actor: User,
    patient: Patient,
    regimen_id: str,
    start: dt.date,
    pharmacy: Organisation,
    cycles: int | None = None,
    first_number: int = 1,
    dose_mg: Decimal | None = None,
    interval_days: int | None = None,
    weight_kg: Decimal | None = None,
    confirm_reason: str = "",
) -> PlanResult:
    """Prescribe a regimen and lay out its cures. Deviations from the regimen need a written confirmation."""
    if not has_perm(actor, "cure.prescribe"):
        raise Forbidden(_("Votre rôle ne permet pas de prescrire (cure.prescribe)."))
    errors: dict[str, list[str]] = {}
    if pharmacy.kind != OrganisationKind.PHARMACY:
        errors["pharmacy"] = [_("Choisissez une pharmacie (PUI).")]
    if start < clock.today():
        errors["start"] = [_("La date de début est passée.")]
    if errors:
        raise ValidationFailed(_("La prescription n'a pas été enregistrée."), field_errors=errors)
    calendar = plan_preview(
        patient=patient,
        regimen_id=regimen_id,
        start=start,
        cycles=cycles,
        first_number=first_number,
        dose_mg=dose_mg,
        interval_days=interval_days,
        weight_kg=weight_kg,
    )
    now = clock.now()
    reason = confirm_reason.strip()
    warnings = [w for w in calendar.warnings if w.requires_confirmation]
    if warnings and not reason:
        raise ValidationFailed(
            _("La prescription s'écarte du protocole : confirmez avec un motif écrit."),
            field_errors={"confirm_reason": [_pick(w.message) for w in warnings]},
        )
    confirmations = [confirm_warning(w, actor=actor.username, reason=reason, at=now) for w in warnings]
    regimen = calendar.regimen
    plan = CurePlan.objects.create(
        patient=patient,
        regimen_id=regimen.id,
        regimen_version=regimen.version,
        drug=regimen.drug.inn,
        regimen_label=_label(regimen.label),
        start=start,
        cycles=cycles,
        first_number=first_number,
        dose_mg=dose_mg,
        interval_days=interval_days,
        weight_kg=weight_kg,
        pharmacy=pharmacy,
        prescribed_by=actor,
        prescribed_at=now,
        warnings=[
            {
                "key": w.key,
                "code": w.code,
                "message": _label(w.message),
                "expected": w.expected,
                "prescribed": w.prescribed,
            }
            for w in calendar.warnings
        ],
        confirmations=[
            {"key": c.key, "actor": c.actor, "reason": c.reason, "at": c.at.isoformat()}
            for c in confirmations
        ],
    )
    cures = Cure.objects.bulk_create(
        [
            Cure(
                plan=plan,
                patient=patient,
                had=patient.had,
                pharmacy=pharmacy,
                number=c.number,
                date=c.date,
                planned_start=c.planned_start,
                lab_window_opens=c.lab_window.opens_at,
                place=c.place,
                dose_mg=c.dose_mg,
                infusion_minutes=c.infusion_minutes,
                interval_days=c.interval_days,
                status_changed_at=now,
            )
            for c in calendar.cures
        ]
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="cure_plan",
        object_id=str(plan.external_id),
        patient_id=patient.pk,
        detail={"regimen": regimen.id, "version": regimen.version, "cures": len(cures), "confirmed": reason},
    )
    fr = f"Protocole prescrit : {regimen.label.fr}, {len(cures)} cure(s) à partir du {start:%d/%m/%Y}"
    en = f"Regimen prescribed: {regimen.label.en}, {len(cures)} cure(s) from {start.isoformat()}"
    timeline_record(
        patient=patient,
        actor=actor,
        kind="cure.prescribed",
        data={"label": {"fr": fr, "en": en}, "plan": str(plan.external_id)},
        reason=reason,
    )
    return PlanResult(plan=plan, cures=list(Cure.objects.filter(plan=plan).order_by("number")))


# ------------------------------------------------------------------------------------ cure state


def _lock(cure: Cure, expected_version: int | None) -> Cure:
    locked = Cure.objects.select_for_update().select_related("patient", "plan").get(pk=cure.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(
            _("La cure a été modifiée entre-temps (version %(v)s) : rechargez la page.")
            % {"v": locked.version}
        )
    return locked


def _ok_record(row: OkDecision) -> OkRecord:
    return OkRecord(
        kind=row.kind,  # type: ignore[arg-type]
        decision=row.decision,  # type: ignore[arg-type]
        party=row.party,  # type: ignore[arg-type]
        delegated=row.delegated,
        given_by=str(row.given_by_id),
        given_at=row.given_at,
        cure_date=row.cure_date,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        conditions=(),
        override=Override(by="", reason=row.override_reason, overridden=()) if row.override_reason else None,
        reason=row.reason or None,
    )


def _bag(cure: Cure) -> Bag | None:
    return Bag.objects.filter(cure=cure).first()


def cure_state(cure: Cure) -> m.CureState:
    """Rebuild the pure state from the rows (the last event is enough for the time-order check)."""
    bag_row = _bag(cure)
    return _state_from(
        cure,
        oks=list(cure.ok_decisions.filter(revoked_at__isnull=True)),
        bag_row=bag_row,
        temps=[r.temperature_c for r in bag_row.readings.all()] if bag_row is not None else [],
        admin=Administration.objects.filter(cure=cure).first(),
        last=cure.events.order_by("-id").first(),
    )


def _state_from(
    cure: Cure,
    *,
    oks: Sequence[OkDecision],
    bag_row: Bag | None,
    temps: Sequence[Decimal],
    admin: Administration | None,
    last: CureEvent | None,
) -> m.CureState:
    """The pure state from rows already read (one cure by ``cure_state``, many by ``cures_close``)."""
    bag = None
    chain = None
    if bag_row is not None and bag_row.released_at is not None:
        bag = m.Bag(
            prepared_at=bag_row.prepared_at,
            released_at=bag_row.released_at,
            deadline=bag_row.deadline,
            latest_start=bag_row.latest_start,
            lot=bag_row.lot,
        )
    if bag_row is not None and temps:
        chain = m.ColdChain(
            min_c=min(temps),
            max_c=max(temps),
            allowed_min_c=bag_row.allowed_min_c,
            allowed_max_c=bag_row.allowed_max_c,
        )
    history: tuple[m.EventRecord, ...] = ()
    if last is not None:
        history = (
            m.EventRecord(
                event=last.event,
                actor=last.actor_label,
                at=last.at,
                recorded_at=last.recorded_at,
                reason=last.reason or None,
                from_status=last.from_status,  # type: ignore[arg-type]
                to_status=last.to_status,  # type: ignore[arg-type]
            ),
        )
    return m.CureState(
        cure_date=cure.date,
        status=cure.status,  # type: ignore[arg-type]
        oks=tuple(_ok_record(r) for r in oks),
        bag=bag,
        cold_chain=chain,
        delivered_at=cure.delivered_at,
        administration=m.Administration(admin.started_at, admin.ended_at, str(admin.nurse_id), admin.lot)
        if admin is not None
        else None,
        history=history,
    )


def refusal_error(refusal: m.Refusal) -> TransitionRefused:
    reasons = [_pick(r.message) for r in refusal.reasons]
    return TransitionRefused(
        _("Étape refusée : %(reasons)s.") % {"reasons": " ; ".join(reasons)},
        unmet=[UnmetCondition(id=r.code, label=_pick(r.message)) for r in refusal.reasons],
    )


_TIMELINE_TEXT: dict[str, tuple[str, str]] = {
    "open_lab_window": ("bilan à prélever", "labs due"),
    "labs_received": ("bilan reçu", "labs received"),
    "give_ok": ("OK clinique et biologique donné", "clinical and biological OK given"),
    "refuse_ok": ("OK clinique et biologique refusé", "clinical and biological OK refused"),
    "start_preparation": ("préparation de la poche", "bag prepared"),
    "release_bag": ("poche libérée par la pharmacie", "bag released by the pharmacy"),
    "start_delivery": ("poche retirée pour livraison", "bag picked up for delivery"),
    "deliver": ("poche remise au domicile", "bag handed over at home"),
    "administer": ("cure administrée", "cure administered"),
    "close": ("cure clôturée", "cure closed"),
    "cancel": ("cure annulée", "cure cancelled"),
    "postpone": ("cure reportée", "cure postponed"),
    "reschedule": ("cure replanifiée", "cure rescheduled"),
}


def _step(
    *,
    actor: User | None,
    cure: Cure,
    event: m.Event,
    data: dict[str, Any] | None = None,
    timeline: bool = True,
) -> m.CureState:
    """Apply one event to a locked cure; write status, log row, audit and timeline. Refusal → 409."""
    now = clock.now()
    state = cure_state(cure)
    result = m.apply(state, event, now)
    if isinstance(result, m.Refusal):
        raise _refused(
            refusal_error(result),
            actor=actor,
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
            detail={"event": result.event, "reasons": list(result.codes)},
        )
    record = result.history[-1]
    cure.status = result.status
    cure.status_changed_at = now
    cure.date = result.cure_date
    cure.delivered_at = result.delivered_at
    cure.version += 1
    cure.save(update_fields=["status", "status_changed_at", "date", "delivered_at", "version", "updated_at"])
    CureEvent.objects.create(
        cure=cure,
        event=record.event,
        actor=actor,
        actor_label=(actor.get_full_name() or actor.username) if actor is not None else "système",
        at=record.at,
        recorded_at=now,
        reason=record.reason or "",
        from_status=record.from_status,
        to_status=record.to_status,
        data=data or {},
    )
    audit_record(
        actor=actor,
        action="transition",
        object_type="cure",
        object_id=str(cure.external_id),
        patient_id=cure.patient_id,
        detail={"event": record.event, "from": record.from_status, "to": record.to_status, **(data or {})},
    )
    if timeline:
        fr, en = _TIMELINE_TEXT[record.event]
        timeline_record(
            patient=cure.patient,
            actor=actor,
            kind=f"cure.{record.event}",
            data={
                "label": {
                    "fr": f"Cure {cure.number} ({cure.plan.drug}, {cure.date:%d/%m/%Y}) : {fr}",
                    "en": f"Cure {cure.number} ({cure.plan.drug}, {cure.date.isoformat()}): {en}",
                },
                "cure": str(cure.external_id),
                **(data or {}),
            },
            reason=record.reason or "",
            at=record.at,
        )
    return result


def _name(actor: User) -> str:
    return actor.username


def _require(actor: User, permission: str) -> None:
    if not has_perm(actor, permission):
        raise Forbidden(_("Votre rôle ne permet pas cette action (%(perm)s).") % {"perm": permission})


def check_patient(cure: Cure, patient_external_id: Any, actor: User) -> None:
    """The caller states which patient she acts for; a cure of another patient is refused (and traced)."""
    if str(patient_external_id) != str(cure.patient.external_id):
        audit_record(
            actor=actor,
            action="denied",
            object_type="cure",
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
            detail={"reason": "cure_of_another_patient"},
        )
        raise Forbidden(_("Cette cure concerne un autre patient : action refusée."))


def _same_patient(cure: Cure, patient: Patient | None, actor: User) -> None:
    if patient is not None and cure.patient_id != patient.pk:
        raise _refused(
            Forbidden(_("Cette cure concerne un autre patient : action refusée.")),
            actor=actor,
            object_id=str(cure.external_id),
            patient_id=patient.pk,
            detail={"reason": "cure_of_another_patient"},
        )


# ------------------------------------------------------------------------------------------ labs


def _advance_to_ready(*, actor: User | None, cure: Cure) -> None:
    now = clock.now()
    if cure.status == CureStatus.PLANNED:
        _step(actor=actor, cure=cure, event=m.OpenLabWindow(actor=_actor_name(actor), at=now), timeline=False)
    if cure.status == CureStatus.LABS_DUE:
        _step(actor=actor, cure=cure, event=m.LabsReceived(actor=_actor_name(actor), at=now))


def _actor_name(actor: User | None) -> str:
    return actor.username if actor is not None else "system"


@refusals_traced
@transaction.atomic
def cure_labs_record(
    *,
    actor: User,
    cure: Cure,
    items: Sequence[ObservationInput],
    patient: Patient | None = None,
    expected_version: int | None = None,
) -> list[Any]:
    """Record the pre-cure labs (through clinical observations, source "cure") and move the cure to its OK."""
    _require(actor, "cure.labs")
    cure = _lock(cure, expected_version)
    _same_patient(cure, patient, actor)
    if cure.status in {CureStatus.CANCELLED, CureStatus.CLOSED}:
        raise Conflict(_("La cure est close ou annulée."))
    for i, item in enumerate(items):
        if item.kind != "lab":
            raise ValidationFailed(
                _("Seuls des résultats de biologie sont attendus ici."),
                field_errors={f"items[{i}].kind": [_("Biologie attendue.")]},
            )
    rows = observations_record(
        actor=actor, patient=cure.patient, items=items, source="cure", context=str(cure.external_id)
    )
    _advance_to_ready(actor=actor, cure=cure)
    return rows


@refusals_traced
@transaction.atomic
def cure_vitals_record(
    *, actor: User, cure: Cure, values: Mapping[str, Decimal], observed_at: dt.datetime
) -> list[Any]:
    """Vitals of the cure day (needed by the day-of-cure OK), as clinical observations."""
    _require(actor, "cure.labs")
    items = [
        ObservationInput(
            kind="vital", code=code, value=value, unit=VITAL_UNITS[code], observed_at=observed_at
        )
        for code, value in values.items()
        if value is not None and code in VITAL_UNITS
    ]
    if not items:
        raise ValidationFailed(
            _("Aucune constante saisie."), field_errors={"values": [_("Champ obligatoire.")]}
        )
    return observations_record(
        actor=actor, patient=cure.patient, items=items, source="cure", context=str(cure.external_id)
    )


@transaction.atomic
def cures_open_lab_windows(*, now: dt.datetime | None = None) -> int:
    """Periodic: planned cures whose 72 h lab window has opened become "labs due"."""
    moment = now or clock.now()
    count = 0
    for cure in (
        Cure.objects.select_for_update(skip_locked=True)
        .filter(status=CureStatus.PLANNED, lab_window_opens__lte=moment)
        .select_related("patient", "plan")[:2000]
    ):
        result = m.apply(cure_state(cure), m.OpenLabWindow(actor="system", at=moment), moment)
        if isinstance(result, m.Refusal):
            continue
        _step(actor=None, cure=cure, event=m.OpenLabWindow(actor="system", at=moment), timeline=False)
        count += 1
    return count


# -------------------------------------------------------------------------------------------- OK


def gate_for(cure: Cure, kind: OkKind) -> tuple[GateResult, bool, str]:
    """The A.3 gate of ``cure`` for one kind of OK, now; also whether a telemonitoring hold is open."""
    inputs, hold_open, hold_reason = gate.ok_inputs(patient=cure.patient, planned_start=cure.planned_start)
    try:
        result = evaluate_ok(inputs, kind=kind, now=clock.now())
    except DataError as exc:
        raise ValidationFailed(
            _("Un résultat de biologie est incomplet : %(e)s") % {"e": exc}, field_errors={"labs": [str(exc)]}
        ) from exc
    return result, hold_open, hold_reason


def _conditions_json(conditions: Sequence[Condition]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "met": c.met,
            "label": _label(c.label),
            "detail": _label(c.detail) if c.detail is not None else None,
        }
        for c in conditions
    ]


def _ok_row(cure: Cure, record: OkRecord, actor: User) -> OkDecision:
    return OkDecision.objects.create(
        cure=cure,
        kind=record.kind,
        decision=record.decision,
        party=record.party,
        delegated=record.delegated,
        given_by=actor,
        given_at=record.given_at,
        cure_date=record.cure_date,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        conditions=_conditions_json(record.conditions),
        override_reason=record.override.reason if record.override else "",
        overridden=[c.id for c in record.override.overridden] if record.override else [],
        reason=record.reason or "",
    )


def _party(actor: User) -> Literal["hospital", "had"]:
    party = gate.party_of(actor)
    if party is None:
        raise Forbidden(
            _("L'OK est donné par l'établissement ou par l'HAD : votre structure ne peut pas le donner.")
        )
    return party


@refusals_traced
@transaction.atomic
def cure_ok_give(
    *,
    actor: User,
    cure: Cure,
    kind: OkKind,
    patient: Patient | None = None,
    delegated: bool = False,
    override_reason: str = "",
    expected_version: int | None = None,
) -> OkDecision:
    """Give the OK clinique et biologique (whole cycle or day of cure) if the gate and the convention allow.

    An unmet gate needs a doctor (``cure.override``) and a written reason, kept with the decision.
    """
    _require(actor, "cure.ok")
    cure = _lock(cure, expected_version)
    _same_patient(cure, patient, actor)
    if kind not in ("cycle", "day_of_cure"):
        raise ValidationFailed(_("Type d'OK inconnu."), field_errors={"kind": [_("Type d'OK inconnu.")]})
    if override_reason.strip() and not has_perm(actor, "cure.override"):
        raise Forbidden(_("Seul un médecin peut passer outre une condition non remplie (cure.override)."))
    party = _party(actor)
    result, _hold, _why = gate_for(cure, kind)
    decision = decide_ok(
        result,
        party=party,
        convention=gate.convention_for(cure.patient),
        actor=_name(actor),
        actor_is_doctor=has_perm(actor, "cure.override"),
        now=clock.now(),
        delegated=delegated,
        override_reason=override_reason or None,
    )
    if isinstance(decision, OkDenied):
        unmet = [UnmetCondition(id=r.code, label=_pick(r.message)) for r in decision.reasons] + [
            UnmetCondition(id=c.id, label=_pick(c.detail or c.label)) for c in decision.unmet
        ]
        raise _refused(
            TransitionRefused(
                _("OK impossible : %(r)s.") % {"r": " ; ".join(_pick(r.message) for r in decision.reasons)},
                unmet=unmet,
            ),
            actor=actor,
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
            detail={"ok": kind, "reasons": [r.code for r in decision.reasons]},
        )
    if cure.status in {CureStatus.PLANNED, CureStatus.LABS_DUE}:
        # the gate is met (or overridden by a doctor): the labs it needs are in
        _advance_to_ready(actor=actor, cure=cure)
    data: dict[str, Any] = {"ok": kind, "party": party}
    if decision.override is not None:
        data["override"] = [c.id for c in decision.override.overridden]
    _step(
        actor=actor,
        cure=cure,
        event=m.GiveOk(actor=_name(actor), at=decision.given_at, ok=decision, reason=override_reason or None),
        data=data,
    )
    return _ok_row(cure, decision, actor)


@refusals_traced
@transaction.atomic
def cure_ok_refuse(
    *,
    actor: User,
    cure: Cure,
    kind: OkKind,
    reason: str,
    patient: Patient | None = None,
    expected_version: int | None = None,
) -> OkDecision:
    _require(actor, "cure.ok")
    cure = _lock(cure, expected_version)
    _same_patient(cure, patient, actor)
    if not reason.strip():
        raise ValidationFailed(
            _("Un motif écrit est requis pour refuser l'OK."),
            field_errors={"reason": [_("Champ obligatoire.")]},
        )
    party = _party(actor)
    result, _hold, _why = gate_for(cure, kind)
    record = refuse_ok(result, party=party, actor=_name(actor), now=clock.now(), reason=reason)
    if cure.status in {CureStatus.PLANNED, CureStatus.LABS_DUE}:
        _advance_to_ready(actor=actor, cure=cure)
    _step(
        actor=actor,
        cure=cure,
        event=m.RefuseOk(actor=_name(actor), at=record.given_at, ok=record, reason=reason),
        data={"ok": kind},
    )
    return _ok_row(cure, record, actor)


# -------------------------------------------------------------------------------------- pharmacy


def _require_pharmacist(actor: User, cure: Cure) -> None:
    _require(actor, "pharmacy.prepare")
    if actor.organisation_id != cure.pharmacy_id:
        raise Forbidden(_("Cette cure est préparée par une autre pharmacie."))


@refusals_traced
@transaction.atomic
def cure_preparation_record(
    *,
    actor: User,
    cure: Cure,
    lot: str,
    prepared_at: dt.datetime,
    storage: str = "refrigerated",
    aseptic_validated: bool = True,
    local_limit_hours: int | None = None,
    local_limit_reason: str = "",
    expected_version: int | None = None,
) -> Bag:
    """Record the preparation (time, lot, preparer) and compute the stability deadline of the bag."""
    cure = _lock(cure, expected_version)
    _require_pharmacist(actor, cure)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if not lot.strip():
        errors["lot"] = [_("Le numéro de lot est obligatoire.")]
    if storage not in ("refrigerated", "room_temperature"):
        errors["storage"] = [_("Conservation inconnue.")]
    if errors:
        raise ValidationFailed(_("La préparation n'a pas été enregistrée."), field_errors=errors)
    _check_future(prepared_at, "prepared_at", now)
    drug = regimens().drug(cure.plan.drug)
    try:
        deadline = stability_deadline(
            drug,
            storage=storage,  # type: ignore[arg-type]
            prepared_at=prepared_at,
            aseptic_validated=aseptic_validated,
            infusion_minutes=cure.infusion_minutes,
            local_limit_hours=local_limit_hours,
            local_limit_reason=local_limit_reason or None,
        )
        try:
            low, high = storage_range(drug, storage)  # type: ignore[arg-type]
        except StabilityDataMissing:  # a local limit was set: the usual range of the storage condition
            low, high = DEFAULT_RANGES[storage]
    except StabilityDataMissing as exc:
        raise ValidationFailed(
            _("Stabilité inconnue pour ce médicament : fixez une limite locale avec sa référence."),
            field_errors={"local_limit_hours": [str(exc)]},
        ) from exc
    except DataError as exc:
        field = str(exc).split(":", 1)[0].strip()
        raise ValidationFailed(
            _("La préparation n'a pas été enregistrée : %(e)s") % {"e": exc}, field_errors={field: [str(exc)]}
        ) from exc
    if Bag.objects.filter(cure=cure).exists():
        raise Conflict(_("Une poche est déjà préparée pour cette cure."))
    _step(
        actor=actor,
        cure=cure,
        event=m.StartPreparation(actor=_name(actor), at=now),
        data={"lot": lot.strip(), "deadline": deadline.deadline.isoformat()},
    )
    return Bag.objects.create(
        cure=cure,
        lot=lot.strip(),
        preparer=actor,
        prepared_at=prepared_at,
        storage=storage,
        aseptic_validated=aseptic_validated,
        deadline=deadline.deadline,
        latest_start=deadline.latest_start,
        limit_hours=deadline.limit_hours,
        basis=deadline.basis,
        source=deadline.source[:300],
        explanation=_label(deadline.explanation),
        local_limit_hours=local_limit_hours,
        local_limit_reason=local_limit_reason.strip(),
        allowed_min_c=low,
        allowed_max_c=high,
    )


@refusals_traced
@transaction.atomic
def bag_release(*, actor: User, cure: Cure, expected_version: int | None = None) -> Bag:
    cure = _lock(cure, expected_version)
    _require_pharmacist(actor, cure)
    bag = Bag.objects.select_for_update().filter(cure=cure).first()
    if bag is None:
        raise Conflict(_("Aucune préparation enregistrée pour cette cure."))
    now = clock.now()
    _step(
        actor=actor,
        cure=cure,
        event=m.ReleaseBag(
            actor=_name(actor),
            at=now,
            bag=m.Bag(
                prepared_at=bag.prepared_at,
                released_at=now,
                deadline=bag.deadline,
                latest_start=bag.latest_start,
                lot=bag.lot,
            ),
        ),
        data={"lot": bag.lot},
    )
    bag.released_at = now
    bag.released_by = actor
    bag.save(update_fields=["released_at", "released_by", "updated_at"])
    return bag


# -------------------------------------------------------------------------------------- delivery


def _require_logistics(actor: User, cure: Cure) -> None:
    _require(actor, "delivery.manage")
    if cure.had_id is None or actor.organisation_id != cure.had_id:
        raise Forbidden(_("Cette cure est livrée par une autre HAD."))


@refusals_traced
@transaction.atomic
def delivery_pickup(
    *, actor: User, cure: Cure, at: dt.datetime | None = None, expected_version: int | None = None
) -> Delivery:
    cure = _lock(cure, expected_version)
    _require_logistics(actor, cure)
    moment = at or clock.now()
    _check_future(moment, "at", clock.now())
    _step(actor=actor, cure=cure, event=m.StartDelivery(actor=_name(actor), at=moment))
    return Delivery.objects.create(cure=cure, picked_up_at=moment, picked_up_by=actor)


@refusals_traced
@transaction.atomic
def cold_chain_record(
    *, actor: User, cure: Cure, temperature_c: Decimal, at: dt.datetime | None = None
) -> ColdChainReading:
    """One transport temperature reading; out of range blocks the bag (administration is then refused)."""
    cure = _lock(cure, None)
    _require_logistics(actor, cure)
    bag = Bag.objects.select_for_update().filter(cure=cure, released_at__isnull=False).first()
    if bag is None:
        raise Conflict(_("Aucune poche libérée pour cette cure."))
    if cure.status not in {CureStatus.RELEASED, CureStatus.IN_DELIVERY, CureStatus.DELIVERED}:
        raise Conflict(_("La poche n'est plus en transport."))
    moment = at or clock.now()
    _check_future(moment, "at", clock.now())
    if not Decimal("-30") <= temperature_c <= Decimal("60"):
        raise ValidationFailed(
            _("Température invraisemblable."), field_errors={"temperature_c": [_("Entre -30 et 60 °C.")]}
        )
    low_ok = bag.allowed_min_c is None or temperature_c >= bag.allowed_min_c
    in_range = low_ok and temperature_c <= bag.allowed_max_c
    reading = ColdChainReading.objects.create(
        bag=bag, at=moment, temperature_c=temperature_c, in_range=in_range, recorded_by=actor
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="cold_chain_reading",
        object_id=str(cure.external_id),
        patient_id=cure.patient_id,
        detail={"temperature_c": str(temperature_c), "in_range": in_range},
    )
    if not in_range and bag.blocked_at is None:
        low = "—" if bag.allowed_min_c is None else f"{bag.allowed_min_c}"
        bag.blocked_at = clock.now()
        bag.blocked_reason = f"{temperature_c} °C ({low}–{bag.allowed_max_c} °C)"
        bag.save(update_fields=["blocked_at", "blocked_reason", "updated_at"])
        timeline_record(
            patient=cure.patient,
            actor=actor,
            kind="cure.cold_chain_excursion",
            data={
                "label": {
                    "fr": f"Cure {cure.number} : rupture de la chaîne du froid ({bag.blocked_reason}), poche bloquée",
                    "en": f"Cure {cure.number}: cold-chain excursion ({bag.blocked_reason}), bag blocked",
                },
                "cure": str(cure.external_id),
            },
        )
    return reading


@refusals_traced
@transaction.atomic
def delivery_handover(
    *,
    actor: User,
    cure: Cure,
    kit_antihistamine: bool,
    kit_adrenaline: bool,
    kit_corticosteroid: bool,
    at: dt.datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Delivery:
    """Hand-over at the patient's home: the anti-allergy kit must be checked, readings recorded."""
    cure = _lock(cure, expected_version)
    _require_logistics(actor, cure)
    missing = [
        name
        for name, ok in (
            ("kit_antihistamine", kit_antihistamine),
            ("kit_adrenaline", kit_adrenaline),
            ("kit_corticosteroid", kit_corticosteroid),
        )
        if not ok
    ]
    if missing:
        raise ValidationFailed(
            _(
                "La trousse anti-allergique doit être vérifiée (antihistaminique H1, stylo d'adrénaline, corticoïde oral)."
            ),
            field_errors={name: [_("À vérifier avant la remise.")] for name in missing},
        )
    moment = at or clock.now()
    _check_future(moment, "at", clock.now())
    state = cure_state(cure)
    _step(
        actor=actor,
        cure=cure,
        event=m.Deliver(actor=_name(actor), at=moment, cold_chain=state.cold_chain),
    )
    delivery = Delivery.objects.select_for_update().filter(cure=cure).first()
    if delivery is None:
        raise Conflict(_("La poche n'a pas été retirée."))
    delivery.delivered_at = moment
    delivery.delivered_by = actor
    delivery.kit_antihistamine = delivery.kit_adrenaline = delivery.kit_corticosteroid = True
    delivery.note = note.strip()[:500]
    delivery.save()
    return delivery


# -------------------------------------------------------------------------------- administration


@refusals_traced
@transaction.atomic
def cure_administer(
    *,
    actor: User,
    cure: Cure,
    patient: Patient,
    identity_checked: bool,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    lot: str,
    dasri_disposed: bool,
    vitals_before: Mapping[str, Decimal],
    vitals_after: Mapping[str, Decimal],
    tolerance: str = "",
    reaction_grade: int = 0,
    immediate_actions: str = "",
    material_to_return: str = "",
    expected_version: int | None = None,
) -> Administration:
    """Record the administration at home. Refused without a valid OK and an unexpired, compliant bag."""
    _require(actor, "cure.administer")
    cure = _lock(cure, expected_version)
    _same_patient(cure, patient, actor)
    qualified = gate.qualified_for_administration(actor, timezone.localdate(clock.now()))
    if qualified is not None and not qualified[0]:
        raise _refused(
            Forbidden(
                _("Formation à l'administration d'immunothérapie non validée : administration refusée.")
                + " "
                + qualified[1]
            ),
            actor=actor,
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
            detail={"reason": "not_qualified"},
        )
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if not identity_checked:
        errors["identity_checked"] = [_("Vérifiez l'identité du patient avant d'administrer.")]
    if not dasri_disposed:
        errors["dasri_disposed"] = [_("Confirmez l'élimination des déchets (DASRI).")]
    if not 0 <= reaction_grade <= 5:
        errors["reaction_grade"] = [_("Grade CTCAE de 0 à 5.")]
    if reaction_grade > 0 and not immediate_actions.strip():
        errors["immediate_actions"] = [_("Décrivez les mesures immédiates prises pour la réaction.")]
    if ended_at < started_at:
        errors["ended_at"] = [_("La fin précède le début.")]
    bag = _bag(cure)
    if not lot.strip():
        errors["lot"] = [_("Le numéro de lot est obligatoire.")]
    elif bag is not None and lot.strip() != bag.lot:
        errors["lot"] = [_("Le lot ne correspond pas à la poche libérée (%(lot)s).") % {"lot": bag.lot}]
    for field, values in (("vitals_before", vitals_before), ("vitals_after", vitals_after)):
        if not values:
            errors[field] = [_("Saisissez au moins une constante.")]
    if errors:
        raise ValidationFailed(_("L'administration n'a pas été enregistrée."), field_errors=errors)
    for field, moment in (("started_at", started_at), ("ended_at", ended_at)):
        _check_future(moment, field, now)
    _step(
        actor=actor,
        cure=cure,
        event=m.Administer(
            actor=_name(actor), at=now, started_at=started_at, ended_at=ended_at, lot=lot.strip()
        ),
        data={"lot": lot.strip(), "reaction_grade": reaction_grade},
    )
    for values, at in ((vitals_before, started_at), (vitals_after, ended_at)):
        cure_vitals_record(actor=actor, cure=cure, values=values, observed_at=at)
    try:
        with transaction.atomic():
            admin = Administration.objects.create(
                cure=cure,
                nurse=actor,
                identity_checked=True,
                started_at=started_at,
                ended_at=ended_at,
                lot=lot.strip(),
                tolerance=tolerance.strip()[:1000],
                reaction_grade=reaction_grade,
                immediate_actions=immediate_actions.strip()[:1000],
                dasri_disposed=True,
                material_to_return=material_to_return.strip()[:500],
                vitals_before={k: str(v) for k, v in vitals_before.items()},
                vitals_after={k: str(v) for k, v in vitals_after.items()},
            )
    except IntegrityError as exc:  # the one-per-cure constraint: a concurrent double submission
        raise Conflict(_("La cure a déjà été administrée.")) from exc
    if cure.place == "home":
        # Sequence S2 (domain.md §2.1): the IDEC calls the patient at D+10 after each home administration.
        # A task of telemonitoring, created once the administration is committed (idempotent per patient
        # and day); ``robust``: a failure there is logged and never undoes the administration.
        from parcours.telemonitoring.schedules import followup_call_schedule

        patient_for_call, at = cure.patient, started_at
        transaction.on_commit(
            lambda: followup_call_schedule(patient=patient_for_call, administered_at=at), robust=True
        )
    if reaction_grade > 0:
        timeline_record(
            patient=cure.patient,
            actor=actor,
            kind="cure.infusion_reaction",
            data={
                "label": {
                    "fr": f"Réaction à la perfusion, grade {reaction_grade} : {immediate_actions.strip()}",
                    "en": f"Infusion reaction, grade {reaction_grade}: {immediate_actions.strip()}",
                },
                "cure": str(cure.external_id),
            },
        )
    return admin


# ---------------------------------------------------------------------------- close, cancel, postpone


@refusals_traced
@transaction.atomic
def cure_close(*, actor: User | None, cure: Cure) -> m.CureState:
    cure = _lock(cure, None)
    return _step(
        actor=actor, cure=cure, event=m.Close(actor=_actor_name(actor), at=clock.now()), timeline=False
    )


@refusals_traced
@transaction.atomic
def cures_close(*, actor: User | None, cure_ids: Sequence[int]) -> int:
    """Close many administered cures at once (the day's synthesis job): the same machine check, log row and
    audit event per cure as ``cure_close``, with the rows read and written in a few statements instead of
    ten per cure. Cures no longer ``administered`` are left alone. Returns how many were closed."""
    cures = list(
        Cure.objects.select_for_update()
        .select_related("patient", "plan")
        .filter(pk__in=list(cure_ids), status=CureStatus.ADMINISTERED)
        .order_by("pk")
    )
    if not cures:
        return 0
    ids = [c.pk for c in cures]
    oks: dict[int, list[OkDecision]] = defaultdict(list)
    for ok in OkDecision.objects.filter(cure_id__in=ids, revoked_at__isnull=True).order_by("id"):
        oks[ok.cure_id].append(ok)
    bags = {b.cure_id: b for b in Bag.objects.filter(cure_id__in=ids)}
    temps: dict[int, list[Decimal]] = defaultdict(list)
    for bag_id, temp in ColdChainReading.objects.filter(bag_id__in=[b.pk for b in bags.values()]).values_list(
        "bag_id", "temperature_c"
    ):
        temps[bag_id].append(temp)
    admins = {a.cure_id: a for a in Administration.objects.filter(cure_id__in=ids)}
    last_ids = (
        CureEvent.objects.filter(cure_id__in=ids).values("cure_id").annotate(last=Max("id")).values("last")
    )
    lasts = {e.cure_id: e for e in CureEvent.objects.filter(id__in=last_ids)}
    now = clock.now()
    label = (actor.get_full_name() or actor.username) if actor is not None else "système"
    events = []
    plain: list[int] = []
    changed: list[Cure] = []
    for cure in cures:
        bag_row = bags.get(cure.pk)
        state = _state_from(
            cure,
            oks=oks[cure.pk],
            bag_row=bag_row,
            temps=temps[bag_row.pk] if bag_row is not None else [],
            admin=admins.get(cure.pk),
            last=lasts.get(cure.pk),
        )
        result = m.apply(state, m.Close(actor=_actor_name(actor), at=now), now)
        if isinstance(result, m.Refusal):
            raise _refused(
                refusal_error(result),
                actor=actor,
                object_id=str(cure.external_id),
                patient_id=cure.patient_id,
                detail={"event": result.event, "reasons": list(result.codes)},
            )
        record = result.history[-1]
        if (result.status, result.cure_date, result.delivered_at) == (
            CureStatus.CLOSED,
            cure.date,
            cure.delivered_at,
        ):
            plain.append(cure.pk)  # only the status changes: one UPDATE for all of them
        else:
            changed.append(cure)
        cure.status = result.status
        cure.status_changed_at = now
        cure.date = result.cure_date
        cure.delivered_at = result.delivered_at
        cure.version += 1
        cure.updated_at = now
        events.append(
            CureEvent(
                cure=cure,
                event=record.event,
                actor=actor,
                actor_label=label,
                at=record.at,
                recorded_at=now,
                reason=record.reason or "",
                from_status=record.from_status,
                to_status=record.to_status,
                data={},
            )
        )
        audit_record(
            actor=actor,
            action="transition",
            object_type="cure",
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
            detail={"event": record.event, "from": record.from_status, "to": record.to_status},
        )
    if plain:  # the rows are locked: version + 1 here is the version checked above + 1
        Cure.objects.filter(pk__in=plain).update(
            status=CureStatus.CLOSED, status_changed_at=now, version=F("version") + 1, updated_at=now
        )
    if changed:
        Cure.objects.bulk_update(
            changed, ["status", "status_changed_at", "date", "delivered_at", "version", "updated_at"]
        )
    CureEvent.objects.bulk_create(events, batch_size=500)
    return len(cures)


@refusals_traced
@transaction.atomic
def cure_cancel(*, actor: User, cure: Cure, reason: str, expected_version: int | None = None) -> m.CureState:
    if not (has_perm(actor, "cure.prescribe") or has_perm(actor, "cure.ok")):
        raise Forbidden(_("Votre rôle ne permet pas d'annuler une cure."))
    cure = _lock(cure, expected_version)
    return _step(actor=actor, cure=cure, event=m.Cancel(actor=_name(actor), at=clock.now(), reason=reason))


def _calendar_of(plan: CurePlan, rows: Sequence[Cure]) -> CureCalendar:
    regimen = regimens().regimen(plan.regimen_id)

    def phase(number: int) -> tuple[int, Any]:
        try:
            return regimen.phase_of(number)
        except ValueError:
            return len(regimen.phases) - 1, regimen.phases[-1]

    planned = tuple(
        PlannedCure(
            number=c.number,
            phase_index=phase(c.number)[0],
            date=c.date,
            planned_start=c.planned_start,
            place=c.place,  # type: ignore[arg-type]
            regimen_dose=phase(c.number)[1].dose,
            dose_mg=c.dose_mg,
            interval_days=c.interval_days,
            infusion_minutes=c.infusion_minutes,
            lab_window=lab_window(c.planned_start),
            shifted_by_days=c.shifted_by_days,
        )
        for c in rows
    )
    place = gate.place_of_care(plan.patient)
    return CureCalendar(
        regimen=regimen,
        start=plan.start,
        cures=planned,
        warnings=(),
        cure_start_time=dt.time(9, 0),
        tz=PARIS,
        lab_window_hours=72,
        place_of=lambda _day: place,
    )


@dataclass(frozen=True)
class PostponeResult:
    cure: Cure
    moved: list[Cure]
    message: str
    changes: list[dict[str, Any]]


@refusals_traced
@transaction.atomic
def cure_postpone(
    *, actor: User, cure: Cure, days: int, reason: str, expected_version: int | None = None
) -> PostponeResult:
    """Postpone a cure by ``days`` and shift every later cure of the plan; says what moved (and where)."""
    if not (has_perm(actor, "cure.prescribe") or has_perm(actor, "cure.ok")):
        raise Forbidden(_("Votre rôle ne permet pas de reporter une cure."))
    cure = _lock(cure, expected_version)
    if not reason.strip():
        raise ValidationFailed(
            _("Un motif écrit est requis pour reporter une cure."),
            field_errors={"reason": [_("Champ obligatoire.")]},
        )
    if not isinstance(days, int) or not 1 <= days <= 90:
        raise ValidationFailed(
            _("Report de 1 à 90 jours."), field_errors={"days": [_("Report de 1 à 90 jours.")]}
        )
    rows = list(
        Cure.objects.select_for_update()
        .filter(plan=cure.plan, number__gte=cure.number)
        .exclude(status__in=[CureStatus.CANCELLED, CureStatus.CLOSED, CureStatus.ADMINISTERED])
        .select_related("patient", "plan")
        .order_by("number")
    )
    now = clock.now()
    if cure.pk not in {r.pk for r in rows}:  # administered, closed or cancelled: the machine says why
        _step(
            actor=actor,
            cure=cure,
            event=m.Postpone(actor=_name(actor), at=now, reason=reason, new_date=cure.date),
        )
    postponement = postpone(_calendar_of(cure.plan, rows), cure.number, days, reason=reason)
    new_date = cure.date + dt.timedelta(days=days)
    _step(
        actor=actor,
        cure=cure,
        event=m.Postpone(actor=_name(actor), at=now, reason=reason, new_date=new_date),
        data={"days": days},
        timeline=False,
    )
    _step(actor=actor, cure=cure, event=m.Reschedule(actor=_name(actor), at=now), timeline=False)
    OkDecision.objects.filter(cure=cure, revoked_at__isnull=True).update(revoked_at=now)
    by_number = {c.number: c for c in postponement.calendar.cures}
    moved: list[Cure] = []
    for row in rows:
        planned = by_number[row.number]
        if row.pk == cure.pk:
            row = cure
        elif row.status not in {CureStatus.PLANNED, CureStatus.LABS_DUE, CureStatus.READY_FOR_OK}:
            continue
        old = row.date
        row.date = planned.date
        row.planned_start = planned.planned_start
        row.lab_window_opens = planned.lab_window.opens_at
        row.place = planned.place
        row.shifted_by_days = planned.shifted_by_days
        if row.pk != cure.pk:
            row.version += 1
            CureEvent.objects.create(
                cure=row,
                event="shift",
                actor=actor,
                actor_label=actor.get_full_name() or actor.username,
                at=now,
                recorded_at=now,
                reason=reason.strip(),
                from_status=row.status,
                to_status=row.status,
                data={"from": old.isoformat(), "to": row.date.isoformat(), "because": str(cure.external_id)},
            )
        row.save(
            update_fields=[
                "date",
                "planned_start",
                "lab_window_opens",
                "place",
                "shifted_by_days",
                "version",
                "updated_at",
            ]
        )
        moved.append(row)
    changes = [
        {
            "number": c.number,
            "old_date": c.old_date.isoformat(),
            "new_date": c.new_date.isoformat(),
            "old_place": c.old_place,
            "new_place": c.new_place,
        }
        for c in postponement.changes
    ]
    timeline_record(
        patient=cure.patient,
        actor=actor,
        kind="cure.postponed",
        data={"label": _label(postponement.message), "cure": str(cure.external_id), "changes": changes},
        reason=reason.strip(),
    )
    return PostponeResult(cure=cure, moved=moved, message=_pick(postponement.message), changes=changes)
