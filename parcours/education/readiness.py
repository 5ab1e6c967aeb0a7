"""Readiness for home care (end of sequence 1) as a pure evaluation, the support plan, and the pathway facts.

Inputs:

* the HAD **eligibility** assessment (domain.md §2.4): success factors and risk factors (ids of
  ``data/readiness.v1.json``, the same as ``patients.enums.SuccessFactor`` / ``RiskFactor``), or ``None`` if
  not assessed yet;
* the IDEL **home assessment** (space for the equipment, access for teams and deliveries, caregiver present),
  or ``None`` if not done yet;
* the **education outcome**: understands the treatment, knows the warning signs, knows whom to alert —
  derived by :func:`education_outcome` from the modules completed and the quizzes passed (a competency is
  acquired when every module the programme's ``exit_criteria`` lists for it is completed *and* its quiz passed).

:func:`assess_readiness` checks eight criteria, each blocking when unmet (``eligibility_assessed``,
``wants_home``, ``home_assessed``, ``home_space``, ``home_access``, ``understands_treatment``,
``knows_warning_signs``, ``knows_whom_to_alert``) and derives a **support plan** from the risk factors (and
from a missing caregiver, trigger ``no_caregiver``) with the mapping of ``data/readiness.v1.json``. Support
never blocks readiness: the seed calls these "risk factors that need particular support", not exclusions.

:func:`pathway_facts` turns the result into the facts the pathway guard reads
(``education.ready``, ``education.modules_completed``, …).

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from parcours.education.common import (
    DataError,
    InputError,
    Label,
    integer,
    label,
    load_json,
    lst,
    notes,
    obj,
    string,
    unique,
)
from parcours.education.programme import COMPETENCIES, Competency, Programme

__all__ = [
    "CRITERIA",
    "FACT_NAMES",
    "NO_CAREGIVER",
    "Criterion",
    "EducationOutcome",
    "Eligibility",
    "HomeAssessment",
    "ReadinessResult",
    "ReadinessRules",
    "SupportAction",
    "assess_readiness",
    "education_outcome",
    "load_readiness_rules",
    "parse_readiness_rules",
    "pathway_facts",
]

FORMAT = "parcours-etp-readiness"
BUILTIN_FILE = "readiness.v1.json"
_DATA_PACKAGE = "parcours.education.data"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

CRITERIA: Final = (
    "eligibility_assessed",
    "wants_home",
    "home_assessed",
    "home_space",
    "home_access",
    "understands_treatment",
    "knows_warning_signs",
    "knows_whom_to_alert",
)
NO_CAREGIVER: Final = "no_caregiver"
FACT_READY: Final = "education.ready"
FACT_MODULES_COMPLETED: Final = "education.modules_completed"
FACT_NAMES: Final = (
    FACT_READY,
    FACT_MODULES_COMPLETED,
    "education.understands_treatment",
    "education.knows_warning_signs",
    "education.knows_whom_to_alert",
)


# --------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Factor:
    id: str
    label: Label


@dataclass(frozen=True)
class CriterionText:
    id: str
    label: Label
    unmet: Label


@dataclass(frozen=True)
class ActionDef:
    id: str
    label: Label
    description: Label
    responsible: str


@dataclass(frozen=True)
class ReadinessRules:
    version: int
    source: str
    success_factors: tuple[Factor, ...]
    risk_factors: tuple[Factor, ...]
    criteria: Mapping[str, CriterionText]
    actions: tuple[ActionDef, ...]
    triggers: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", MappingProxyType(dict(self.criteria)))
        object.__setattr__(self, "triggers", MappingProxyType(dict(self.triggers)))


def _id(data: object, path: str) -> str:
    if not isinstance(data, str) or not _ID_RE.match(data):
        raise DataError(f"{path}: invalid id {data!r} (lowercase letters, digits and '_', letter first)")
    return data


def _factors(data: object, path: str) -> tuple[Factor, ...]:
    seen: dict[str, str] = {}
    factors: list[Factor] = []
    for i, raw in enumerate(lst(data, path, non_empty=True)):
        where = f"{path}[{i}]"
        o = obj(raw, where, ("id", "label"))
        fid = _id(o["id"], f"{where}.id")
        unique(seen, fid, f"{where}.id", "factor")
        factors.append(Factor(id=fid, label=label(o["label"], f"{where}.label")))
    return tuple(factors)


def parse_readiness_rules(data: Mapping[str, Any]) -> ReadinessRules:
    """Validate the readiness rules (parsed JSON); :class:`DataError` names the bad field."""
    o = obj(
        data,
        "",
        (
            "format",
            "version",
            "source",
            "success_factors",
            "risk_factors",
            "criteria",
            "support_actions",
            "triggers",
        ),
        ("notes",),
    )
    if o["format"] != FORMAT:
        raise DataError(f"format: expected {FORMAT!r}, got {o['format']!r}")
    notes(o.get("notes"), "notes")
    success = _factors(o["success_factors"], "success_factors")
    risks = _factors(o["risk_factors"], "risk_factors")
    if "wants_home" not in {f.id for f in success}:
        raise DataError("success_factors: the factor 'wants_home' is required (criterion wants_home)")

    criteria: dict[str, CriterionText] = {}
    for i, raw in enumerate(lst(o["criteria"], "criteria", non_empty=True)):
        where = f"criteria[{i}]"
        co = obj(raw, where, ("id", "label", "unmet"))
        cid = co["id"]
        if cid not in CRITERIA:
            raise DataError(f"{where}.id: unknown criterion {cid!r} (expected one of {', '.join(CRITERIA)})")
        if cid in criteria:
            raise DataError(f"{where}.id: duplicate criterion {cid!r}")
        criteria[cid] = CriterionText(
            id=cid, label=label(co["label"], f"{where}.label"), unmet=label(co["unmet"], f"{where}.unmet")
        )
    missing = [c for c in CRITERIA if c not in criteria]
    if missing:
        raise DataError(f"criteria: missing criteria {', '.join(missing)}")

    actions: list[ActionDef] = []
    action_ids: dict[str, str] = {}
    for i, raw in enumerate(lst(o["support_actions"], "support_actions", non_empty=True)):
        where = f"support_actions[{i}]"
        ao = obj(raw, where, ("id", "label", "description", "responsible"))
        aid = _id(ao["id"], f"{where}.id")
        unique(action_ids, aid, f"{where}.id", "support action")
        actions.append(
            ActionDef(
                id=aid,
                label=label(ao["label"], f"{where}.label"),
                description=label(ao["description"], f"{where}.description"),
                responsible=_id(ao["responsible"], f"{where}.responsible"),
            )
        )

    to = o["triggers"]
    if not isinstance(to, Mapping):
        raise DataError(f"triggers: expected an object, got {type(to).__name__}")
    trigger_ids = [f.id for f in risks] + [NO_CAREGIVER]
    for key in to:
        if key not in trigger_ids:
            raise DataError(
                f"triggers.{key}: unknown trigger (expected a risk factor id or {NO_CAREGIVER!r})"
            )
    triggers: dict[str, tuple[str, ...]] = {}
    for key in trigger_ids:
        if key not in to:
            raise DataError(f"triggers.{key}: missing (every risk factor needs support actions)")
        ids: list[str] = []
        for i, aid in enumerate(lst(to[key], f"triggers.{key}", non_empty=True)):
            where = f"triggers.{key}[{i}]"
            if aid not in action_ids:
                raise DataError(f"{where}: unknown support action {aid!r}")
            if aid in ids:
                raise DataError(f"{where}: duplicate support action {aid!r}")
            ids.append(aid)
        triggers[key] = tuple(ids)
    used = {a for ids in triggers.values() for a in ids}
    for i, action in enumerate(actions):
        if action.id not in used:
            raise DataError(f"support_actions[{i}]: action {action.id!r} is used by no trigger")
    return ReadinessRules(
        version=integer(o["version"], "version", minimum=1),
        source=string(o["source"], "source"),
        success_factors=success,
        risk_factors=risks,
        criteria=criteria,
        actions=tuple(actions),
        triggers=triggers,
    )


_RULES_CACHE: ReadinessRules | None = None


def load_readiness_rules() -> ReadinessRules:
    """The shipped ``data/readiness.v1.json`` (parsed once per process)."""
    global _RULES_CACHE
    if _RULES_CACHE is None:
        text = resources.files(_DATA_PACKAGE).joinpath(BUILTIN_FILE).read_text(encoding="utf-8")
        try:
            _RULES_CACHE = parse_readiness_rules(load_json(text, BUILTIN_FILE))
        except DataError as exc:
            raise DataError(f"{BUILTIN_FILE}: {exc}") from None
    return _RULES_CACHE


# --------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Eligibility:
    """The HAD eligibility assessment: ids of the success factors present and of the risk factors present."""

    success_factors: frozenset[str] = frozenset()
    risk_factors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HomeAssessment:
    """The IDEL's assessment of the home during a home ETP session."""

    space_for_material: bool
    access_for_teams: bool
    caregiver_present: bool


@dataclass(frozen=True)
class EducationOutcome:
    """The three parts of the sequence-1 exit criterion; ``missing`` lists, per unmet competency, the titles of
    the modules still to complete or whose quiz is not passed (empty when the outcome was entered by hand)."""

    understands_treatment: bool
    knows_warning_signs: bool
    knows_whom_to_alert: bool
    missing: Mapping[str, tuple[Label, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "missing", MappingProxyType(dict(self.missing)))

    def acquired(self, competency: Competency) -> bool:
        return bool(getattr(self, competency))


def education_outcome(
    programme: Programme, *, completed: AbstractSet[str], quizzes_passed: AbstractSet[str]
) -> EducationOutcome:
    """Derive the education outcome: a competency is acquired when each module listed for it in the programme's
    ``exit_criteria`` is in ``completed`` and in ``quizzes_passed``. Unknown module ids → :class:`InputError`."""
    for name, ids in (("completed", completed), ("quizzes_passed", quizzes_passed)):
        for module_id in sorted(ids):
            if not programme.has_module(module_id):
                raise InputError(
                    f"{name}: unknown module {module_id!r} in programme {programme.key} v{programme.version}"
                )
    flags: dict[str, bool] = {}
    missing: dict[str, tuple[Label, ...]] = {}
    for competency in COMPETENCIES:
        lacking = [
            programme.module(m).title
            for m in programme.exit_criteria[competency]
            if m not in completed or m not in quizzes_passed
        ]
        flags[competency] = not lacking
        if lacking:
            missing[competency] = tuple(lacking)
    return EducationOutcome(
        understands_treatment=flags["understands_treatment"],
        knows_warning_signs=flags["knows_warning_signs"],
        knows_whom_to_alert=flags["knows_whom_to_alert"],
        missing=missing,
    )


# --------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Criterion:
    """One readiness criterion; ``detail`` says what to do when it is unmet (``None`` when met)."""

    id: str
    label: Label
    met: bool
    detail: Label | None = None


@dataclass(frozen=True)
class SupportAction:
    """One action of the support plan; ``because`` lists the labels of the factors that triggered it."""

    id: str
    label: Label
    description: Label
    responsible: str
    because: tuple[Label, ...]


@dataclass(frozen=True)
class ReadinessResult:
    ready: bool
    criteria: tuple[Criterion, ...]
    support_plan: tuple[SupportAction, ...]
    education: EducationOutcome
    summary: Label

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)


def _check_factors(eligibility: Eligibility, rules: ReadinessRules) -> None:
    for name, given, known in (
        ("eligibility.success_factors", eligibility.success_factors, rules.success_factors),
        ("eligibility.risk_factors", eligibility.risk_factors, rules.risk_factors),
    ):
        ids = {f.id for f in known}
        for factor in sorted(given):
            if factor not in ids:
                raise InputError(
                    f"{name}: unknown factor {factor!r} (expected one of {', '.join(sorted(ids))})"
                )


def _criteria_values(
    eligibility: Eligibility | None, home: HomeAssessment | None, education: EducationOutcome
) -> dict[str, bool]:
    return {
        "eligibility_assessed": eligibility is not None,
        "wants_home": eligibility is not None and "wants_home" in eligibility.success_factors,
        "home_assessed": home is not None,
        "home_space": home is not None and home.space_for_material,
        "home_access": home is not None and home.access_for_teams,
        "understands_treatment": education.understands_treatment,
        "knows_warning_signs": education.knows_warning_signs,
        "knows_whom_to_alert": education.knows_whom_to_alert,
    }


def _quote_en(text: str) -> str:
    return f"'{text}'"


def _detail(criterion_id: str, text: CriterionText, education: EducationOutcome) -> Label:
    titles = education.missing.get(criterion_id, ())
    if not titles:
        return text.unmet
    return Label(
        fr=f"{text.unmet.fr} À terminer : {', '.join(f'« {t.fr} »' for t in titles)}.",
        en=f"{text.unmet.en} To complete: {', '.join(_quote_en(t.en) for t in titles)}.",
    )


def _support_plan(
    eligibility: Eligibility | None, home: HomeAssessment | None, rules: ReadinessRules
) -> tuple[SupportAction, ...]:
    reasons: dict[str, list[Label]] = {}
    triggered: list[tuple[str, Label]] = []
    if eligibility is not None:
        triggered += [(f.id, f.label) for f in rules.risk_factors if f.id in eligibility.risk_factors]
    if home is not None and not home.caregiver_present:
        triggered.append((NO_CAREGIVER, Label("Pas d'aidant présent au domicile", "No caregiver at home")))
    for trigger, why in triggered:
        for action_id in rules.triggers[trigger]:
            reasons.setdefault(action_id, [])
            if why not in reasons[action_id]:
                reasons[action_id].append(why)
    return tuple(
        SupportAction(
            id=a.id,
            label=a.label,
            description=a.description,
            responsible=a.responsible,
            because=tuple(reasons[a.id]),
        )
        for a in rules.actions
        if a.id in reasons
    )


def assess_readiness(
    *,
    eligibility: Eligibility | None,
    home: HomeAssessment | None,
    education: EducationOutcome,
    rules: ReadinessRules | None = None,
) -> ReadinessResult:
    """Is the patient ready for home care? Every criterion is evaluated (none short-circuits); the support plan
    is derived whatever the outcome. Unknown factor ids → :class:`InputError` naming the field."""
    rules = load_readiness_rules() if rules is None else rules
    if eligibility is not None:
        _check_factors(eligibility, rules)
    values = _criteria_values(eligibility, home, education)
    criteria = tuple(
        Criterion(
            id=cid,
            label=rules.criteria[cid].label,
            met=values[cid],
            detail=None if values[cid] else _detail(cid, rules.criteria[cid], education),
        )
        for cid in CRITERIA
    )
    unmet = [c for c in criteria if not c.met]
    ready = not unmet
    plan = _support_plan(eligibility, home, rules)
    if ready:
        summary = Label(
            fr="Prêt(e) pour la prise en charge à domicile"
            + (f" avec {len(plan)} mesure(s) d'accompagnement." if plan else "."),
            en="Ready for home care" + (f" with {len(plan)} support measure(s)." if plan else "."),
        )
    else:
        summary = Label(
            fr=f"Pas encore prêt(e) : {len(unmet)} critère(s) non rempli(s) ("
            + ", ".join(c.label.fr for c in unmet)
            + ").",
            en=f"Not ready yet: {len(unmet)} criterion/criteria unmet ("
            + ", ".join(c.label.en for c in unmet)
            + ").",
        )
    return ReadinessResult(
        ready=ready, criteria=criteria, support_plan=plan, education=education, summary=summary
    )


def pathway_facts(result: ReadinessResult, *, modules_completed: int) -> dict[str, object]:
    """The facts the pathway reads (names in :data:`FACT_NAMES`), e.g. for an ``education.ready`` guard::

    {"id": "education_ready", "expr": {"fact": "education.ready"}}
    """
    if isinstance(modules_completed, bool) or not isinstance(modules_completed, int) or modules_completed < 0:
        raise InputError(f"modules_completed: expected an integer >= 0, got {modules_completed!r}")
    return {
        FACT_READY: result.ready,
        FACT_MODULES_COMPLETED: modules_completed,
        "education.understands_treatment": result.education.understands_treatment,
        "education.knows_warning_signs": result.education.knows_warning_signs,
        "education.knows_whom_to_alert": result.education.knows_whom_to_alert,
    }
