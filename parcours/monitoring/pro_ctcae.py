"""PRO-CTCAE item library and the composite grading algorithm of Basch et al. 2021, as implemented by ProAE.

Data: ``data/pro_ctcae_composite.json`` (verbatim copy of the shared extraction of ``cran/ProAE`` v1.0.4
``R/sysdata.rda``: 124 items + GP5, their scales, the attribute pattern of each term and the complete
composite lookup tables) and ``data/pro_ctcae_terms.json`` (term names, English from ProAE, French a Parcours
working translation). Nothing about grading is written as code here: the tables are looked up.

Composite grade of one symptom term (clinical-rules A.1 rule 1, §1.3), answers coded 0–4, ``None`` = missing:

* the term's items are its ``A``/``B``/``C`` items in that order, matching its pattern's attributes (frequency,
  severity, interference/amount, in that order of precedence);
* **zero-imputation**: if the first item is 0, the composite is 0 whatever the later items say (they count as 0
  when missing; a later non-zero answer after a first 0 — impossible with the branching of §1.1 — is
  ignored, as ProAE does);
* otherwise every item of the term must be answered, else the term is **not graded** (``grade is None``); the
  result then lists the missing items and ``grade_at_least``, the lowest composite any completion of the
  missing answers could give (informational: it never counts as a grade);
* otherwise the grade (0–3) is the table entry for the answers.

Presence items (``…_IND``, yes/no) and GP5 are part of the library (validated, reported) but never graded.
The result is a "PRO-CTCAE composite grade", *not* a CTCAE grade (Basch 2021; clinical-rules §1.3 note).

Stdlib only; no Django, no other ``parcours`` module.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, cast

from parcours.monitoring.common import DataFileError, Label, read_data

__all__ = [
    "ATTRIBUTE_LABELS",
    "Attribute",
    "CompositeResult",
    "Item",
    "ItemLibrary",
    "Term",
    "composite_grade",
    "grade_values",
    "load_library",
]

Attribute: TypeAlias = Literal["frq", "sev", "int"]
ItemKind: TypeAlias = Literal["frq", "sev", "int", "presence", "other"]

COMPOSITE_FILE = "pro_ctcae_composite.json"
TERMS_FILE = "pro_ctcae_terms.json"
_VAR_RE = re.compile(r"^PROCTCAE_(\d+)([ABC])_(SCL|IND)$")

# answer scale (ProAE format name) -> (kind of item, highest code). NA options are coded null (§1.2).
_SCALES: Mapping[str, tuple[ItemKind, int]] = {
    "frq_5_fmt": ("frq", 4),
    "frq_7_fmt": ("frq", 4),
    "sev_5_fmt": ("sev", 4),
    "sev_6_fmt": ("sev", 4),
    "sev_7_fmt": ("sev", 4),
    "int_5_fmt": ("int", 4),
    "yn_2_fmt": ("presence", 1),
    "yn_3_fmt": ("presence", 1),
    "yn_4_fmt": ("presence", 1),
    "gp5_fmt": ("other", 4),
}

ATTRIBUTE_LABELS: Mapping[ItemKind, Label] = MappingProxyType(
    {
        "frq": Label("fréquence", "frequency"),
        "sev": Label("sévérité", "severity"),
        "int": Label("retentissement", "interference"),
        "presence": Label("présence", "presence"),
        "other": Label("", ""),
    }
)


@dataclass(frozen=True, slots=True)
class Item:
    """One question. ``term`` is None for GP5; ``graded`` is False for presence items and GP5."""

    var: str
    label: Label
    term: int | None
    kind: ItemKind
    scale: str
    max_value: int

    @property
    def graded(self) -> bool:
        return self.kind in ("frq", "sev", "int")


@dataclass(frozen=True, slots=True)
class Term:
    """A graded symptom term: its items in A/B/C order and the composite table of its attribute pattern."""

    number: int
    label: Label
    items: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    pattern: int
    table: Mapping[tuple[int, ...], int] = field(repr=False, compare=False)
    code: str = field(init=False, compare=False)
    """``PROCTCAE_16`` — the code of the term's findings"""

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", f"PROCTCAE_{self.number}")


@dataclass(frozen=True, slots=True)
class CompositeResult:
    term: Term
    grade: int | None
    missing: tuple[str, ...] = ()
    grade_at_least: int | None = None

    @property
    def answered(self) -> bool:
        """At least one item of the term was answered (not null)."""
        return len(self.missing) < len(self.term.items)


@dataclass(frozen=True)
class ItemLibrary:
    source: str
    items: Mapping[str, Item]
    terms: Mapping[int, Term]
    presence_terms: Mapping[int, Label]
    term_of_var: Mapping[str, int]
    """graded variable -> its term number (presence items and GP5 are absent)"""
    reported_labels: Mapping[str, Label]
    """non-graded variable (presence items, GP5) -> the label of what it reports"""
    first_items: frozenset[str]
    """the first item of every graded term (a 0 there makes the composite 0)"""


def composite_grade(term: Term, answers: Mapping[str, int | None]) -> CompositeResult:
    """The composite grade of ``term`` from ``answers`` (variable name → 0–4 or None); see the module doc."""
    values = tuple(map(answers.get, term.items))
    grade = grade_values(term, values)
    if grade is not None:
        return CompositeResult(term, grade)
    missing = tuple(var for var, value in zip(term.items, values, strict=True) if value is None)
    return CompositeResult(term, None, missing, _lowest(term, values))


@lru_cache(maxsize=4096)
def _lowest(term: Term, values: tuple[int | None, ...]) -> int:
    """The lowest composite over every completion of the missing (None) answers."""
    ranges = [range(5) if value is None else (value,) for value in values]
    return min(0 if combo[0] == 0 else term.table[combo] for combo in itertools.product(*ranges))


def grade_values(term: Term, values: tuple[int | None, ...]) -> int | None:
    """The composite grade from the term's answers in item order, or None if not gradable (the fast path of
    :func:`composite_grade`, without the details of a partial answer)."""
    if values[0] == 0:
        return 0
    if None in values:
        return None
    return term.table[cast(tuple[int, ...], values)]


# ------------------------------------------------------------------------------------------ loading


@cache
def load_library() -> ItemLibrary:
    """The PRO-CTCAE library from the packaged data (parsed and checked once, then cached)."""
    return parse_library(read_data(COMPOSITE_FILE), read_data(TERMS_FILE))


def parse_library(composite: Any, names: Any) -> ItemLibrary:
    """Build the library from the two data documents; :class:`DataFileError` naming the field if invalid."""
    where = COMPOSITE_FILE
    try:
        term_names: Mapping[str, Mapping[str, str]] = names["terms"]
        extra_names: Mapping[str, Mapping[str, str]] = names.get("extra_items", {})
        tables = _parse_tables(composite["composite_tables"])
        pattern_of: dict[int, int] = {}
        for rank, numbers in composite["attribute_groups_by_rank"].items():
            for number in numbers:
                pattern_of[int(number)] = int(rank)
        items: dict[str, Item] = {}
        by_term: dict[int, list[Item]] = {}
        for index, raw in enumerate(composite["items"]):
            var, scale = str(raw["var"]), str(raw["scale"])
            if scale not in _SCALES:
                raise DataFileError(f"{where}: items[{index}].scale: unknown scale {scale!r}")
            kind, max_value = _SCALES[scale]
            match = _VAR_RE.match(var)
            term = int(match[1]) if match else None
            if term is not None:
                name = term_names[str(term)]
                attr = ATTRIBUTE_LABELS[kind]
                label = Label(f"{name['fr']} — {attr.fr}", str(raw["label"]))
            else:
                label = Label(extra_names[var]["fr"], extra_names[var]["en"])
            item = Item(var, label, term, kind, scale, max_value)
            items[var] = item
            if term is not None:
                by_term.setdefault(term, []).append(item)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, DataFileError):
            raise
        raise DataFileError(f"{where}: unexpected structure ({exc!r})") from None

    terms: dict[int, Term] = {}
    presence: dict[int, Label] = {}
    for number, term_items in sorted(by_term.items()):
        term_label = Label(term_names[str(number)]["fr"], term_names[str(number)]["en"])
        graded = [it for it in term_items if it.graded]
        if not graded:
            presence[number] = term_label
            continue
        if len(graded) != len(term_items):
            raise DataFileError(f"{where}: term {number} mixes graded and presence items")
        if number not in pattern_of:
            raise DataFileError(f"{where}: attribute_groups_by_rank: term {number} has no pattern")
        pattern = pattern_of[number]
        attributes, table = tables[pattern]
        kinds = tuple(it.kind for it in graded)
        if kinds != attributes:
            raise DataFileError(
                f"{where}: term {number}: items {[it.var for it in graded]} are {kinds}, "
                f"pattern {pattern} expects {attributes}"
            )
        terms[number] = Term(number, term_label, tuple(it.var for it in graded), attributes, pattern, table)
    extra = set(pattern_of) - set(terms)
    if extra:
        raise DataFileError(f"{where}: attribute_groups_by_rank names terms without items: {sorted(extra)}")
    return ItemLibrary(
        source=str(composite.get("source", "")),
        items=MappingProxyType(items),
        terms=MappingProxyType(terms),
        presence_terms=MappingProxyType(presence),
        term_of_var=MappingProxyType({var: t.number for t in terms.values() for var in t.items}),
        first_items=frozenset(t.items[0] for t in terms.values()),
        reported_labels=MappingProxyType(
            {
                var: presence.get(item.term, item.label) if item.term is not None else item.label
                for var, item in items.items()
                if not item.graded
            }
        ),
    )


def _parse_tables(
    raw: Mapping[str, Any],
) -> dict[int, tuple[tuple[Attribute, ...], Mapping[tuple[int, ...], int]]]:
    tables: dict[int, tuple[tuple[Attribute, ...], Mapping[tuple[int, ...], int]]] = {}
    for rank, spec in raw.items():
        where = f"{COMPOSITE_FILE}: composite_tables.{rank}"
        attributes: tuple[Attribute, ...] = tuple(spec["attributes"])
        if not attributes or any(a not in ("frq", "sev", "int") for a in attributes):
            raise DataFileError(f"{where}.attributes: expected frq/sev/int, got {attributes}")
        table: dict[tuple[int, ...], int] = {}
        for index, row in enumerate(spec["rows"]):
            key = tuple(int(row[a]) for a in attributes)
            grade = int(row["grade"])
            if any(not 0 <= v <= 4 for v in key) or not 0 <= grade <= 3 or key in table:
                raise DataFileError(f"{where}.rows[{index}]: bad or duplicate row {row}")
            table[key] = grade
        # every combination whose first answer is not 0 must be in the table (the first 0 is zero-imputed)
        for combo in itertools.product(range(5), repeat=len(attributes)):
            if combo[0] != 0 and combo not in table:
                raise DataFileError(f"{where}: no row for {dict(zip(attributes, combo, strict=True))}")
        tables[int(rank)] = (attributes, MappingProxyType(table))
    return tables
