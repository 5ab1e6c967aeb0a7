"""Toxicity triage between cures: policy ``parcours-triage-1`` (clinical-rules.md Part A.1), pure engine.

One assessment — PRO-CTCAE answers, lab values, vital signs, optionally the regimen — gives one
:class:`TriageResult`: graded findings, ``max_grade``, ``level`` (``urgent``/``same_day``/``routine``/``none``),
``hold_treatment``, ``discontinuation_review`` and red flags, with the policy id. The numbers of the policy
(levels, red flags, hold exemptions, per-regimen liver thresholds) are data: ``data/parcours-triage-1.json``;
the grading tables are ``data/pro_ctcae_composite.json`` (:mod:`.pro_ctcae`) and
``data/ctcae_v5_grading.json`` (:mod:`.labs`).

API::

    assessment = parse_assessment(json_object)          # TriageInputError naming the field if invalid
    result = triage(assessment)                         # TriageResult (frozen dataclasses, Label(fr, en))
    result_to_json(result)                              # the A.1 output object
    triage_document(parsed_json)                        # object -> object, array -> array (all or nothing)
    loads_strict(text)                                  # JSON text -> value (Decimal numbers, no NaN,
                                                        # duplicate keys refused)

Rules (A.1), in the order applied:

1. PRO composite grade 0–3 per term (:func:`.pro_ctcae.composite_grade`); presence items and GP5 are
   validated and listed in ``reported`` but never graded.
2. Lab grades (CTCAE v5, normal baseline) and 3. vital grades (fever; SpO2 < 88 % at rest = grade 3).
4. Red flags, each forcing ``urgent``: febrile neutropenia (temperature ≥ 38.0 °C and NEUTROPHILS < 1.0);
   SpO2 < 92 %; shortness of breath (term 19) composite ≥ 2.
5. ``max_grade`` over the findings (0 when none); ``level`` = ``urgent`` if max_grade ≥ 3 or a red flag, else
   ``same_day`` (2), ``routine`` (1), ``none``.
6. ``hold_treatment``: a finding of grade ≥ 2 except itchy skin (28) / dry skin (25) of grade ≤ 2 and the TSH
   finding; or a red flag.
7. ``discontinuation_review``: ALT or AST above the regimen's multiple of the ULN (pembrolizumab, nivolumab,
   ipilimumab 5; atezolizumab, durvalumab 8; cemiplimab 10; other or unknown 5), BILIRUBIN > 3 × ULN, or a
   grade-4 finding.

Interpretations where A.1 is silent (a demanding oncology nurse's reading; also in docs/subsystems/monitoring.md):

* **Findings are abnormalities**: only grades ≥ 1 are listed (a normal value or a composite of 0 is not a
  finding; "0 when none").
* **Partial answers** are not graded, exactly as A.1 says, and so never raise the level — but they are never
  silent either: ``incomplete`` lists each partly answered term with its missing items and ``grade_at_least``
  (the lowest composite any completion could give; e.g. shortness of breath severity 4 with interference
  missing is at least 2). The Django side must turn these into a "questionnaire incomplet — rappeler le
  patient" task; counting ``grade_at_least`` is a candidate for the next policy version, not this one.
* **Order of findings**: PRO terms by term number, then labs in input order, then vitals (temperature, SpO2).
* **Several values of one lab** are each graded (the worst counts); febrile neutropenia holds if any
  neutrophil value is < 1.0 with a temperature ≥ 38.0.
* **Regimen**: matched case-insensitively on the INN, brand names accepted (Keytruda, Opdivo…); a combination
  (``nivolumab + ipilimumab``, separators ``+ / , ; &`` or the words "and"/"et") takes the *lowest* threshold
  of its components, an unknown component counting as "any other regimen" (5 × ULN).
* **Strict input**: unknown keys at any level are refused (a typo such as ``vital`` must not silently drop
  data); booleans are not numbers; PRO answers are integers (``2.0`` accepted, ``2.5`` refused); lab values
  ≥ 0 and reference limits > 0 with LLN < ULN; a temperature outside 30–45 °C (Fahrenheit typed by mistake)
  or an SpO2 outside 0–100 % is refused. An empty assessment ``{}`` is valid (level ``none``).
* The example output of A.1 shows ``red_flags: []`` for an input that meets rule 4's febrile neutropenia
  (38.6 °C, neutrophils 0.8); the rule wins: that input gives ``["febrile_neutropenia"]``.

Beyond the A.1 output keys, :func:`result_to_json` adds ``incomplete``, ``reported`` and ``reasons``
(``{"hold_treatment": [codes], "discontinuation_review": [codes]}``, codes of findings or red flags).

Stdlib only; no Django, no other ``parcours`` module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, NoReturn, TypeAlias

from parcours.monitoring.common import (
    DataFileError,
    Label,
    TriageInputError,
    as_decimal,
    describe,
    join,
    read_data,
)
from parcours.monitoring.labs import (
    OPERATORS,
    GradingTables,
    LabDef,
    grade_vital,
    load_grading,
)
from parcours.monitoring.pro_ctcae import Item, ItemLibrary, composite_grade, load_library

__all__ = [
    "DEFAULT_POLICY",
    "Assessment",
    "Finding",
    "IncompleteTerm",
    "LabValue",
    "Reason",
    "RedFlag",
    "ReportedItem",
    "TriageInputError",
    "TriagePolicy",
    "TriageResult",
    "load_policy",
    "loads_strict",
    "parse_assessment",
    "parse_assessments",
    "result_to_json",
    "triage",
    "triage_document",
    "triage_many",
]

DEFAULT_POLICY = "parcours-triage-1"
Level: TypeAlias = Literal["urgent", "same_day", "routine", "none"]
FindingSource: TypeAlias = Literal["pro", "lab", "vital"]
LEVELS: tuple[Level, ...] = ("urgent", "same_day", "routine", "none")
ASSESSMENT_KEYS = ("regimen", "pro", "labs", "vitals")
LAB_KEYS = ("code", "value", "uln", "lln")
_REGIMEN_SPLIT = re.compile(r"\s*(?:[+/,;&]|\band\b|\bet\b)\s*")

# --------------------------------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class LabValue:
    """One lab result; ``uln``/``lln`` are the reference limits in the value's unit."""

    code: str
    value: Decimal
    uln: Decimal | None = None
    lln: Decimal | None = None


@dataclass(frozen=True)
class Assessment:
    """A validated assessment (build it with :func:`parse_assessment`, which checks every field)."""

    regimen: str | None = None
    pro: Mapping[str, int | None] = field(default_factory=lambda: MappingProxyType({}))
    labs: tuple[LabValue, ...] = ()
    vitals: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))


# -------------------------------------------------------------------------------------------- output


@dataclass(frozen=True, slots=True)
class Finding:
    """A graded abnormality (grade ≥ 1). PRO findings carry a PRO-CTCAE composite grade (0–3), not a CTCAE
    grade; lab and vital findings a CTCAE v5 grade."""

    source: FindingSource
    code: str
    label: Label
    grade: int


@dataclass(frozen=True, slots=True)
class IncompleteTerm:
    """A PRO term answered in part: not graded (A.1 rule 1); ``grade_at_least`` is informational."""

    code: str
    label: Label
    missing: tuple[str, ...]
    grade_at_least: int


@dataclass(frozen=True, slots=True)
class ReportedItem:
    """A non-graded answer (presence item, GP5), recorded as given."""

    code: str
    label: Label
    value: int


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    label: Label


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the treatment is held or a discontinuation review is due: ``code`` is a finding's (then ``grade`` is
    its grade) or a red flag's; for a liver value above the regimen's threshold the label says which."""

    code: str
    label: Label
    grade: int | None = None


@dataclass(frozen=True)
class TriageResult:
    policy: str
    max_grade: int
    level: Level
    hold_treatment: bool
    discontinuation_review: bool
    red_flags: tuple[RedFlag, ...]
    findings: tuple[Finding, ...]
    incomplete: tuple[IncompleteTerm, ...] = ()
    reported: tuple[ReportedItem, ...] = ()
    hold_reasons: tuple[Reason, ...] = ()
    discontinuation_reasons: tuple[Reason, ...] = ()


# -------------------------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a red flag: a vital, a lab value (any of that code) or a PRO term's composite grade."""

    kind: Literal["vital", "lab", "pro_term"]
    key: str
    op: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class RedFlagDef:
    code: str
    label: Label
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class LabLimit:
    """Discontinuation review when a value of ``codes`` is > multiple × ULN (the multiple by regimen)."""

    codes: frozenset[str]
    default_multiple: Decimal
    by_regimen: Mapping[str, Decimal]


@dataclass(frozen=True)
class TriagePolicy:
    id: str
    source: str
    levels: tuple[tuple[int, Level], ...]
    no_finding_level: Level
    red_flag_level: Level
    red_flags: tuple[RedFlagDef, ...]
    hold_min_grade: int
    hold_on_red_flag: bool
    hold_exempt_up_to: Mapping[str, int | None]
    discontinuation_min_grade: int
    lab_limits: tuple[LabLimit, ...]
    regimen_aliases: Mapping[str, str]
    library: ItemLibrary = field(repr=False)
    grading: GradingTables = field(repr=False)
    _multiples: dict[str | None, tuple[tuple[Decimal, str | None], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def multiple_for(self, limit: LabLimit, regimen: str | None) -> tuple[Decimal, str | None]:
        """The ULN multiple of ``limit`` for ``regimen`` (lowest over a combination's components) and the
        component it came from (None: the default for other or unknown regimens)."""
        return self._multiple(limit, self.regimen_components(regimen))

    def regimen_components(self, regimen: str | None) -> tuple[str, ...]:
        """``"Nivolumab + Yervoy"`` → ``("nivolumab", "ipilimumab")``: lower-cased INNs, brand names resolved."""
        parts = _REGIMEN_SPLIT.split((regimen or "").strip().lower())
        return tuple(self.regimen_aliases.get(p, p) for p in parts if p)

    def multiples(self, regimen: str | None) -> tuple[tuple[Decimal, str | None], ...]:
        """:meth:`multiple_for` of every lab limit, in order (memoised per regimen text)."""
        cached = self._multiples.get(regimen)
        if cached is None:
            components = self.regimen_components(regimen)
            cached = tuple(self._multiple(limit, components) for limit in self.lab_limits)
            if len(self._multiples) >= 1024:
                self._multiples.clear()
            self._multiples[regimen] = cached
        return cached

    @staticmethod
    def _multiple(limit: LabLimit, components: tuple[str, ...]) -> tuple[Decimal, str | None]:
        if not components:
            return limit.default_multiple, None
        return min(
            (
                (limit.by_regimen.get(c, limit.default_multiple), c if c in limit.by_regimen else None)
                for c in components
            ),
            key=lambda pair: pair[0],
        )


@cache
def load_policy(policy_id: str = DEFAULT_POLICY) -> TriagePolicy:
    """The packaged policy ``data/<policy_id>.json`` with the packaged grading tables (cached)."""
    if not re.fullmatch(r"[a-z0-9-]+", policy_id):
        raise ValueError(f"invalid policy id {policy_id!r}")
    return parse_policy(read_data(f"{policy_id}.json"), load_library(), load_grading(), f"{policy_id}.json")


def parse_policy(
    data: Any, library: ItemLibrary, grading: GradingTables, origin: str = "<policy>"
) -> TriagePolicy:
    """Build a policy from its JSON document; :class:`DataFileError` naming the file and field if invalid."""
    try:
        levels = tuple((int(x["min_grade"]), _level(x["level"], origin)) for x in data["levels"])
        if [g for g, _ in levels] != sorted((g for g, _ in levels), reverse=True):
            raise DataFileError(f"{origin}: levels: expected by decreasing min_grade")
        flags = []
        for i, raw in enumerate(data["red_flags"]):
            conditions = []
            for j, cond in enumerate(raw["all"]):
                where = f"{origin}: red_flags[{i}].all[{j}]"
                kinds: list[Literal["vital", "lab", "pro_term"]] = [
                    k for k in ("vital", "lab", "pro_term") if k in cond
                ]
                if len(kinds) != 1 or cond["op"] not in OPERATORS:
                    raise DataFileError(f"{where}: expected one of vital/lab/pro_term and an op")
                kind: Literal["vital", "lab", "pro_term"] = kinds[0]
                key = str(cond[kind])
                known = {"vital": grading.vitals, "lab": grading.labs}.get(kind)
                if (known is not None and key not in known) or (
                    kind == "pro_term" and int(key) not in library.terms
                ):
                    raise DataFileError(f"{where}: unknown {kind} {key!r}")
                conditions.append(Condition(kind, key, cond["op"], Decimal(str(cond["value"]))))
            flags.append(
                RedFlagDef(str(raw["code"]), Label(raw["label"]["fr"], raw["label"]["en"]), tuple(conditions))
            )
        hold = data["hold_treatment"]
        exempt = {
            str(x["code"]): (None if x["up_to_grade"] is None else int(x["up_to_grade"]))
            for x in hold["exempt"]
        }
        disc = data["discontinuation_review"]
        limits = tuple(
            LabLimit(
                frozenset(x["codes"]),
                Decimal(str(x["above_uln_multiple"])),
                MappingProxyType({k.lower(): Decimal(str(v)) for k, v in x["by_regimen"].items()}),
            )
            for x in disc["lab_limits"]
        )
        for limit in limits:
            for code in limit.codes:
                if code not in grading.labs or "uln" not in grading.labs[code].requires:
                    raise DataFileError(
                        f"{origin}: discontinuation_review: {code} is not a lab graded on its ULN"
                    )
        return TriagePolicy(
            id=str(data["policy"]),
            source=str(data["source"]),
            levels=levels,
            no_finding_level=_level(data["no_finding_level"], origin),
            red_flag_level=_level(data["red_flag_level"], origin),
            red_flags=tuple(flags),
            hold_min_grade=int(hold["min_grade"]),
            hold_on_red_flag=bool(hold["red_flags"]),
            hold_exempt_up_to=MappingProxyType(exempt),
            discontinuation_min_grade=int(disc["min_grade"]),
            lab_limits=limits,
            regimen_aliases=MappingProxyType(
                {k.lower(): v.lower() for k, v in disc["regimen_aliases"].items()}
            ),
            library=library,
            grading=grading,
        )
    except DataFileError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise DataFileError(f"{origin}: unexpected structure ({exc!r})") from None


def _level(value: object, origin: str) -> Level:
    for level in LEVELS:
        if value == level:
            return level
    raise DataFileError(f"{origin}: unknown level {value!r} (expected {', '.join(LEVELS)})")


# ------------------------------------------------------------------------------------------- parsing


def loads_strict(text: str | bytes) -> Any:
    """Parse JSON text for the triage: numbers with a fraction become :class:`Decimal` (exact), ``NaN`` and
    ``Infinity`` are refused, and so is a key repeated in one object. :class:`TriageInputError` otherwise."""

    def no_constant(name: str) -> Any:
        raise TriageInputError("input", f"not valid JSON: {name} is not a number")

    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=no_constant, object_pairs_hook=_unique_pairs
        )
    except json.JSONDecodeError as exc:
        raise TriageInputError("input", f"not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise TriageInputError("input", f"not valid JSON (encoding): {exc}") from None


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of :func:`loads_strict`: the dict is built in C; a repeated key makes it shorter."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise TriageInputError(key, "this key appears twice in the same object")
            seen.add(key)
    return result


def parse_assessment(data: object, *, policy: TriagePolicy | None = None, path: str = "") -> Assessment:
    """Validate one assessment object (A.1 input schema) into an :class:`Assessment`.

    :class:`TriageInputError` (its ``field`` is the path of the bad field, prefixed by ``path``) for: not an
    object, an unknown key, an unknown PRO variable or lab code, an answer out of its scale, a missing
    ULN/LLN the lab requires, a value of the wrong type or implausible.
    """
    policy = policy or load_policy()
    if type(data) is not dict and not isinstance(data, Mapping):
        raise TriageInputError(path, f"expected an assessment object, got {describe(data)}")
    if not data.keys() <= _ASSESSMENT_KEY_SET:
        for key in data:
            if key not in ASSESSMENT_KEYS:
                raise TriageInputError(
                    join(path, str(key)), f"unknown field (expected {', '.join(ASSESSMENT_KEYS)})"
                )
    regimen = data.get("regimen")
    if regimen is not None and not isinstance(regimen, str):
        raise TriageInputError(
            join(path, "regimen"), f"expected a drug name (string), got {describe(regimen)}"
        )
    return Assessment(
        regimen=regimen,
        pro=_parse_pro(data.get("pro"), policy, path),
        labs=_parse_labs(data.get("labs"), policy, path),
        vitals=_parse_vitals(data.get("vitals"), policy, path),
    )


_ASSESSMENT_KEY_SET = frozenset(ASSESSMENT_KEYS)


def parse_assessments(items: Iterable[object], *, policy: TriagePolicy | None = None) -> list[Assessment]:
    """Validate a batch as a whole: the first invalid item raises, its field path prefixed by ``[index]``."""
    policy = policy or load_policy()
    return [parse_assessment(item, policy=policy, path=f"[{i}]") for i, item in enumerate(items)]


def _parse_pro(data: object, policy: TriagePolicy, parent: str) -> Mapping[str, int | None]:
    path = join(parent, "pro")
    if data is None:
        return MappingProxyType({})
    if not isinstance(data, Mapping):
        raise TriageInputError(path, f"expected an object of PRO-CTCAE answers, got {describe(data)}")
    items = policy.library.items
    answers: dict[str, int | None] = {}
    for var, raw in data.items():
        item = items.get(var)
        if item is not None and type(raw) is int and 0 <= raw <= item.max_value:  # the common case, fast
            answers[var] = raw
        else:
            answers[var] = _pro_answer(var, raw, item, path, items)
    return MappingProxyType(answers)


def _pro_answer(
    var: object, raw: object, item: Item | None, path: str, items: Mapping[str, Item]
) -> int | None:
    where = join(path, str(var))
    if item is None:
        raise TriageInputError(where, f"unknown PRO-CTCAE variable{_suggest(str(var), items)}")
    if raw is None:
        return None
    scale = f"0–{item.max_value}" if item.max_value > 1 else "0 or 1"
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise TriageInputError(where, f"expected an answer {scale} or null, got {describe(raw)}")
    if isinstance(raw, int):
        value = raw
    else:
        number = as_decimal(raw, where)
        if number != number.to_integral_value():
            raise TriageInputError(where, f"expected a whole number {scale}, got {raw}")
        value = int(number)
    if not 0 <= value <= item.max_value:
        raise TriageInputError(where, f"answer {value} is out of its scale ({scale}, {item.scale})")
    return value


def _parse_labs(data: object, policy: TriagePolicy, parent: str) -> tuple[LabValue, ...]:
    path = join(parent, "labs")
    if data is None:
        return ()
    if not isinstance(data, list | tuple):
        raise TriageInputError(path, f"expected an array of lab results, got {describe(data)}")
    labs = policy.grading.labs
    memo = _DECIMALS.get
    result = []
    for index, raw in enumerate(data):
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise TriageInputError(f"{path}[{index}]", f"expected a lab result object, got {describe(raw)}")
        code = raw.get("code")
        lab = labs.get(code) if type(code) is str else None
        if lab is None or not raw.keys() <= _LAB_KEY_SET:
            _lab_error(raw, labs, f"{path}[{index}]")
        # memoised exact conversion of plain numbers; anything else (and errors) through _number
        # (numbers parsed by loads_strict are already exact Decimals: taken as they are when finite)
        raw_value, raw_uln, raw_lln = raw.get("value"), raw.get("uln"), raw.get("lln")
        kind = type(raw_value)
        value = (
            raw_value
            if isinstance(raw_value, Decimal) and raw_value.is_finite()
            else (memo(raw_value) if kind in _PLAIN else None)
        )
        if value is None:
            value = _number(raw_value, f"{path}[{index}]", "value")
            if value is None:
                raise TriageInputError(
                    f"{path}[{index}].value", f"missing (the {lab.code} value is required)"
                )
        kind = type(raw_uln)
        uln = (
            raw_uln
            if isinstance(raw_uln, Decimal) and raw_uln.is_finite()
            else (memo(raw_uln) if kind in _PLAIN else None)
        )
        if uln is None and raw_uln is not None:
            uln = _number(raw_uln, f"{path}[{index}]", "uln")
        kind = type(raw_lln)
        lln = (
            raw_lln
            if isinstance(raw_lln, Decimal) and raw_lln.is_finite()
            else (memo(raw_lln) if kind in _PLAIN else None)
        )
        if lln is None and raw_lln is not None:
            lln = _number(raw_lln, f"{path}[{index}]", "lln")
        if (
            value < 0
            or (uln is None and "uln" in lab.requires)
            or (lln is None and "lln" in lab.requires)
            or (uln is not None and (uln <= 0 or (lln is not None and lln >= uln)))
            or (lln is not None and lln <= 0)
        ):
            _lab_values_error(lab, value, uln, lln, f"{path}[{index}]")
        result.append(LabValue(lab.code, value, uln, lln))
    return tuple(result)


_LAB_KEY_SET = frozenset(LAB_KEYS)


def _number(raw: object, path: str, key: str) -> Decimal | None:
    """A JSON number as an exact Decimal, None for null/absent; ``path.key`` names it in an error.

    Floats and ints are converted through a small memo (reference limits and common values repeat)."""
    if raw is None:
        return None
    kind = type(raw)
    if isinstance(raw, Decimal) and raw.is_finite():  # from loads_strict: already exact
        return raw
    if kind is float or kind is int:
        number = _DECIMALS.get(raw)
        if number is None:
            number = as_decimal(raw, join(path, key))
            if len(_DECIMALS) >= 8192:
                _DECIMALS.clear()
            _DECIMALS[raw] = number
        return number
    return as_decimal(raw, join(path, key))


_DECIMALS: dict[object, Decimal] = {}
_PLAIN = frozenset({int, float})


def _lab_values_error(
    lab: LabDef, value: Decimal, uln: Decimal | None, lln: Decimal | None, where: str
) -> NoReturn:
    code = lab.code
    if value < 0:
        raise TriageInputError(f"{where}.value", f"a lab value cannot be negative ({value})")
    for ref, limit in (("uln", uln), ("lln", lln)):
        if limit is None and ref in lab.requires:
            raise TriageInputError(f"{where}.{ref}", f"missing (required to grade {code})")
        if limit is not None and limit <= 0:
            raise TriageInputError(f"{where}.{ref}", f"a reference limit must be > 0 ({limit})")
    raise TriageInputError(f"{where}.lln", f"the LLN ({lln}) must be below the ULN ({uln})")


def _lab_error(raw: Mapping[Any, Any], labs: Mapping[str, LabDef], where: str) -> NoReturn:
    for key in raw:
        if key not in LAB_KEYS:
            raise TriageInputError(join(where, str(key)), f"unknown field (expected {', '.join(LAB_KEYS)})")
    code = raw.get("code")
    if not isinstance(code, str):
        raise TriageInputError(join(where, "code"), f"expected a lab code, got {describe(code)}")
    raise TriageInputError(
        join(where, "code"), f"unknown lab code {code!r}{_suggest(code, labs)} (known: {', '.join(labs)})"
    )


def _parse_vitals(data: object, policy: TriagePolicy, parent: str) -> Mapping[str, Decimal]:
    if data is None:
        return MappingProxyType({})
    path = join(parent, "vitals")
    if type(data) is not dict and not isinstance(data, Mapping):
        raise TriageInputError(path, f"expected an object of vital signs, got {describe(data)}")
    vitals = policy.grading.vitals
    result: dict[str, Decimal] = {}
    for name, raw in data.items():
        vital = vitals.get(name)
        if vital is None:
            where = join(path, str(name))
            raise TriageInputError(where, f"unknown vital sign (expected {', '.join(vitals)})")
        value = _number(raw, path, name)
        if value is None:
            continue
        low, high = vital.plausible
        if not low <= value <= high:
            raise TriageInputError(
                join(path, name), f"{value} {vital.unit} is implausible (expected {low}–{high} {vital.unit})"
            )
        result[name] = value
    return MappingProxyType(result)


def _suggest(word: str, known: Iterable[str]) -> str:
    folded = word.strip().upper()
    for candidate in known:
        if candidate.upper() == folded:
            return f" (did you mean {candidate!r}?)"
    return ""


# ------------------------------------------------------------------------------------------- triage


def triage(assessment: Assessment, *, policy: TriagePolicy | None = None) -> TriageResult:
    """Apply the policy (A.1 rules 1–7) to a validated assessment."""
    policy = policy or load_policy()
    library, grading = policy.library, policy.grading
    findings: list[Finding] = []
    incomplete: list[IncompleteTerm] = []
    reported: list[ReportedItem] = []
    term_grades: dict[int, int] = {}

    # 1. PRO composite grades, by term number; presence items and GP5 reported
    pro = assessment.pro
    term_of_var, terms = library.term_of_var, library.terms
    first_items = library.first_items
    touched: set[int] = set()  # terms with an answer that can matter: not a first item answered 0
    for var, value in pro.items():
        if value == 0 and var in first_items:  # zero-imputation: composite 0, nothing to grade
            continue
        number = term_of_var.get(var)
        if number is not None:
            touched.add(number)
        elif value is not None:
            reported.append(ReportedItem(var, library.reported_labels[var], value))
    pro_get = pro.get
    for number in sorted(touched):
        term = terms[number]
        items = term.items
        first = pro_get(items[0])
        if first == 0:  # a later item answered after a first 0: still composite 0 (zero-imputation)
            continue
        values = (first,) if len(items) == 1 else tuple(map(pro_get, items))
        grade = None if None in values else term.table[values]  # type: ignore[index]
        if grade is not None:
            term_grades[number] = grade
            if grade >= 1:
                findings.append(Finding("pro", term.code, term.label, grade))
            continue
        composite = composite_grade(term, pro)
        if composite.answered and composite.grade_at_least is not None:
            incomplete.append(
                IncompleteTerm(term.code, term.label, composite.missing, composite.grade_at_least)
            )

    # 2. labs, in input order; 3. vitals, in table order
    for lab in assessment.labs:
        definition = grading.labs[lab.code]
        grade = definition.grade(lab.value, lab.uln, lab.lln)
        if grade >= 1:
            findings.append(Finding("lab", lab.code, definition.label, grade))
    vitals = assessment.vitals
    if vitals:
        for name, vital in grading.vitals.items():
            if name in vitals:
                grade = grade_vital(vital, vitals[name])
                if grade >= 1:
                    findings.append(Finding("vital", name, vital.label, grade))

    # 4. red flags (plain loops: this runs for every assessment of a batch)
    flags: list[RedFlag] = []
    for flag in policy.red_flags:
        for cond in flag.conditions:
            if not _holds(cond, assessment, term_grades, library):
                break
        else:
            flags.append(RedFlag(flag.code, flag.label))
    red_flags = tuple(flags)

    # 5. max grade and level
    max_grade = 0
    for finding in findings:
        if finding.grade > max_grade:
            max_grade = finding.grade
    level = policy.no_finding_level
    for min_grade, candidate in policy.levels:
        if max_grade >= min_grade:
            level = candidate
            break
    if red_flags:
        level = _most_urgent(level, policy.red_flag_level)

    # 6. hold the next cure
    hold: list[Reason] = []
    for finding in findings:
        if finding.grade < policy.hold_min_grade:
            continue
        exempt = finding.code in policy.hold_exempt_up_to
        up_to = policy.hold_exempt_up_to.get(finding.code)
        if exempt and (up_to is None or finding.grade <= up_to):
            continue
        hold.append(Reason(finding.code, finding.label, finding.grade))
    if policy.hold_on_red_flag:
        hold.extend(Reason(flag.code, flag.label) for flag in red_flags)

    # 7. discontinuation review
    review: list[Reason] = []
    if assessment.labs:
        for limit, (multiple, origin) in zip(
            policy.lab_limits, policy.multiples(assessment.regimen), strict=True
        ):
            for lab in assessment.labs:
                if lab.code not in limit.codes or lab.uln is None:
                    continue
                if lab.value > multiple * lab.uln:
                    review.append(Reason(lab.code, _above(grading.labs[lab.code].label, multiple, origin)))
    review.extend(
        Reason(f.code, f.label, f.grade) for f in findings if f.grade >= policy.discontinuation_min_grade
    )

    return TriageResult(
        policy=policy.id,
        max_grade=max_grade,
        level=level,
        hold_treatment=bool(hold),
        discontinuation_review=bool(review),
        red_flags=red_flags,
        findings=tuple(findings),
        incomplete=tuple(incomplete),
        reported=tuple(reported),
        hold_reasons=_unique(hold),
        discontinuation_reasons=_unique(review),
    )


def triage_many(
    assessments: Iterable[Assessment], *, policy: TriagePolicy | None = None
) -> list[TriageResult]:
    """The batch path: one result per assessment, same order."""
    policy = policy or load_policy()
    return [triage(a, policy=policy) for a in assessments]


def triage_document(
    data: object, *, policy: TriagePolicy | None = None
) -> dict[str, Any] | list[dict[str, Any]]:
    """A.1 on parsed JSON: an object gives one output object, an array one output object per item in the same
    order. Refused as a whole: the first invalid item raises and nothing is returned.

    The batch is streamed item by item (validate, grade, serialise) so that the intermediate objects die
    young; since the engine is pure, this is indistinguishable from validating everything first."""
    policy = policy or load_policy()
    if isinstance(data, list):
        return [
            result_to_json(triage(parse_assessment(item, policy=policy, path=f"[{i}]"), policy=policy))
            for i, item in enumerate(data)
        ]
    if isinstance(data, Mapping):
        return result_to_json(triage(parse_assessment(data, policy=policy), policy=policy))
    raise TriageInputError(
        "input", f"expected an assessment object or an array of them, got {describe(data)}"
    )


def result_to_json(result: TriageResult) -> dict[str, Any]:
    """The A.1 output object (labels in English, as in A.1), plus ``incomplete``, ``reported``, ``reasons``."""
    return {
        "policy": result.policy,
        "max_grade": result.max_grade,
        "level": result.level,
        "hold_treatment": result.hold_treatment,
        "discontinuation_review": result.discontinuation_review,
        "red_flags": [flag.code for flag in result.red_flags],
        "findings": [
            {"source": f.source, "code": f.code, "label": f.label.en, "grade": f.grade}
            for f in result.findings
        ],
        "incomplete": [
            {
                "source": "pro",
                "code": t.code,
                "label": t.label.en,
                "missing": list(t.missing),
                "grade_at_least": t.grade_at_least,
            }
            for t in result.incomplete
        ],
        "reported": [
            {"source": "pro", "code": r.code, "label": r.label.en, "value": r.value} for r in result.reported
        ],
        "reasons": {
            "hold_treatment": [r.code for r in result.hold_reasons],
            "discontinuation_review": [r.code for r in result.discontinuation_reasons],
        },
    }


# ------------------------------------------------------------------------------------------- helpers


def _holds(
    cond: Condition, assessment: Assessment, term_grades: Mapping[int, int], library: ItemLibrary
) -> bool:
    kind = cond.kind
    if kind == "vital":
        value = assessment.vitals.get(cond.key)
        return value is not None and OPERATORS[cond.op](value, cond.value)
    if kind == "lab":
        key = cond.key
        for lab in assessment.labs:  # noqa: SIM110 - a plain loop is faster than any() on a generator
            if lab.code == key and OPERATORS[cond.op](lab.value, cond.value):
                return True
        return False
    test = OPERATORS[cond.op]
    number = int(cond.key)
    grade = term_grades.get(number)
    if grade is None:  # not among the graded non-zero terms: zero-imputed, not graded or not asked
        grade = composite_grade(library.terms[number], assessment.pro).grade
    return grade is not None and test(Decimal(grade), cond.value)


def _most_urgent(a: Level, b: Level) -> Level:
    return a if LEVELS.index(a) <= LEVELS.index(b) else b


def _above(label: Label, multiple: Decimal, origin: str | None) -> Label:
    m = f"{multiple.normalize():f}"
    if origin is None:
        return Label(
            f"{label.fr} > {m} × LSN (seuil par défaut)", f"{label.en} > {m} × ULN (default threshold)"
        )
    return Label(f"{label.fr} > {m} × LSN (seuil {origin})", f"{label.en} > {m} × ULN ({origin} threshold)")


def _unique(reasons: Sequence[Reason]) -> tuple[Reason, ...]:
    if len(reasons) < 2:
        return tuple(reasons)
    seen: dict[str, Reason] = {}
    for reason in reasons:
        seen.setdefault(reason.code, reason)
    return tuple(seen.values())
