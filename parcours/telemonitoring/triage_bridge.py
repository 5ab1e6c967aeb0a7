"""From Parcours data (answers, observations) to the pure engine's input, and its result to words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from parcours.monitoring.triage import TriageResult

# Observation code -> engine lab code (same names; the engine does not grade GLUCOSE)
ENGINE_LABS = {"ALT", "AST", "BILIRUBIN", "CREATININE", "NEUTROPHILS", "PLATELETS", "HEMOGLOBIN", "TSH"}
NEEDS = {
    "ALT": ("uln",),
    "AST": ("uln",),
    "BILIRUBIN": ("uln",),
    "CREATININE": ("uln",),
    "NEUTROPHILS": ("lln",),
    "PLATELETS": ("lln",),
    "HEMOGLOBIN": ("lln",),
    "TSH": ("lln", "uln"),
}
# Absolute thresholds are in 10^9/L (cells) and g/dL (haemoglobin): factor from the unit recorded.
_UNIT_FACTORS: Mapping[str, Mapping[str, Decimal]] = {
    "NEUTROPHILS": {
        "g/l": Decimal(1),
        "10^9/l": Decimal(1),
        "giga/l": Decimal(1),
        "/mm3": Decimal("0.001"),
        "/µl": Decimal("0.001"),
        "/ul": Decimal("0.001"),
    },
    "PLATELETS": {
        "g/l": Decimal(1),
        "10^9/l": Decimal(1),
        "giga/l": Decimal(1),
        "/mm3": Decimal("0.001"),
        "/µl": Decimal("0.001"),
        "/ul": Decimal("0.001"),
    },
    "HEMOGLOBIN": {"g/dl": Decimal(1), "g/l": Decimal("0.1")},
}
VITALS = {"TEMP": "temperature_c", "SPO2": "spo2_percent"}


def _num(value: Decimal) -> int | float:
    """Exact enough for the engine, which reads floats through their shortest repr."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def lab_payload(observations: Iterable[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Engine ``labs`` from Observation-like rows (code, value, unit, lower, upper); also the codes skipped."""
    labs: list[dict[str, Any]] = []
    skipped: list[str] = []
    for obs in observations:
        code = obs.code
        if code not in ENGINE_LABS:
            continue
        factor = Decimal(1)
        table = _UNIT_FACTORS.get(code)
        if table is not None:
            unit = (obs.unit or "").strip().lower().replace(" ", "")
            if unit not in table:
                skipped.append(code)
                continue
            factor = table[unit]
        item: dict[str, Any] = {"code": code, "value": _num(Decimal(obs.value) * factor)}
        limits = {"lln": obs.lower, "uln": obs.upper}
        if any(limits[k] is None for k in NEEDS[code]):
            skipped.append(code)
            continue
        for key in NEEDS[code]:
            item[key] = _num(Decimal(limits[key]) * factor)
        labs.append(item)
    return labs, skipped


def vital_payload(observations: Iterable[Any]) -> dict[str, Any]:
    vitals: dict[str, Any] = {}
    for obs in observations:
        key = VITALS.get(obs.code)
        if key is not None:
            vitals[key] = _num(Decimal(obs.value))
    return vitals


def explanation(result: TriageResult) -> list[dict[str, Any]]:
    """The result in words (fr and en), worst first: red flags, hold, discontinuation, findings, incomplete."""
    rows: list[dict[str, Any]] = []
    for flag in result.red_flags:
        rows.append(
            {"kind": "red_flag", "code": flag.code, "grade": None, "fr": flag.label.fr, "en": flag.label.en}
        )
    for r in result.hold_reasons:
        rows.append({"kind": "hold", "code": r.code, "grade": r.grade, "fr": r.label.fr, "en": r.label.en})
    for r in result.discontinuation_reasons:
        rows.append(
            {"kind": "discontinuation", "code": r.code, "grade": r.grade, "fr": r.label.fr, "en": r.label.en}
        )
    for f in sorted(result.findings, key=lambda f: -f.grade):
        rows.append(
            {
                "kind": "finding",
                "source": f.source,
                "code": f.code,
                "grade": f.grade,
                "fr": f.label.fr,
                "en": f.label.en,
            }
        )
    for t in result.incomplete:
        rows.append(
            {
                "kind": "incomplete",
                "code": t.code,
                "grade": t.grade_at_least,
                "missing": list(t.missing),
                "fr": t.label.fr,
                "en": t.label.en,
            }
        )
    return rows
