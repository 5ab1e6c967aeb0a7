"""CTCAE v5 grading of lab values and vital signs, thresholds read from ``data/ctcae_v5_grading.json``.

Each code (lab: ``ALT``, ``AST``, ``BILIRUBIN``, ``CREATININE``, ``NEUTROPHILS``, ``PLATELETS``,
``HEMOGLOBIN``, ``TSH``; vital: ``temperature_c``, ``spo2_percent``) has a list of rules
``{grade, op, threshold, of}``: the rule holds when ``value <op> threshold × ULN`` (``of: uln``),
``threshold × LLN`` (``of: lln``) or ``threshold`` (``of: absolute``). The grade is the highest grade whose
rule holds (0 if none), except that a lab value at or inside the normal range — between the reference limits
the code requires — is grade 0 (clinical-rules A.1 rule 2). Bounds follow the policy: "> a–b" is
``a < x <= b`` and "< a–b" is ``b <= x < a``; fever grade 1 "38.0–39.0" includes 38.0.

Comparisons are exact (:class:`~decimal.Decimal`): 2.1 with a ULN of 0.7 is exactly 3 × ULN, grade 1.
Units are the caller's job: cell counts in 10^9/L (= G/L), haemoglobin in g/dL, the other labs in the unit
of their reference limits.

Stdlib only; no Django, no other ``parcours`` module.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from parcours.monitoring.common import DataFileError, Label, read_data

__all__ = [
    "GradeRule",
    "GradingTables",
    "LabDef",
    "VitalDef",
    "grade_lab",
    "grade_vital",
    "load_grading",
]

Op: TypeAlias = Literal["gt", "ge", "lt", "le"]
Reference: TypeAlias = Literal["uln", "lln", "absolute"]

GRADING_FILE = "ctcae_v5_grading.json"
OPERATORS: Mapping[str, Callable[[Decimal, Decimal], bool]] = MappingProxyType(
    {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
)
OP_SYMBOLS: Mapping[str, str] = MappingProxyType({"gt": ">", "ge": "≥", "lt": "<", "le": "≤"})


@dataclass(frozen=True, slots=True)
class GradeRule:
    grade: int
    op: Op
    threshold: Decimal
    of: Reference
    ctcae: str

    def bound(self, *, uln: Decimal | None = None, lln: Decimal | None = None) -> Decimal:
        """The value this rule compares with: the threshold, or the threshold times the ULN or LLN."""
        if self.of == "absolute":
            return self.threshold
        reference = uln if self.of == "uln" else lln
        if reference is None:
            raise ValueError(f"rule {self.op} {self.threshold} × {self.of.upper()} needs the {self.of}")
        return self.threshold * reference

    def holds(self, value: Decimal, *, uln: Decimal | None = None, lln: Decimal | None = None) -> bool:
        return OPERATORS[self.op](value, self.bound(uln=uln, lln=lln))


# lab code -> (ULN, LLN) -> ((grade, comparison, bound), ...) highest grade first
_BOUNDS: dict[
    str,
    dict[tuple[Decimal | None, Decimal | None], tuple[tuple[int, Callable[[Any, Any], bool], Decimal], ...]],
] = {}


@dataclass(frozen=True, slots=True)
class LabDef:
    code: str
    label: Label
    meddra: int | None
    unit: str
    requires: frozenset[Literal["uln", "lln"]]
    rules: tuple[GradeRule, ...]
    _by_grade: tuple[GradeRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_grade = tuple(sorted(self.rules, key=lambda r: -r.grade))
        object.__setattr__(self, "_by_grade", by_grade)

    def grade(self, value: Decimal, uln: Decimal | None, lln: Decimal | None) -> int:
        """:func:`grade_lab` without the check of the reference limits (the parser did it)."""
        if (lln is None or value >= lln or "lln" not in self.requires) and (
            uln is None or value <= uln or "uln" not in self.requires
        ):
            return 0
        key = (uln, lln)
        bounds = _BOUNDS.get(self.code, {}).get(key)
        if bounds is None:  # the same reference limits repeat: compute each rule's bound once per limits
            bounds = tuple(
                (rule.grade, OPERATORS[rule.op], rule.bound(uln=uln, lln=lln)) for rule in self._by_grade
            )
            table = _BOUNDS.setdefault(self.code, {})
            if len(table) >= 1024:
                table.clear()
            table[key] = bounds
        for grade, test, bound in bounds:  # highest grade first: the first rule that holds gives the grade
            if test(value, bound):
                return grade
        return 0


@dataclass(frozen=True, slots=True)
class VitalDef:
    name: str
    label: Label
    meddra: int | None
    unit: str
    plausible: tuple[Decimal, Decimal]
    rules: tuple[GradeRule, ...]
    _by_grade: tuple[GradeRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_grade", tuple(sorted(self.rules, key=lambda r: -r.grade)))


@dataclass(frozen=True)
class GradingTables:
    ctcae_version: str
    source: str
    labs: Mapping[str, LabDef]
    vitals: Mapping[str, VitalDef]


def grade_lab(lab: LabDef, value: Decimal, *, uln: Decimal | None = None, lln: Decimal | None = None) -> int:
    """CTCAE grade of one lab value (0 = normal). ``ValueError`` if a reference limit ``lab`` requires is
    missing (the triage parser refuses such input before grading)."""
    for ref, limit in (("uln", uln), ("lln", lln)):
        if ref in lab.requires and limit is None:
            raise ValueError(f"{lab.code}: the {ref.upper()} is required")
    return lab.grade(value, uln, lln)


def grade_vital(vital: VitalDef, value: Decimal) -> int:
    """CTCAE grade of one vital sign (fever, hypoxia at rest)."""
    for rule in vital._by_grade:  # highest grade first
        if rule.holds(value):
            return rule.grade
    return 0


# ------------------------------------------------------------------------------------------ loading


@cache
def load_grading() -> GradingTables:
    """The lab and vital grading tables from the packaged data (parsed and checked once, then cached)."""
    return parse_grading(read_data(GRADING_FILE))


def parse_grading(data: Any, origin: str = GRADING_FILE) -> GradingTables:
    """Build the grading tables; :class:`DataFileError` naming the file and field if invalid."""
    try:
        labs: dict[str, LabDef] = {}
        for code, spec in data["labs"].items():
            where = f"{origin}: labs.{code}"
            requires = frozenset(spec["requires"])
            if not requires or not requires <= {"uln", "lln"}:
                raise DataFileError(f"{where}.requires: expected a non-empty subset of uln, lln")
            rules = _rules(spec["grades"], f"{where}.grades")
            for rule in rules:
                if rule.of != "absolute" and rule.of not in requires:
                    raise DataFileError(f"{where}.grades: a rule uses the {rule.of} but requires omits it")
            labs[code] = LabDef(
                code, _label(spec["label"]), spec.get("meddra"), spec["unit"], requires, rules
            )
        vitals: dict[str, VitalDef] = {}
        for name, spec in data["vitals"].items():
            where = f"{origin}: vitals.{name}"
            low, high = (Decimal(v) for v in spec["plausible"])
            rules = _rules(spec["grades"], f"{where}.grades")
            if any(rule.of != "absolute" for rule in rules):
                raise DataFileError(f"{where}.grades: vital rules are absolute")
            vitals[name] = VitalDef(
                name, _label(spec["label"]), spec.get("meddra"), spec["unit"], (low, high), rules
            )
        return GradingTables(
            ctcae_version=str(data["ctcae_version"]),
            source=str(data["source"]),
            labs=MappingProxyType(labs),
            vitals=MappingProxyType(vitals),
        )
    except DataFileError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise DataFileError(f"{origin}: unexpected structure ({exc!r})") from None


def _label(raw: Mapping[str, str]) -> Label:
    return Label(raw["fr"], raw["en"])


def _rules(raw: list[Mapping[str, Any]], where: str) -> tuple[GradeRule, ...]:
    rules = []
    for index, spec in enumerate(raw):
        grade, op, of = int(spec["grade"]), spec["op"], spec["of"]
        if op not in OPERATORS or of not in ("uln", "lln", "absolute") or not 1 <= grade <= 5:
            raise DataFileError(f"{where}[{index}]: bad rule {dict(spec)}")
        rules.append(GradeRule(grade, op, Decimal(str(spec["threshold"])), of, str(spec.get("ctcae", ""))))
    return tuple(rules)
