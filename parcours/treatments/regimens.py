"""Regimens as versioned data: checkpoint-inhibitor drugs and their dosing schedules.

The data lives in ``parcours/treatments/data/regimens.v<N>.json`` (values copied from
``clinical-rules.md`` §4 and Part C.4, each with its source; a value the sources do not give is ``null`` and
the drug's ``notes`` say so). :func:`parse_regimens` validates a parsed document and raises
:class:`~parcours.treatments.common.DataError` whose message starts with the path of the bad field
(``regimens[3].phases[0].dose.amount: ...``). :func:`load_builtin_regimens` loads the shipped file.

A regimen is a sequence of phases; each phase gives a dose (flat ``mg`` or weight-based ``mg/kg``), the
interval in days from each of its cures to the next, and a number of cycles (``None``: until stopped, only on
the last phase).

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from parcours.treatments.common import (
    DataError,
    Label,
    decimal,
    integer,
    label,
    lst,
    obj,
    opt_integer,
    opt_string,
    string,
    strings,
)

__all__ = [
    "BUILTIN_FILE",
    "ConcentrationRange",
    "Dose",
    "DoseUnit",
    "Drug",
    "MicrobiologicalLimit",
    "Phase",
    "Regimen",
    "RegimenCatalogue",
    "Stability",
    "StabilityLimit",
    "Storage",
    "load_builtin_regimens",
    "load_regimens_file",
    "parse_regimens",
]

DoseUnit: TypeAlias = Literal["mg", "mg/kg"]
Storage: TypeAlias = Literal["refrigerated", "room_temperature"]
CountedUntil: TypeAlias = Literal["end_of_infusion", "unspecified"]

FORMAT = "parcours-regimens"
BUILTIN_FILE = "regimens.v1.json"
_DATA_PACKAGE = "parcours.treatments.data"


@dataclass(frozen=True)
class Dose:
    amount: Decimal
    unit: DoseUnit

    @property
    def is_flat(self) -> bool:
        return self.unit == "mg"

    def for_weight(self, weight_kg: Decimal | None) -> Decimal | None:
        """The dose in mg: the flat dose, or mg/kg × weight (``None`` if the weight is unknown)."""
        if self.unit == "mg":
            return self.amount
        if weight_kg is None:
            return None
        return self.amount * weight_kg

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class Phase:
    dose: Dose
    interval_days: int
    cycles: int | None  # None: until stopped (last phase only)
    label: Label
    first_cure_after_days: int | None = None  # None: the previous phase's interval (and a warning)


@dataclass(frozen=True)
class StabilityLimit:
    """Chemical and physical stability after dilution for one storage condition."""

    hours: int
    temperature_min_c: int | None
    temperature_max_c: int
    counted_until: CountedUntil
    label_read: str
    confidence: str
    source: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MicrobiologicalLimit:
    """Limits that apply when the bag was *not* prepared under validated aseptic conditions (C.4)."""

    refrigerated_hours: int
    room_temperature_hours: int
    source: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stability:
    refrigerated: StabilityLimit | None
    room_temperature: StabilityLimit | None
    # True when the label lets room-temperature time count inside the refrigerated total (pembrolizumab).
    room_temperature_within_refrigerated: bool
    microbiological: MicrobiologicalLimit | None

    def limit(self, storage: Storage) -> StabilityLimit | None:
        return self.refrigerated if storage == "refrigerated" else self.room_temperature


@dataclass(frozen=True)
class ConcentrationRange:
    min: Decimal
    max: Decimal


@dataclass(frozen=True)
class Drug:
    inn: str
    brand: str
    target: str
    route: str
    infusion_minutes: int
    first_infusion_minutes: int | None
    diluent: str | None
    final_concentration_mg_per_ml: ConcentrationRange | None
    in_line_filter: str | None
    stability: Stability
    sources: tuple[str, ...]
    notes: tuple[str, ...]

    def infusion_minutes_for(self, cure_number: int) -> int:
        """Infusion time of the ``cure_number``-th cure (1-based): the first may be longer (atezolizumab)."""
        if cure_number == 1 and self.first_infusion_minutes is not None:
            return self.first_infusion_minutes
        return self.infusion_minutes


@dataclass(frozen=True)
class Regimen:
    id: str
    version: int
    drug: Drug
    label: Label
    phases: tuple[Phase, ...]
    source: str
    notes: tuple[str, ...]

    @property
    def total_cycles(self) -> int | None:
        """Number of cures of the whole regimen, ``None`` when it runs until stopped."""
        if self.phases[-1].cycles is None:
            return None
        return sum(p.cycles or 0 for p in self.phases)

    def phase_of(self, cure_number: int) -> tuple[int, Phase]:
        """(index, phase) of the ``cure_number``-th cure (1-based); ``ValueError`` past the last cure."""
        if cure_number < 1:
            raise ValueError(f"cure_number: expected >= 1, got {cure_number}")
        remaining = cure_number
        for index, phase in enumerate(self.phases):
            if phase.cycles is None or remaining <= phase.cycles:
                return index, phase
            remaining -= phase.cycles
        raise ValueError(f"cure_number: regimen {self.id} has {self.total_cycles} cures, not {cure_number}")


@dataclass(frozen=True)
class RegimenCatalogue:
    version: int
    title: Label
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    drugs: Mapping[str, Drug]
    regimens: Mapping[str, Regimen]
    _by_drug: Mapping[str, tuple[Regimen, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "drugs", MappingProxyType(dict(self.drugs)))
        object.__setattr__(self, "regimens", MappingProxyType(dict(self.regimens)))
        by_drug = {inn: tuple(r for r in self.regimens.values() if r.drug.inn == inn) for inn in self.drugs}
        object.__setattr__(self, "_by_drug", MappingProxyType(by_drug))

    def regimen(self, regimen_id: str) -> Regimen:
        try:
            return self.regimens[regimen_id]
        except KeyError:
            raise KeyError(f"regimens v{self.version} have no regimen {regimen_id!r}") from None

    def drug(self, inn: str) -> Drug:
        try:
            return self.drugs[inn]
        except KeyError:
            raise KeyError(f"regimens v{self.version} have no drug {inn!r}") from None

    def for_drug(self, inn: str) -> tuple[Regimen, ...]:
        self.drug(inn)
        return self._by_drug[inn]


# ------------------------------------------------------------------------------------------ parser


def _dose(data: object, path: str) -> Dose:
    o = obj(data, path, ("amount", "unit"))
    unit = o["unit"]
    if unit not in ("mg", "mg/kg"):
        raise DataError(f"{path}.unit: expected 'mg' or 'mg/kg', got {unit!r}")
    return Dose(amount=decimal(o["amount"], f"{path}.amount"), unit=unit)


def _phase(data: object, path: str) -> Phase:
    o = obj(data, path, ("dose", "interval_days", "cycles", "label"), ("first_cure_after_days",))
    return Phase(
        dose=_dose(o["dose"], f"{path}.dose"),
        interval_days=integer(o["interval_days"], f"{path}.interval_days", minimum=1),
        cycles=opt_integer(o["cycles"], f"{path}.cycles", minimum=1),
        label=label(o["label"], f"{path}.label"),
        first_cure_after_days=opt_integer(
            o.get("first_cure_after_days"), f"{path}.first_cure_after_days", minimum=1
        ),
    )


def _limit(data: object, path: str) -> StabilityLimit | None:
    if data is None:
        return None
    o = obj(
        data,
        path,
        (
            "hours",
            "temperature_min_c",
            "temperature_max_c",
            "counted_until",
            "label_read",
            "confidence",
            "source",
        ),
        ("notes",),
    )
    counted = o["counted_until"]
    if counted not in ("end_of_infusion", "unspecified"):
        raise DataError(f"{path}.counted_until: expected 'end_of_infusion' or 'unspecified', got {counted!r}")
    tmin = o["temperature_min_c"]
    if tmin is not None and (isinstance(tmin, bool) or not isinstance(tmin, int)):
        raise DataError(f"{path}.temperature_min_c: expected an integer or null, got {tmin!r}")
    tmax = o["temperature_max_c"]
    if isinstance(tmax, bool) or not isinstance(tmax, int):
        raise DataError(f"{path}.temperature_max_c: expected an integer, got {tmax!r}")
    if tmin is not None and tmin >= tmax:
        raise DataError(f"{path}.temperature_min_c: must be below temperature_max_c ({tmin} >= {tmax})")
    return StabilityLimit(
        hours=integer(o["hours"], f"{path}.hours", minimum=1),
        temperature_min_c=tmin,
        temperature_max_c=tmax,
        counted_until=counted,
        label_read=string(o["label_read"], f"{path}.label_read"),
        confidence=string(o["confidence"], f"{path}.confidence"),
        source=string(o["source"], f"{path}.source"),
        notes=strings(o.get("notes", []), f"{path}.notes"),
    )


def _micro(data: object, path: str) -> MicrobiologicalLimit | None:
    if data is None:
        return None
    o = obj(data, path, ("refrigerated_hours", "room_temperature_hours", "source"), ("notes",))
    return MicrobiologicalLimit(
        refrigerated_hours=integer(o["refrigerated_hours"], f"{path}.refrigerated_hours", minimum=1),
        room_temperature_hours=integer(
            o["room_temperature_hours"], f"{path}.room_temperature_hours", minimum=1
        ),
        source=string(o["source"], f"{path}.source"),
        notes=strings(o.get("notes", []), f"{path}.notes"),
    )


def _stability(data: object, path: str) -> Stability:
    o = obj(
        data,
        path,
        ("refrigerated", "room_temperature", "room_temperature_within_refrigerated", "microbiological"),
    )
    within = o["room_temperature_within_refrigerated"]
    if not isinstance(within, bool):
        raise DataError(
            f"{path}.room_temperature_within_refrigerated: expected true or false, got {within!r}"
        )
    return Stability(
        refrigerated=_limit(o["refrigerated"], f"{path}.refrigerated"),
        room_temperature=_limit(o["room_temperature"], f"{path}.room_temperature"),
        room_temperature_within_refrigerated=within,
        microbiological=_micro(o["microbiological"], f"{path}.microbiological"),
    )


def _concentration(data: object, path: str) -> ConcentrationRange | None:
    if data is None:
        return None
    o = obj(data, path, ("min", "max"))
    low, high = decimal(o["min"], f"{path}.min"), decimal(o["max"], f"{path}.max")
    if low > high:
        raise DataError(f"{path}.min: must not exceed max ({low} > {high})")
    return ConcentrationRange(min=low, max=high)


_DRUG_FIELDS = (
    "inn",
    "brand",
    "target",
    "route",
    "infusion_minutes",
    "first_infusion_minutes",
    "diluent",
    "final_concentration_mg_per_ml",
    "in_line_filter",
    "stability",
    "sources",
    "notes",
)


def _drug(data: object, path: str) -> Drug:
    o = obj(data, path, _DRUG_FIELDS)
    return Drug(
        inn=string(o["inn"], f"{path}.inn"),
        brand=string(o["brand"], f"{path}.brand"),
        target=string(o["target"], f"{path}.target"),
        route=string(o["route"], f"{path}.route"),
        infusion_minutes=integer(o["infusion_minutes"], f"{path}.infusion_minutes", minimum=1),
        first_infusion_minutes=opt_integer(
            o["first_infusion_minutes"], f"{path}.first_infusion_minutes", minimum=1
        ),
        diluent=opt_string(o["diluent"], f"{path}.diluent"),
        final_concentration_mg_per_ml=_concentration(
            o["final_concentration_mg_per_ml"], f"{path}.final_concentration_mg_per_ml"
        ),
        in_line_filter=opt_string(o["in_line_filter"], f"{path}.in_line_filter"),
        stability=_stability(o["stability"], f"{path}.stability"),
        sources=strings(lst(o["sources"], f"{path}.sources", non_empty=True), f"{path}.sources"),
        notes=strings(o["notes"], f"{path}.notes"),
    )


def _regimen(data: object, path: str, drugs: Mapping[str, Drug]) -> Regimen:
    o = obj(data, path, ("id", "version", "drug", "label", "phases", "source", "notes"))
    inn = string(o["drug"], f"{path}.drug")
    if inn not in drugs:
        raise DataError(f"{path}.drug: unknown drug {inn!r} (expected one of {', '.join(sorted(drugs))})")
    raw_phases = lst(o["phases"], f"{path}.phases", non_empty=True)
    phases = tuple(_phase(p, f"{path}.phases[{i}]") for i, p in enumerate(raw_phases))
    for i, phase in enumerate(phases[:-1]):
        if phase.cycles is None:
            raise DataError(f"{path}.phases[{i}].cycles: only the last phase may run until stopped (null)")
    if phases[0].first_cure_after_days is not None:
        raise DataError(f"{path}.phases[0].first_cure_after_days: the first phase starts at the start date")
    return Regimen(
        id=string(o["id"], f"{path}.id"),
        version=integer(o["version"], f"{path}.version", minimum=1),
        drug=drugs[inn],
        label=label(o["label"], f"{path}.label"),
        phases=phases,
        source=string(o["source"], f"{path}.source"),
        notes=strings(o["notes"], f"{path}.notes"),
    )


def parse_regimens(data: object) -> RegimenCatalogue:
    """Validate a parsed regimens document; ``DataError`` names the bad field."""
    o = obj(data, "", ("format", "version", "title", "sources", "notes", "drugs", "regimens"))
    if o["format"] != FORMAT:
        raise DataError(f"format: expected {FORMAT!r}, got {o['format']!r}")
    drugs: dict[str, Drug] = {}
    for i, raw in enumerate(lst(o["drugs"], "drugs", non_empty=True)):
        drug = _drug(raw, f"drugs[{i}]")
        if drug.inn in drugs:
            raise DataError(f"drugs[{i}].inn: duplicate drug {drug.inn!r}")
        drugs[drug.inn] = drug
    regimens: dict[str, Regimen] = {}
    for i, raw in enumerate(lst(o["regimens"], "regimens", non_empty=True)):
        regimen = _regimen(raw, f"regimens[{i}]", drugs)
        if regimen.id in regimens:
            raise DataError(f"regimens[{i}].id: duplicate regimen {regimen.id!r}")
        regimens[regimen.id] = regimen
    return RegimenCatalogue(
        version=integer(o["version"], "version", minimum=1),
        title=label(o["title"], "title"),
        sources=strings(o["sources"], "sources"),
        notes=strings(o["notes"], "notes"),
        drugs=drugs,
        regimens=regimens,
    )


def _parse_text(text: str, origin: str) -> RegimenCatalogue:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: not valid JSON ({exc})") from None
    return parse_regimens(data)


def load_regimens_file(path: str | Path) -> RegimenCatalogue:
    return _parse_text(Path(path).read_text(encoding="utf-8"), str(path))


def load_builtin_regimens(name: str = BUILTIN_FILE) -> RegimenCatalogue:
    """The regimens shipped with Parcours (``data/regimens.v1.json`` by default)."""
    text = resources.files(_DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return _parse_text(text, name)
