"""Stability deadline of a prepared bag, from the drug's data (clinical-rules C.4), storage and preparation time.

:func:`stability_deadline` returns a :class:`StabilityDeadline`: the moment after which the bag must not be
used (``deadline``), and ``latest_start`` = deadline − infusion time, because several labels count stability
until the *end* of the infusion and the others do not say (so Parcours assumes the stricter reading).

Rules (clinical-rules C.4 and the data's notes):

* the limit is the chemical/physical stability after dilution for the storage condition;
* C.4: "apply the shorter microbiological limit unless the compounding unit prepares under validated aseptic
  conditions": with ``aseptic_validated=False`` the microbiological limit applies when the data gives one
  (durvalumab); when it does not, the SmPC's "use immediately" cannot be turned into hours and the function
  raises :class:`StabilityDataMissing` unless the pharmacy sets ``local_limit_hours``;
* a refrigerated bag brought to room temperature at ``room_temperature_from``: when the label counts
  room-temperature time inside the refrigerated total (pembrolizumab), the room-temperature limit runs from
  that moment; otherwise (labels that give the two conditions as alternatives) it runs from preparation;
* a value the sources do not give (nivolumab) raises :class:`StabilityDataMissing` naming the field unless
  the pharmacy sets ``local_limit_hours`` with a reason; a local limit may only shorten a known limit.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal, TypeAlias

from parcours.treatments.common import DataError, Label, require_aware
from parcours.treatments.regimens import Drug, Storage

__all__ = [
    "Basis",
    "StabilityDataMissing",
    "StabilityDeadline",
    "is_expired",
    "stability_deadline",
    "storage_range",
]

Basis: TypeAlias = Literal["chemical_physical", "microbiological", "room_temperature", "local"]
STORAGES: tuple[Storage, ...] = ("refrigerated", "room_temperature")


class StabilityDataMissing(DataError):
    """The data gives no limit for this drug and storage; the pharmacy must set a local limit."""


@dataclass(frozen=True)
class StabilityDeadline:
    drug: str
    storage: Storage
    prepared_at: datetime
    deadline: datetime
    latest_start: datetime
    limit_hours: int
    basis: Basis
    source: str
    explanation: Label
    local_limit_reason: str | None = None


@dataclass(frozen=True)
class _Candidate:
    end: datetime
    hours: int
    basis: Basis
    source: str


def _after(moment: datetime, hours: int) -> datetime:
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(moment.tzinfo)


def storage_range(drug: Drug, storage: Storage) -> tuple[Decimal | None, Decimal]:
    """(min °C or None, max °C) allowed for the bag in ``storage``; ``StabilityDataMissing`` if unknown."""
    limit = drug.stability.limit(storage)
    if limit is None:
        raise StabilityDataMissing(
            f"{drug.inn}.stability.{storage}: not given by the sources (clinical-rules C.4)"
        )
    low = None if limit.temperature_min_c is None else Decimal(limit.temperature_min_c)
    return low, Decimal(limit.temperature_max_c)


def stability_deadline(
    drug: Drug,
    *,
    storage: Storage,
    prepared_at: datetime,
    aseptic_validated: bool,
    room_temperature_from: datetime | None = None,
    infusion_minutes: int | None = None,
    local_limit_hours: int | None = None,
    local_limit_reason: str | None = None,
) -> StabilityDeadline:
    """The stability deadline of a bag of ``drug`` prepared at ``prepared_at`` and kept in ``storage``."""
    require_aware(prepared_at, "prepared_at")
    if storage not in STORAGES:
        raise DataError(f"storage: expected 'refrigerated' or 'room_temperature', got {storage!r}")
    if room_temperature_from is not None:
        require_aware(room_temperature_from, "room_temperature_from")
        if storage != "refrigerated":
            raise DataError("room_temperature_from: only for a refrigerated bag brought to room temperature")
        if room_temperature_from < prepared_at:
            raise DataError("room_temperature_from: before the preparation time")
    minutes = drug.infusion_minutes if infusion_minutes is None else infusion_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise DataError(f"infusion_minutes: expected an integer >= 1, got {minutes!r}")
    if local_limit_hours is not None:
        if (
            isinstance(local_limit_hours, bool)
            or not isinstance(local_limit_hours, int)
            or local_limit_hours < 1
        ):
            raise DataError(f"local_limit_hours: expected an integer >= 1, got {local_limit_hours!r}")
        if not (local_limit_reason or "").strip():
            raise DataError(
                "local_limit_reason: a local limit needs its reason or reference (e.g. the SmPC read)"
            )

    stability = drug.stability
    candidates: list[_Candidate] = []
    missing: list[str] = []
    limit = stability.limit(storage)
    if limit is None:
        missing.append(f"{drug.inn}.stability.{storage}: not given by the sources (clinical-rules C.4)")
    else:
        candidates.append(
            _Candidate(_after(prepared_at, limit.hours), limit.hours, "chemical_physical", limit.source)
        )
    if not aseptic_validated:
        micro = stability.microbiological
        if micro is None:
            missing.append(
                f"{drug.inn}.stability.microbiological: not given by the sources; without validated aseptic "
                "preparation the SmPC says to use the solution immediately"
            )
        else:
            hours = micro.refrigerated_hours if storage == "refrigerated" else micro.room_temperature_hours
            candidates.append(_Candidate(_after(prepared_at, hours), hours, "microbiological", micro.source))
    if room_temperature_from is not None:
        room = stability.room_temperature
        if room is None:
            missing.append(
                f"{drug.inn}.stability.room_temperature: not given by the sources (clinical-rules C.4)"
            )
        else:
            since = room_temperature_from if stability.room_temperature_within_refrigerated else prepared_at
            candidates.append(
                _Candidate(_after(since, room.hours), room.hours, "room_temperature", room.source)
            )

    if local_limit_hours is not None:
        known = [c for c in candidates if c.basis == "chemical_physical"]
        if known and local_limit_hours > known[0].hours:
            raise DataError(
                f"local_limit_hours: {local_limit_hours} h exceeds the {known[0].hours} h of the data "
                f"({drug.inn}, {storage}); a local limit may only shorten it"
            )
        candidates.append(
            _Candidate(
                _after(prepared_at, local_limit_hours), local_limit_hours, "local", "local pharmacy limit"
            )
        )
    elif missing:
        raise StabilityDataMissing("; ".join(missing) + " — set local_limit_hours with its reason")

    chosen = min(candidates, key=lambda c: c.end)
    deadline = chosen.end
    latest_start = (deadline.astimezone(UTC) - timedelta(minutes=minutes)).astimezone(deadline.tzinfo)
    where = {
        "refrigerated": ("entre 2 et 8 °C", "at 2–8 °C"),
        "room_temperature": ("à température ambiante", "at room temperature"),
    }[storage]
    basis_text = {
        "chemical_physical": ("stabilité physico-chimique", "chemical and physical stability"),
        "microbiological": (
            "limite microbiologique (préparation non validée aseptique)",
            "microbiological limit (preparation not validated aseptic)",
        ),
        "room_temperature": ("limite à température ambiante", "room-temperature limit"),
        "local": ("limite locale de la pharmacie", "local pharmacy limit"),
    }[chosen.basis]
    return StabilityDeadline(
        drug=drug.inn,
        storage=storage,
        prepared_at=prepared_at,
        deadline=deadline,
        latest_start=latest_start,
        limit_hours=chosen.hours,
        basis=chosen.basis,
        source=chosen.source,
        explanation=Label(
            fr=f"{drug.inn} conservé {where[0]} : {chosen.hours} h ({basis_text[0]}) ; à utiliser avant "
            f"{deadline.isoformat(timespec='minutes')}, perfusion commencée au plus tard "
            f"{latest_start.isoformat(timespec='minutes')}.",
            en=f"{drug.inn} kept {where[1]}: {chosen.hours} h ({basis_text[1]}); use before "
            f"{deadline.isoformat(timespec='minutes')}, infusion started by "
            f"{latest_start.isoformat(timespec='minutes')} at the latest.",
        ),
        local_limit_reason=(local_limit_reason or "").strip() or None if chosen.basis == "local" else None,
    )


def is_expired(deadline: datetime, now: datetime) -> bool:
    """True from the deadline on (a bag is usable strictly before its deadline)."""
    require_aware(deadline, "deadline")
    require_aware(now, "now")
    return now >= deadline
