"""Pure screening-score engine: instruments are versioned data, this module scores answers against them.

The instruments of the fast-track diagnostic pathway's supportive and palliative screening (seed 004,
fiche 8) are JSON documents under ``parcours/screening/data/`` (items, allowed values, points, thresholds,
team to route a positive result to, interpretation texts, sources). :func:`score` validates one set of
answers and returns a :class:`ScoreResult`; any invalid answer raises :class:`ScoreInputError` whose message
starts with the item's path (``"E.bmi: ..."``, ``"answers[3] (question 4): ..."``).

Instruments and inputs (clinical-rules.md Part A.2)::

    distress   {"score": 0..10, "problem_areas": [...]?}    positive when score >= 4 (configurable)
    g8         {"A": 0|1|2, "B": 0..3, "C": 0|1|2, "D": 0|1|2, "E": 0..3 | {"bmi": x},
                "F": 0|1, "G": 0|0.5|1|2, "H": 0|1|2}        total 0..17, positive when <= 14
    pallia10   {"answers": [10 booleans]}                     not applicable if answer 1 is false;
                                                              else count of true, positive when >= 3 (configurable)
    surprise   {"surprised_if_dies_within_12_months": bool,
                "surprised_if_alive_after_12_months": bool?}  positive when the first answer is false

Stdlib only; no Django, no other ``parcours`` module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

__all__ = [
    "POLICY",
    "BmiBand",
    "Instrument",
    "InstrumentDataError",
    "Item",
    "ItemResult",
    "Label",
    "Option",
    "ProblemArea",
    "ScoreError",
    "ScoreInputError",
    "ScoreResult",
    "ScoreSettingError",
    "Team",
    "Threshold",
    "bmi_points",
    "instrument_ids",
    "load_instrument_text",
    "load_instruments",
    "parse_instrument",
    "score",
]

POLICY = "parcours-triage-1"
DATA_PACKAGE = "parcours.screening.data"

Kind: TypeAlias = Literal["single_scale", "sum_of_items", "count_true_with_prerequisite", "surprise_question"]
Direction: TypeAlias = Literal["gte", "lte"]
_KINDS: tuple[Kind, ...] = (
    "single_scale",
    "sum_of_items",
    "count_true_with_prerequisite",
    "surprise_question",
)


class InstrumentDataError(ValueError):
    """An instrument data file is invalid; the message starts with the file and the path of the bad field."""


class ScoreError(ValueError):
    """Base class of the errors :func:`score` raises for a caller's input."""


class ScoreInputError(ScoreError):
    """An answer is missing, unknown or outside its allowed values. ``item`` is the path of the bad item
    (``"B"``, ``"E.bmi"``, ``"answers[3]"``, ``"(answers)"`` for the whole object); the message starts with it."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(f"{item}: {message}")
        self.item = item
        self.detail = message


class ScoreSettingError(ScoreError):
    """A setting (threshold override, BMI band variant) is not allowed for this instrument."""


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Label:
    """User-facing text, French first."""

    fr: str
    en: str


@dataclass(frozen=True)
class Team:
    """The team a positive result is routed to (``supportive_care``, ``geriatric_oncology``, ``palliative_care``)."""

    id: str
    label: Label


@dataclass(frozen=True)
class Option:
    points: float
    label: Label


@dataclass(frozen=True)
class BmiBand:
    """Points for a BMI ``>= lower`` (``lower`` None: from zero) up to the next band's lower bound."""

    lower: float | None
    points: float


@dataclass(frozen=True)
class Item:
    """One question. ``options`` lists the allowed point values (empty for a yes/no item)."""

    id: str
    label: Label
    options: tuple[Option, ...] = ()
    prerequisite: bool = False
    bmi_bands: Mapping[str, tuple[BmiBand, ...]] = field(default_factory=lambda: MappingProxyType({}))
    default_bmi_bands: str | None = None

    @property
    def allowed(self) -> tuple[float, ...]:
        return tuple(o.points for o in self.options)

    @property
    def is_boolean(self) -> bool:
        return not self.options


@dataclass(frozen=True)
class Threshold:
    """``positive`` when score ``>= value`` (gte) or ``<= value`` (lte). ``min``/``max`` bound an override."""

    direction: Direction
    value: float
    configurable: bool
    source: str
    min: float | None = None
    max: float | None = None

    def met(self, total: float, value: float | None = None) -> bool:
        cut = self.value if value is None else value
        return total >= cut if self.direction == "gte" else total <= cut


@dataclass(frozen=True)
class ProblemArea:
    id: str
    label: Label


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    kind: Kind
    name: Label
    items: tuple[Item, ...]
    threshold: Threshold | None
    max_score: float | None
    route_to: Team
    interpretation: Mapping[str, Label]
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    problem_areas: tuple[ProblemArea, ...] = ()
    follow_up: Item | None = None

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"instrument {self.id} has no item {item_id!r}")


@dataclass(frozen=True)
class ItemResult:
    """One answer as scored: ``answer`` as given (JSON-shaped), ``points`` it contributed (None: no points)."""

    id: str
    answer: object
    points: float | None


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: int
    score: float | None
    max_score: float | None
    positive: bool
    applicable: bool
    threshold: float | None
    route_to: Team | None
    interpretation: Label
    items: tuple[ItemResult, ...]
    settings: Mapping[str, str | float] = field(default_factory=lambda: MappingProxyType({}))
    policy: str = POLICY

    def as_dict(self) -> dict[str, Any]:
        """The JSON output of ``parcours score`` (clinical-rules A.2 keys first, French ``recommendation``)."""
        return {
            "instrument": self.instrument,
            "score": _json_number(self.score),
            "positive": self.positive,
            "recommendation": self.interpretation.fr,
            "recommendation_en": self.interpretation.en,
            "applicable": self.applicable,
            "route_to": None if self.route_to is None else self.route_to.id,
            "route_to_label": None
            if self.route_to is None
            else {"fr": self.route_to.label.fr, "en": self.route_to.label.en},
            "max_score": _json_number(self.max_score),
            "threshold": _json_number(self.threshold),
            "version": self.version,
            "policy": self.policy,
            "settings": {k: _json_number(v) if isinstance(v, float) else v for k, v in self.settings.items()},
            "items": [{"id": i.id, "answer": i.answer, "points": _json_number(i.points)} for i in self.items],
        }


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


# ---------------------------------------------------------------------------------------- data loading


def _get(obj: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...]) -> Any:
    if key not in obj:
        raise InstrumentDataError(f"{path}.{key}: required")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise InstrumentDataError(f"{path}.{key}: wrong type {type(value).__name__}")
    return value


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstrumentDataError(f"{path}: expected a finite number, got {value!r}")
    return float(value)


def _parse_label(obj: Mapping[str, Any], key: str, path: str) -> Label:
    raw = _get(obj, key, path, dict)
    fr, en = raw.get("fr"), raw.get("en")
    if not isinstance(fr, str) or not fr or not isinstance(en, str) or not en:
        raise InstrumentDataError(f"{path}.{key}: needs non-empty 'fr' and 'en' strings")
    return Label(fr, en)


def _parse_options(raw: Sequence[Any], path: str) -> tuple[Option, ...]:
    options = tuple(
        Option(
            _number(_get(o, "points", f"{path}[{i}]", (int, float)), f"{path}[{i}].points"),
            _parse_label(o, "label", f"{path}[{i}]"),
        )
        for i, o in enumerate(raw)
    )
    points = [o.points for o in options]
    if not points or len(set(points)) != len(points):
        raise InstrumentDataError(f"{path}: needs at least one option and distinct points")
    return options


def _parse_bmi_bands(
    raw: Mapping[str, Any], path: str, allowed: tuple[float, ...]
) -> tuple[str, dict[str, tuple[BmiBand, ...]]]:
    default = _get(raw, "default", path, str)
    variants: dict[str, tuple[BmiBand, ...]] = {}
    for name, spec in _get(raw, "variants", path, dict).items():
        vpath = f"{path}.variants.{name}"
        bands = []
        for i, band in enumerate(_get(spec, "bands", vpath, list)):
            lower = band.get("from")
            pts = _number(band.get("points"), f"{vpath}.bands[{i}].points")
            if pts not in allowed:
                raise InstrumentDataError(f"{vpath}.bands[{i}].points: {pts} is not an option of the item")
            bands.append(BmiBand(None if lower is None else _number(lower, f"{vpath}.bands[{i}].from"), pts))
        if not bands or bands[0].lower is not None or any(b.lower is None for b in bands[1:]):
            raise InstrumentDataError(f"{vpath}.bands: the first band (only) starts from null")
        lowers = [b.lower for b in bands[1:] if b.lower is not None]
        if lowers != sorted(set(lowers)):
            raise InstrumentDataError(f"{vpath}.bands: lower bounds must increase")
        variants[name] = tuple(bands)
    if default not in variants:
        raise InstrumentDataError(f"{path}.default: {default!r} is not a variant")
    return default, variants


def _parse_threshold(raw: Mapping[str, Any], path: str) -> Threshold:
    direction = _get(raw, "direction", path, str)
    if direction not in ("gte", "lte"):
        raise InstrumentDataError(f"{path}.direction: expected 'gte' or 'lte'")
    configurable = _get(raw, "configurable", path, bool)
    low = raw.get("min")
    high = raw.get("max")
    return Threshold(
        direction=direction,
        value=_number(raw.get("value"), f"{path}.value"),
        configurable=configurable,
        source=_get(raw, "source", path, str),
        min=None if low is None else _number(low, f"{path}.min"),
        max=None if high is None else _number(high, f"{path}.max"),
    )


def _parse_team(raw: Mapping[str, Any], path: str) -> Team:
    return Team(_get(raw, "id", path, str), _parse_label(raw, "label", path))


def parse_instrument(data: Mapping[str, Any]) -> Instrument:
    """Validate one instrument document (already JSON-decoded)."""
    if not isinstance(data, Mapping):
        raise InstrumentDataError("(root): expected an object")
    ident = _get(data, "id", "", str)
    version = _get(data, "version", "", int)
    kind = _get(data, "kind", "", str)
    if kind not in _KINDS:
        raise InstrumentDataError(f".kind: unknown kind {kind!r} (expected one of {', '.join(_KINDS)})")
    interp_raw = _get(data, "interpretation", "", dict)
    interpretation = {key: _parse_label(interp_raw, key, ".interpretation") for key in interp_raw}
    for needed in ("positive", "negative"):
        if needed not in interpretation:
            raise InstrumentDataError(f".interpretation.{needed}: required")
    threshold = _parse_threshold(data["threshold"], ".threshold") if "threshold" in data else None
    items: list[Item] = []
    follow_up: Item | None = None
    problem_areas: tuple[ProblemArea, ...] = ()
    if kind == "single_scale":
        raw = _get(data, "item", "", dict)
        allowed = [
            _number(v, f".item.allowed[{i}]") for i, v in enumerate(_get(raw, "allowed", ".item", list))
        ]
        options = tuple(Option(v, Label(f"{v:g}", f"{v:g}")) for v in allowed)
        items.append(Item(_get(raw, "id", ".item", str), _parse_label(raw, "label", ".item"), options))
        problem_areas = tuple(
            ProblemArea(
                _get(p, "id", f".problem_areas[{i}]", str), _parse_label(p, "label", f".problem_areas[{i}]")
            )
            for i, p in enumerate(data.get("problem_areas", []))
        )
    elif kind == "sum_of_items":
        for i, raw in enumerate(_get(data, "items", "", list)):
            path = f".items[{i}]"
            options = _parse_options(_get(raw, "options", path, list), f"{path}.options")
            default_bands, bands = (
                _parse_bmi_bands(raw["bmi_bands"], f"{path}.bmi_bands", tuple(o.points for o in options))
                if "bmi_bands" in raw
                else (None, {})
            )
            items.append(
                Item(
                    _get(raw, "id", path, str),
                    _parse_label(raw, "label", path),
                    options,
                    bmi_bands=MappingProxyType(bands),
                    default_bmi_bands=default_bands,
                )
            )
    elif kind == "count_true_with_prerequisite":
        for i, raw in enumerate(_get(data, "questions", "", list)):
            path = f".questions[{i}]"
            number = _get(raw, "number", path, int)
            if number != i + 1:
                raise InstrumentDataError(f"{path}.number: expected {i + 1}")
            items.append(
                Item(
                    f"q{number}", _parse_label(raw, "label", path), prerequisite=bool(raw.get("prerequisite"))
                )
            )
        if not items[0].prerequisite or any(it.prerequisite for it in items[1:]):
            raise InstrumentDataError(".questions: only question 1 is the prerequisite")
        if "not_applicable" not in interpretation:
            raise InstrumentDataError(".interpretation.not_applicable: required")
    else:
        raw = _get(data, "question", "", dict)
        items.append(Item(_get(raw, "id", ".question", str), _parse_label(raw, "label", ".question")))
        if _get(raw, "positive_when", ".question", bool) is not False:
            raise InstrumentDataError(".question.positive_when: the surprise question is positive when false")
        if "follow_up" in data:
            fup = _get(data, "follow_up", "", dict)
            follow_up = Item(_get(fup, "id", ".follow_up", str), _parse_label(fup, "label", ".follow_up"))
    if kind != "surprise_question" and threshold is None:
        raise InstrumentDataError(".threshold: required")
    max_score = data.get("max_score")
    instrument = Instrument(
        id=ident,
        version=version,
        kind=kind,
        name=_parse_label(data, "name", ""),
        items=tuple(items),
        threshold=threshold,
        max_score=None if max_score is None else _number(max_score, ".max_score"),
        route_to=_parse_team(_get(data, "route_to", "", dict), ".route_to"),
        interpretation=MappingProxyType(interpretation),
        sources=tuple(_get(data, "sources", "", list)),
        notes=tuple(data.get("notes", [])),
        problem_areas=problem_areas,
        follow_up=follow_up,
    )
    if instrument.kind == "sum_of_items" and instrument.max_score != sum(max(it.allowed) for it in items):
        raise InstrumentDataError(".max_score: must equal the sum of each item's highest points")
    return instrument


def load_instrument_text(text: str, origin: str) -> Instrument:
    """Parse JSON text into an instrument; errors are prefixed with ``origin``."""
    try:
        return parse_instrument(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InstrumentDataError(f"{origin}: invalid JSON: {exc}") from None
    except InstrumentDataError as exc:
        raise InstrumentDataError(f"{origin}: {exc}") from None


_CACHE: Mapping[str, Instrument] | None = None


def load_instruments() -> Mapping[str, Instrument]:
    """Every ``data/*.json`` keyed by instrument id (parsed once per process; read-only mapping)."""
    global _CACHE
    if _CACHE is None:
        found: dict[str, Instrument] = {}
        for entry in sorted(resources.files(DATA_PACKAGE).iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".json") or not entry.is_file():
                continue
            inst = load_instrument_text(entry.read_text(encoding="utf-8"), entry.name)
            if inst.id in found:
                raise InstrumentDataError(f"{entry.name}: instrument {inst.id!r} defined twice")
            found[inst.id] = inst
        _CACHE = MappingProxyType(found)
    return _CACHE


def instrument_ids() -> tuple[str, ...]:
    return tuple(sorted(load_instruments()))


# ---------------------------------------------------------------------------------------------- scoring


def _describe(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fmt(values: Sequence[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _choice(item: Item, value: object, path: str) -> float:
    if value is None:
        raise ScoreInputError(path, f"missing (allowed: {_fmt(item.allowed)})")
    if not _is_number(value):
        raise ScoreInputError(
            path, f"expected a number, got {_describe(value)} (allowed: {_fmt(item.allowed)})"
        )
    assert isinstance(value, int | float)
    for allowed in item.allowed:
        if value == allowed:
            return allowed
    raise ScoreInputError(path, f"{_describe(value)} is not an allowed value (allowed: {_fmt(item.allowed)})")


def _boolean(value: object, path: str) -> bool:
    if value is None:
        raise ScoreInputError(path, "missing (expected true or false)")
    if not isinstance(value, bool):
        raise ScoreInputError(path, f"expected true or false, got {_describe(value)}")
    return value


def _check_keys(answers: Mapping[str, object], known: Sequence[str], instrument: str) -> None:
    for key in answers:
        if key not in known:
            raise ScoreInputError(str(key), f"unknown item for {instrument} (expected: {', '.join(known)})")


def bmi_points(bmi: float, bands: Sequence[BmiBand]) -> float:
    """Points of the band containing ``bmi`` (the last band whose lower bound is <= bmi)."""
    points = bands[0].points
    for band in bands[1:]:
        if band.lower is not None and bmi >= band.lower:
            points = band.points
    return points


def _threshold_value(inst: Instrument, override: float | None) -> float | None:
    if inst.threshold is None:
        if override is not None:
            raise ScoreSettingError(f"threshold: {inst.id} has no threshold to override")
        return None
    if override is None:
        return inst.threshold.value
    t = inst.threshold
    if not t.configurable:
        raise ScoreSettingError(f"threshold: the {inst.id} threshold is not configurable ({t.source})")
    if (
        not _is_number(override)
        or not math.isfinite(override)
        or not float(override).is_integer()
        or (t.min is not None and override < t.min)
        or (t.max is not None and override > t.max)
    ):
        raise ScoreSettingError(
            f"threshold: {override!r} is not allowed for {inst.id} (a whole number from {t.min:g} to {t.max:g})"
            if t.min is not None and t.max is not None
            else f"threshold: {override!r} is not a valid threshold for {inst.id}"
        )
    return float(override)


def _text(inst: Instrument, key: str, total: float | None, threshold: float | None) -> Label:
    template = inst.interpretation[key]

    def num(value: float | None, decimal: str) -> str:
        return "" if value is None else f"{value:g}".replace(".", decimal)

    return Label(
        template.fr.format(score=num(total, ","), threshold=num(threshold, ",")),
        template.en.format(score=num(total, "."), threshold=num(threshold, ".")),
    )


def _require_mapping(answers: object) -> Mapping[str, object]:
    if not isinstance(answers, Mapping):
        raise ScoreInputError("(answers)", f"expected a JSON object, got {_describe(answers)}")
    return answers


def score(
    instrument_id: str,
    answers: object,
    *,
    threshold: float | None = None,
    bmi_bands: str | None = None,
) -> ScoreResult:
    """Score ``answers`` (a JSON-decoded object) with the instrument ``instrument_id``.

    ``threshold`` overrides the positive cut-off where the instrument marks it configurable (distress,
    pallia10: a whole number within the data's ``min``..``max``); ``bmi_bands`` picks the G8 BMI band variant (``bellera2012`` default, ``inca_fr``).
    Raises :class:`ScoreInputError` (naming the item) or :class:`ScoreSettingError`; ``KeyError`` for an
    unknown instrument.
    """
    instruments = load_instruments()
    if instrument_id not in instruments:
        raise KeyError(f"unknown instrument {instrument_id!r} (known: {', '.join(instrument_ids())})")
    inst = instruments[instrument_id]
    cut = _threshold_value(inst, threshold)
    if bmi_bands is not None and inst.kind != "sum_of_items":
        raise ScoreSettingError(f"bmi_bands: {inst.id} has no BMI item")
    data = _require_mapping(answers)
    if inst.kind == "single_scale":
        return _score_single_scale(inst, data, cut)
    if inst.kind == "sum_of_items":
        return _score_sum(inst, data, cut, bmi_bands)
    if inst.kind == "count_true_with_prerequisite":
        return _score_count(inst, data, cut)
    return _score_surprise(inst, data)


def _result(
    inst: Instrument,
    *,
    total: float | None,
    positive: bool,
    applicable: bool,
    cut: float | None,
    items: Sequence[ItemResult],
    settings: Mapping[str, str | float],
    text_key: str | None = None,
) -> ScoreResult:
    key = text_key or ("positive" if positive else "negative")
    return ScoreResult(
        instrument=inst.id,
        version=inst.version,
        score=total,
        max_score=inst.max_score,
        positive=positive,
        applicable=applicable,
        threshold=cut,
        route_to=inst.route_to if positive else None,
        interpretation=_text(inst, key, total, cut),
        items=tuple(items),
        settings=MappingProxyType(dict(settings)),
    )


def _score_single_scale(inst: Instrument, data: Mapping[str, object], cut: float | None) -> ScoreResult:
    item = inst.items[0]
    known = [item.id, *(["problem_areas"] if inst.problem_areas else [])]
    _check_keys(data, known, inst.id)
    if item.id not in data:
        raise ScoreInputError(item.id, f"missing (allowed: {_fmt(item.allowed)})")
    value = _choice(item, data[item.id], item.id)
    results = [ItemResult(item.id, _json_number(value), value)]
    if "problem_areas" in data:
        results.append(ItemResult("problem_areas", _problem_areas(inst, data["problem_areas"]), None))
    assert inst.threshold is not None and cut is not None
    positive = inst.threshold.met(value, cut)
    return _result(
        inst,
        total=value,
        positive=positive,
        applicable=True,
        cut=cut,
        items=results,
        settings={"threshold": cut},
    )


def _problem_areas(inst: Instrument, value: object) -> list[str]:
    ids = [p.id for p in inst.problem_areas]
    if not isinstance(value, list):
        raise ScoreInputError("problem_areas", f"expected a list of problem areas ({', '.join(ids)})")
    seen: list[str] = []
    for i, area in enumerate(value):
        if not isinstance(area, str) or area not in ids:
            raise ScoreInputError(
                f"problem_areas[{i}]", f"{_describe(area)} is not a problem area (expected: {', '.join(ids)})"
            )
        if area in seen:
            raise ScoreInputError(f"problem_areas[{i}]", f"{area!r} is given twice")
        seen.append(area)
    return seen


def _score_sum(
    inst: Instrument, data: Mapping[str, object], cut: float | None, bmi_variant: str | None
) -> ScoreResult:
    _check_keys(data, [it.id for it in inst.items], inst.id)
    bmi_items = [it for it in inst.items if it.bmi_bands]
    settings: dict[str, str | float] = {}
    if bmi_items:
        variant = bmi_variant or bmi_items[0].default_bmi_bands
        assert variant is not None
        if variant not in bmi_items[0].bmi_bands:
            raise ScoreSettingError(
                f"bmi_bands: unknown variant {variant!r} (expected: {', '.join(sorted(bmi_items[0].bmi_bands))})"
            )
        settings["bmi_bands"] = variant
    elif bmi_variant is not None:
        raise ScoreSettingError(f"bmi_bands: {inst.id} has no BMI item")
    results: list[ItemResult] = []
    total = 0.0
    for item in inst.items:
        if item.id not in data:
            raise ScoreInputError(item.id, f"missing (allowed: {_fmt(item.allowed)})")
        value = data[item.id]
        if item.bmi_bands and isinstance(value, Mapping):
            points, answer = _bmi_answer(item, value, settings["bmi_bands"])
        else:
            points = _choice(item, value, item.id)
            answer = _json_number(points)
        total += points
        results.append(ItemResult(item.id, answer, points))
    assert inst.threshold is not None and cut is not None
    settings["threshold"] = cut
    return _result(
        inst,
        total=total,
        positive=inst.threshold.met(total, cut),
        applicable=True,
        cut=cut,
        items=results,
        settings=settings,
    )


def _bmi_answer(item: Item, value: Mapping[object, object], variant: str | float) -> tuple[float, object]:
    path = item.id
    for key in value:
        if key != "bmi":
            raise ScoreInputError(
                f"{path}.{key}", f'unknown key (give the points {_fmt(item.allowed)} or {{"bmi": number}})'
            )
    if "bmi" not in value:
        raise ScoreInputError(f"{path}.bmi", 'missing (give the points or {"bmi": number})')
    bmi = value["bmi"]
    if isinstance(bmi, bool) or not isinstance(bmi, int | float) or not math.isfinite(bmi) or bmi <= 0:
        raise ScoreInputError(f"{path}.bmi", f"expected a positive number (kg/m²), got {_describe(bmi)}")
    assert isinstance(variant, str)
    return bmi_points(float(bmi), item.bmi_bands[variant]), {"bmi": bmi}


def _score_count(inst: Instrument, data: Mapping[str, object], cut: float | None) -> ScoreResult:
    _check_keys(data, ["answers"], inst.id)
    n = len(inst.items)
    raw = data.get("answers")
    if raw is None:
        raise ScoreInputError("answers", f"missing (expected a list of {n} booleans)")
    if not isinstance(raw, list):
        raise ScoreInputError("answers", f"expected a list of {n} booleans, got {_describe(raw)}")
    if len(raw) != n:
        raise ScoreInputError("answers", f"expected {n} answers (questions 1 to {n}), got {len(raw)}")
    values = [_boolean(v, f"answers[{i}] (question {i + 1})") for i, v in enumerate(raw)]
    results = [ItemResult(it.id, v, 1.0 if v else 0.0) for it, v in zip(inst.items, values, strict=True)]
    assert inst.threshold is not None and cut is not None
    settings = {"threshold": cut}
    if not values[0]:
        return _result(
            inst,
            total=None,
            positive=False,
            applicable=False,
            cut=cut,
            items=[ItemResult(it.id, v, None) for it, v in zip(inst.items, values, strict=True)],
            settings=settings,
            text_key="not_applicable",
        )
    total = float(sum(values))
    return _result(
        inst,
        total=total,
        positive=inst.threshold.met(total, cut),
        applicable=True,
        cut=cut,
        items=results,
        settings=settings,
    )


def _score_surprise(inst: Instrument, data: Mapping[str, object]) -> ScoreResult:
    first = inst.items[0]
    known = [first.id, *([inst.follow_up.id] if inst.follow_up else [])]
    _check_keys(data, known, inst.id)
    if first.id not in data:
        raise ScoreInputError(first.id, "missing (expected true or false)")
    surprised = _boolean(data[first.id], first.id)
    results = [ItemResult(first.id, surprised, None)]
    if inst.follow_up is not None:
        second = data.get(inst.follow_up.id)
        if second is not None:
            if surprised:
                raise ScoreInputError(
                    inst.follow_up.id,
                    f"only asked when {first.id} is false (double surprise question); omit it or give null",
                )
            results.append(ItemResult(inst.follow_up.id, _boolean(second, inst.follow_up.id), None))
    return _result(
        inst, total=None, positive=not surprised, applicable=True, cut=None, items=results, settings={}
    )
