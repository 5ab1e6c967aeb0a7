"""The life cycle of one cure, as a pure state machine (domain §3).

::

    planned → labs_due → ready_for_ok → ok_given → in_preparation → released → in_delivery → delivered
                                      ↘ ok_refused                              → administered → closed
    cancelled: from any state before administration (reason required)
    postponed: from any state before preparation (reason and new date required) → planned (reschedule)

:func:`apply` takes a :class:`CureState`, an event and ``now`` and returns the new state or a
:class:`Refusal` listing **every** reason (bilingual). The checks that matter:

* no preparation and no bag release without a valid OK (every kind the convention requires —
  :class:`~parcours.treatments.ok_gate.OkRecord.is_valid_at`);
* no administration without a valid OK at its start, a released bag not expired at the start (and started
  by its ``latest_start``), a delivery recorded before the start, and cold-chain readings within the
  allowed range; never twice;
* no timestamp in the future beyond :data:`CLOCK_SKEW` (2 minutes) and none before the previous event;
* a closed or cancelled cure accepts no event.

Each accepted event is appended to ``history`` with its actor, time and reason.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, TypeAlias

from parcours.treatments.common import Label
from parcours.treatments.ok_gate import OkKind, OkRecord

__all__ = [
    "CLOCK_SKEW",
    "FINAL_STATUSES",
    "Administer",
    "Administration",
    "Bag",
    "Cancel",
    "Close",
    "ColdChain",
    "CureState",
    "CureStatus",
    "Deliver",
    "Event",
    "EventRecord",
    "GiveOk",
    "LabsReceived",
    "OpenLabWindow",
    "Postpone",
    "Refusal",
    "RefusalReason",
    "RefuseOk",
    "ReleaseBag",
    "Reschedule",
    "StartDelivery",
    "StartPreparation",
    "apply",
]

CureStatus: TypeAlias = Literal[
    "planned",
    "labs_due",
    "ready_for_ok",
    "ok_given",
    "ok_refused",
    "in_preparation",
    "released",
    "in_delivery",
    "delivered",
    "administered",
    "closed",
    "cancelled",
    "postponed",
]
CLOCK_SKEW = timedelta(minutes=2)
FINAL_STATUSES: frozenset[CureStatus] = frozenset({"closed", "cancelled"})
ALL_OK_KINDS: frozenset[OkKind] = frozenset({"cycle", "day_of_cure"})
_BEFORE_PREPARATION: frozenset[CureStatus] = frozenset(
    {"planned", "labs_due", "ready_for_ok", "ok_given", "ok_refused"}
)


# ------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class ColdChain:
    """Lowest and highest temperatures recorded during transport, and the range the bag allows (°C)."""

    min_c: Decimal
    max_c: Decimal
    allowed_min_c: Decimal | None
    allowed_max_c: Decimal

    @property
    def compliant(self) -> bool:
        low_ok = self.allowed_min_c is None or self.min_c >= self.allowed_min_c
        return low_ok and self.max_c <= self.allowed_max_c and self.min_c <= self.max_c


@dataclass(frozen=True)
class Bag:
    prepared_at: datetime
    released_at: datetime
    deadline: datetime  # stability limit (stability.stability_deadline)
    latest_start: datetime | None = None  # deadline − infusion time
    lot: str | None = None


@dataclass(frozen=True)
class Administration:
    started_at: datetime
    ended_at: datetime | None
    by: str
    lot: str | None = None


@dataclass(frozen=True)
class EventRecord:
    event: str
    actor: str
    at: datetime
    recorded_at: datetime
    reason: str | None
    from_status: CureStatus
    to_status: CureStatus


@dataclass(frozen=True)
class CureState:
    cure_date: date
    status: CureStatus = "planned"
    required_ok_kinds: frozenset[OkKind] = ALL_OK_KINDS
    oks: tuple[OkRecord, ...] = ()
    bag: Bag | None = None
    cold_chain: ColdChain | None = None
    delivered_at: datetime | None = None
    administration: Administration | None = None
    history: tuple[EventRecord, ...] = ()

    def ok_valid_at(self, moment: datetime) -> bool:
        """Every required kind of OK is given for this cure's date and valid at ``moment``."""
        return not self.missing_ok_kinds(moment)

    def missing_ok_kinds(self, moment: datetime) -> tuple[OkKind, ...]:
        valid = {ok.kind for ok in self.oks if ok.cure_date == self.cure_date and ok.is_valid_at(moment)}
        return tuple(sorted(self.required_ok_kinds - valid))


# ------------------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class _Base:
    actor: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class OpenLabWindow(_Base):
    pass


@dataclass(frozen=True)
class LabsReceived(_Base):
    pass


@dataclass(frozen=True)
class GiveOk(_Base):
    ok: OkRecord | None = None


@dataclass(frozen=True)
class RefuseOk(_Base):
    ok: OkRecord | None = None


@dataclass(frozen=True)
class StartPreparation(_Base):
    pass


@dataclass(frozen=True)
class ReleaseBag(_Base):
    bag: Bag | None = None


@dataclass(frozen=True)
class StartDelivery(_Base):
    pass


@dataclass(frozen=True)
class Deliver(_Base):
    cold_chain: ColdChain | None = None


@dataclass(frozen=True)
class Administer(_Base):
    started_at: datetime | None = None
    ended_at: datetime | None = None
    lot: str | None = None


@dataclass(frozen=True)
class Close(_Base):
    pass


@dataclass(frozen=True)
class Cancel(_Base):
    pass


@dataclass(frozen=True)
class Postpone(_Base):
    new_date: date | None = None


@dataclass(frozen=True)
class Reschedule(_Base):
    pass


Event: TypeAlias = (
    OpenLabWindow
    | LabsReceived
    | GiveOk
    | RefuseOk
    | StartPreparation
    | ReleaseBag
    | StartDelivery
    | Deliver
    | Administer
    | Close
    | Cancel
    | Postpone
    | Reschedule
)

_EVENT_NAMES: dict[type[_Base], str] = {
    OpenLabWindow: "open_lab_window",
    LabsReceived: "labs_received",
    GiveOk: "give_ok",
    RefuseOk: "refuse_ok",
    StartPreparation: "start_preparation",
    ReleaseBag: "release_bag",
    StartDelivery: "start_delivery",
    Deliver: "deliver",
    Administer: "administer",
    Close: "close",
    Cancel: "cancel",
    Postpone: "postpone",
    Reschedule: "reschedule",
}

# event -> (statuses it may come from, status it leads to; None: computed)
_TRANSITIONS: dict[type[_Base], tuple[frozenset[CureStatus], CureStatus | None]] = {
    OpenLabWindow: (frozenset({"planned"}), "labs_due"),
    LabsReceived: (frozenset({"labs_due"}), "ready_for_ok"),
    GiveOk: (frozenset({"ready_for_ok", "ok_given"}), None),
    RefuseOk: (frozenset({"ready_for_ok", "ok_given"}), "ok_refused"),
    StartPreparation: (frozenset({"ok_given"}), "in_preparation"),
    ReleaseBag: (frozenset({"in_preparation"}), "released"),
    StartDelivery: (frozenset({"released"}), "in_delivery"),
    Deliver: (frozenset({"in_delivery"}), "delivered"),
    Administer: (frozenset({"delivered"}), "administered"),
    Close: (frozenset({"administered"}), "closed"),
    Cancel: (
        frozenset(
            {
                "planned",
                "labs_due",
                "ready_for_ok",
                "ok_given",
                "ok_refused",
                "in_preparation",
                "released",
                "in_delivery",
                "delivered",
                "postponed",
            }
        ),
        "cancelled",
    ),
    Postpone: (_BEFORE_PREPARATION, "postponed"),
    Reschedule: (frozenset({"postponed"}), "planned"),
}
_REASON_REQUIRED = (Cancel, Postpone, RefuseOk)


@dataclass(frozen=True)
class RefusalReason:
    code: str
    message: Label


@dataclass(frozen=True)
class Refusal:
    event: str
    status: CureStatus
    reasons: tuple[RefusalReason, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


# ------------------------------------------------------------------------------------------- apply


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


class _Reasons:
    def __init__(self) -> None:
        self.items: list[RefusalReason] = []

    def add(self, code: str, fr: str, en: str) -> None:
        self.items.append(RefusalReason(code, Label(fr=fr, en=en)))


def _check_time(
    reasons: _Reasons, moment: datetime, now: datetime, what_fr: str, what_en: str, code: str
) -> None:
    if moment > now + CLOCK_SKEW:
        reasons.add(
            code,
            f"{what_fr} ({_when(moment)}) est dans le futur",
            f"{what_en} ({_when(moment)}) is in the future",
        )


def _check_ok(reasons: _Reasons, state: CureState, moment: datetime, for_fr: str, for_en: str) -> None:
    missing = state.missing_ok_kinds(moment)
    if missing:
        kinds_fr = {"cycle": "OK du cycle", "day_of_cure": "OK du jour de la cure"}
        kinds_en = {"cycle": "whole-cycle OK", "day_of_cure": "day-of-cure OK"}
        reasons.add(
            "ok_missing",
            f"{for_fr} : pas d'OK clinique et biologique valide ({', '.join(kinds_fr[k] for k in missing)})",
            f"{for_en}: no valid clinical and biological OK ({', '.join(kinds_en[k] for k in missing)})",
        )


def _check_bag(reasons: _Reasons, bag: Bag | None, moment: datetime) -> None:
    if bag is None:
        reasons.add("bag_missing", "aucune poche libérée par la pharmacie", "no bag released by the pharmacy")
        return
    if moment >= bag.deadline:
        reasons.add(
            "bag_expired",
            f"poche périmée : limite de stabilité {_when(bag.deadline)}",
            f"bag expired: stability limit {_when(bag.deadline)}",
        )
    elif bag.latest_start is not None and moment > bag.latest_start:
        reasons.add(
            "bag_too_late",
            f"trop tard pour commencer la perfusion avant la limite de stabilité (au plus tard {_when(bag.latest_start)})",
            f"too late to start the infusion within the stability limit (latest start {_when(bag.latest_start)})",
        )


def apply(state: CureState, event: Event, now: datetime) -> CureState | Refusal:
    """Apply ``event`` to ``state`` at ``now``: the new state, or a refusal listing every reason."""
    if not _aware(now):
        raise ValueError("now: expected an aware datetime")
    name = _EVENT_NAMES[type(event)]
    reasons = _Reasons()
    sources, target = _TRANSITIONS[type(event)]

    if state.status in FINAL_STATUSES:
        reasons.add(
            "final_state",
            f"la cure est {'clôturée' if state.status == 'closed' else 'annulée'} : aucun événement n'est accepté",
            f"the cure is {state.status}: no event is accepted",
        )
    elif isinstance(event, Administer) and state.administration is not None:
        reasons.add(
            "already_administered", "la cure a déjà été administrée", "the cure was already administered"
        )
    elif state.status not in sources:
        reasons.add(
            "wrong_status",
            f"« {name} » impossible depuis l'état « {state.status} »",
            f"'{name}' is not possible from status '{state.status}'",
        )

    if not event.actor or not event.actor.strip():
        reasons.add("actor_missing", "auteur de l'événement manquant", "the event's actor is missing")
    at_ok = _aware(event.at)
    if not at_ok:
        reasons.add("time_invalid", "horodatage sans fuseau horaire", "timestamp without a time zone")
    else:
        _check_time(reasons, event.at, now, "l'horodatage", "the timestamp", "future_timestamp")
        if state.history and event.at < state.history[-1].at - CLOCK_SKEW:
            reasons.add(
                "before_previous_event",
                f"l'horodatage précède l'événement précédent ({_when(state.history[-1].at)})",
                f"the timestamp is before the previous event ({_when(state.history[-1].at)})",
            )
    reason_text = (event.reason or "").strip() or None
    if (
        isinstance(event, _REASON_REQUIRED)
        and reason_text is None
        and not (isinstance(event, RefuseOk) and event.ok is not None and event.ok.reason)
    ):
        reasons.add("reason_required", "un motif écrit est requis", "a written reason is required")

    new = state
    if isinstance(event, GiveOk):
        ok = event.ok
        if ok is None:
            reasons.add("ok_missing", "aucun OK fourni", "no OK given")
        else:
            if ok.decision != "given":
                reasons.add(
                    "ok_not_given", "cet enregistrement est un refus d'OK", "this record is a refusal"
                )
            if ok.cure_date != state.cure_date:
                reasons.add(
                    "ok_other_date",
                    f"l'OK porte sur le {ok.cure_date.isoformat()}, la cure est le {state.cure_date.isoformat()}",
                    f"the OK is for {ok.cure_date.isoformat()}, the cure is on {state.cure_date.isoformat()}",
                )
            if ok.kind not in state.required_ok_kinds:
                reasons.add(
                    "ok_kind_not_required", "ce type d'OK n'est pas prévu", "this kind of OK is not required"
                )
            if at_ok and not ok.is_valid_at(event.at):
                reasons.add(
                    "ok_not_valid", "l'OK n'est pas valide à cet instant", "the OK is not valid at this time"
                )
            oks = (*state.oks, ok)
            probe = replace(state, oks=oks)
            target = "ok_given" if at_ok and probe.ok_valid_at(event.at) else "ready_for_ok"
            new = probe
    elif isinstance(event, RefuseOk):
        if event.ok is not None:
            if event.ok.decision != "refused":
                reasons.add(
                    "ok_not_refused", "cet enregistrement n'est pas un refus", "this record is not a refusal"
                )
            new = replace(state, oks=(*state.oks, event.ok))
    elif isinstance(event, StartPreparation):
        if at_ok:
            _check_ok(reasons, state, event.at, "préparation", "preparation")
    elif isinstance(event, ReleaseBag):
        bag = event.bag
        if at_ok:
            _check_ok(reasons, state, event.at, "libération", "release")
        if bag is None:
            reasons.add("bag_missing", "poche non décrite", "no bag described")
        elif not all(_aware(t) for t in (bag.prepared_at, bag.released_at, bag.deadline)) or (
            bag.latest_start is not None and not _aware(bag.latest_start)
        ):
            reasons.add(
                "time_invalid", "horodatage de poche sans fuseau", "bag timestamp without a time zone"
            )
        else:
            _check_time(reasons, bag.prepared_at, now, "la préparation", "preparation", "future_timestamp")
            _check_time(reasons, bag.released_at, now, "la libération", "release", "future_timestamp")
            if bag.released_at < bag.prepared_at:
                reasons.add("bag_times", "libération avant la préparation", "released before it was prepared")
            _check_bag(reasons, bag, bag.released_at)
            new = replace(state, bag=bag)
    elif isinstance(event, StartDelivery):
        if at_ok:
            _check_bag(reasons, state.bag, event.at)
    elif isinstance(event, Deliver):
        if event.cold_chain is None:
            reasons.add(
                "cold_chain_missing", "relevés de température manquants", "temperature readings missing"
            )
        if at_ok:
            _check_bag(reasons, state.bag, event.at)
        new = replace(state, cold_chain=event.cold_chain, delivered_at=event.at if at_ok else None)
    elif isinstance(event, Administer):
        start = event.started_at
        if start is None or not _aware(start):
            reasons.add(
                "time_invalid",
                "début d'administration manquant ou sans fuseau",
                "administration start missing or naive",
            )
        else:
            _check_time(
                reasons,
                start,
                now,
                "le début d'administration",
                "the administration start",
                "future_timestamp",
            )
            _check_ok(reasons, state, start, "administration", "administration")
            _check_bag(reasons, state.bag, start)
            if state.delivered_at is None or start < state.delivered_at:
                reasons.add(
                    "not_delivered",
                    "administration avant la livraison de la poche",
                    "administration before the bag was delivered",
                )
            if event.ended_at is not None:
                if not _aware(event.ended_at) or event.ended_at < start:
                    reasons.add("time_invalid", "fin d'administration invalide", "invalid administration end")
                else:
                    _check_time(
                        reasons,
                        event.ended_at,
                        now,
                        "la fin d'administration",
                        "the administration end",
                        "future_timestamp",
                    )
        chain = state.cold_chain
        if chain is None:
            reasons.add(
                "cold_chain_missing", "relevés de chaîne du froid manquants", "cold-chain readings missing"
            )
        elif not chain.compliant:
            low = "—" if chain.allowed_min_c is None else f"{chain.allowed_min_c}"
            reasons.add(
                "cold_chain_excursion",
                f"rupture de la chaîne du froid : {chain.min_c}–{chain.max_c} °C relevés pour {low}–{chain.allowed_max_c} °C autorisés",
                f"cold-chain excursion: {chain.min_c}–{chain.max_c} °C recorded, {low}–{chain.allowed_max_c} °C allowed",
            )
        if start is not None:
            new = replace(state, administration=Administration(start, event.ended_at, event.actor, event.lot))
    elif isinstance(event, Postpone):
        if event.new_date is None:
            reasons.add("new_date_missing", "nouvelle date manquante", "new date missing")
        elif event.new_date <= state.cure_date:
            reasons.add(
                "new_date_not_later",
                f"la nouvelle date doit suivre le {state.cure_date.isoformat()}",
                f"the new date must be after {state.cure_date.isoformat()}",
            )
        else:
            new = replace(state, cure_date=event.new_date, oks=())

    if reasons.items:
        return Refusal(event=name, status=state.status, reasons=tuple(reasons.items))
    assert target is not None
    record = EventRecord(
        event=name,
        actor=event.actor.strip(),
        at=event.at,
        recorded_at=now,
        reason=reason_text
        if reason_text is not None
        else (event.ok.reason if isinstance(event, RefuseOk) and event.ok else None),
        from_status=state.status,
        to_status=target,
    )
    return replace(new, status=target, history=(*state.history, record))
