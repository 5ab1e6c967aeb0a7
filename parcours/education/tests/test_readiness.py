"""Readiness for home care: blocking criteria, education outcome, support plan, pathway facts."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.education.common import DataError, InputError
from parcours.education.programme import get_programme
from parcours.education.readiness import (
    CRITERIA,
    FACT_NAMES,
    EducationOutcome,
    Eligibility,
    HomeAssessment,
    assess_readiness,
    education_outcome,
    load_readiness_rules,
    parse_readiness_rules,
    pathway_facts,
)
from parcours.pathways.engine import FACT_RE, compile_expr
from parcours.patients.enums import RiskFactor, SuccessFactor

PROGRAMME = get_programme("clb_immunotherapy_etp", 1)
ALL_MODULES = {m.id for m in PROGRAMME.modules}
EXIT_MODULES = {m for ids in PROGRAMME.exit_criteria.values() for m in ids}
GOOD_HOME = HomeAssessment(space_for_material=True, access_for_teams=True, caregiver_present=True)
KNOWS_ALL = EducationOutcome(understands_treatment=True, knows_warning_signs=True, knows_whom_to_alert=True)
WANTS = Eligibility(success_factors=frozenset({"wants_home", "morale"}))


def _raw() -> Any:
    text = (
        resources.files("parcours.education.data").joinpath("readiness.v1.json").read_text(encoding="utf-8")
    )
    return json.loads(text)


def test_factor_ids_match_the_patients_app() -> None:
    rules = load_readiness_rules()
    assert [f.id for f in rules.success_factors] == [c.value for c in SuccessFactor]
    assert [f.id for f in rules.risk_factors] == [c.value for c in RiskFactor]


def test_nothing_assessed_blocks_on_every_criterion() -> None:
    outcome = education_outcome(PROGRAMME, completed=set(), quizzes_passed=set())
    result = assess_readiness(eligibility=None, home=None, education=outcome)
    assert not result.ready
    assert [c.id for c in result.unmet] == list(CRITERIA)
    assert result.support_plan == ()
    assert result.summary.fr.startswith("Pas encore prêt(e) : 8 critère(s) non rempli(s)")
    warning = next(c for c in result.criteria if c.id == "knows_warning_signs")
    assert warning.detail is not None
    assert "« Les signes d'alerte (1) : peau, ventre, foie, poumons, cœur »" in warning.detail.fr


def test_readiness_blocks_then_allows_as_the_pieces_arrive() -> None:
    # education done but home not assessed
    outcome = education_outcome(PROGRAMME, completed=EXIT_MODULES, quizzes_passed=EXIT_MODULES)
    assert outcome == KNOWS_ALL
    step = assess_readiness(eligibility=WANTS, home=None, education=outcome)
    assert [c.id for c in step.unmet] == ["home_assessed", "home_space", "home_access"]
    # home assessed but deliveries cannot get in
    step = assess_readiness(
        eligibility=WANTS,
        home=HomeAssessment(space_for_material=True, access_for_teams=False, caregiver_present=True),
        education=outcome,
    )
    assert [c.id for c in step.unmet] == ["home_access"]
    assert step.unmet[0].detail is not None and "livraisons" in step.unmet[0].detail.fr
    # all met
    ready = assess_readiness(eligibility=WANTS, home=GOOD_HOME, education=outcome)
    assert ready.ready and ready.unmet == ()
    assert ready.summary.fr == "Prêt(e) pour la prise en charge à domicile."
    assert all(c.detail is None for c in ready.criteria)


def test_patient_must_want_home_care() -> None:
    result = assess_readiness(
        eligibility=Eligibility(success_factors=frozenset({"morale", "surrounded"})),
        home=GOOD_HOME,
        education=KNOWS_ALL,
    )
    assert [c.id for c in result.unmet] == ["wants_home"]


def test_completed_module_without_passed_quiz_is_not_enough() -> None:
    outcome = education_outcome(
        PROGRAMME, completed=ALL_MODULES, quizzes_passed=ALL_MODULES - {"whom_to_call"}
    )
    assert outcome.understands_treatment and outcome.knows_warning_signs
    assert not outcome.knows_whom_to_alert
    assert [t.fr for t in outcome.missing["knows_whom_to_alert"]] == ["Qui appeler, et quand"]
    result = assess_readiness(eligibility=WANTS, home=GOOD_HOME, education=outcome)
    assert [c.id for c in result.unmet] == ["knows_whom_to_alert"]


def test_education_outcome_refuses_unknown_modules() -> None:
    with pytest.raises(InputError, match=r"^quizzes_passed: unknown module 'ghost'"):
        education_outcome(PROGRAMME, completed=set(), quizzes_passed={"ghost"})


@pytest.mark.parametrize(
    ("risk", "actions"),
    [
        ("isolated", {"social_worker", "frequent_calls"}),
        ("alert_difficulty", {"proxy_pro_entry", "alert_means_training"}),
        ("anxious", {"psychological_support", "frequent_calls"}),
        ("recent_diagnosis", {"psychological_support", "extra_etp_session"}),
        ("financial", {"social_worker"}),
        ("daily_help", {"home_help", "social_worker"}),
        ("multiple_pathologies", {"gp_coordination", "medication_review"}),
        ("treatment_discomfort", {"extra_etp_session", "frequent_calls"}),
    ],
)
def test_support_plan_per_risk_factor(risk: str, actions: set[str]) -> None:
    eligibility = Eligibility(success_factors=frozenset({"wants_home"}), risk_factors=frozenset({risk}))
    result = assess_readiness(eligibility=eligibility, home=GOOD_HOME, education=KNOWS_ALL)
    assert {a.id for a in result.support_plan} == actions
    assert result.ready  # support never blocks
    assert result.summary.fr.endswith(f"avec {len(actions)} mesure(s) d'accompagnement.")


def test_support_plan_merges_triggers_and_names_them() -> None:
    eligibility = Eligibility(
        success_factors=frozenset({"wants_home"}), risk_factors=frozenset({"isolated", "financial"})
    )
    home = HomeAssessment(space_for_material=True, access_for_teams=True, caregiver_present=False)
    result = assess_readiness(eligibility=eligibility, home=home, education=KNOWS_ALL)
    social = next(a for a in result.support_plan if a.id == "social_worker")
    assert [b.fr for b in social.because] == [
        "Isolé(e)",
        "Difficultés financières ou administratives",
        "Pas d'aidant présent au domicile",
    ]
    assert social.responsible == "social_worker"
    assert [a.id for a in result.support_plan] == [
        "social_worker",
        "frequent_calls",
    ]  # data order, no duplicates
    proxy = assess_readiness(
        eligibility=Eligibility(frozenset({"wants_home"}), frozenset({"alert_difficulty"})),
        home=GOOD_HOME,
        education=KNOWS_ALL,
    ).support_plan
    assert next(a for a in proxy if a.id == "proxy_pro_entry").responsible == "idel"


def test_unknown_factor_is_refused() -> None:
    with pytest.raises(InputError, match=r"^eligibility\.risk_factors: unknown factor 'lonely'"):
        assess_readiness(
            eligibility=Eligibility(risk_factors=frozenset({"lonely"})), home=None, education=KNOWS_ALL
        )
    with pytest.raises(InputError, match=r"^eligibility\.success_factors: unknown factor 'rich'"):
        assess_readiness(
            eligibility=Eligibility(success_factors=frozenset({"rich"})), home=None, education=KNOWS_ALL
        )


def test_pathway_facts_feed_an_education_ready_guard() -> None:
    ready = assess_readiness(eligibility=WANTS, home=GOOD_HOME, education=KNOWS_ALL)
    facts = pathway_facts(ready, modules_completed=7)
    assert set(facts) == set(FACT_NAMES)
    assert all(FACT_RE.match(name) for name in facts)
    assert facts["education.ready"] is True and facts["education.modules_completed"] == 7
    guard = compile_expr(
        {"all": [{"fact": "education.ready"}, {"fact": "education.modules_completed", "gte": 5}]}
    )
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert guard(facts, now)
    not_ready = assess_readiness(eligibility=WANTS, home=None, education=KNOWS_ALL)
    assert not guard(pathway_facts(not_ready, modules_completed=7), now)
    with pytest.raises(InputError, match=r"^modules_completed"):
        pathway_facts(ready, modules_completed=-1)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["triggers"].pop("isolated"), r"^triggers\.isolated: missing"),
        (
            lambda d: d["triggers"].__setitem__("lonely", ["social_worker"]),
            r"^triggers\.lonely: unknown trigger",
        ),
        (
            lambda d: d["triggers"].__setitem__("financial", ["lawyer"]),
            r"^triggers\.financial\[0\]: unknown support",
        ),
        (lambda d: d["criteria"].pop(), r"^criteria: missing criteria knows_whom_to_alert"),
        (lambda d: d["criteria"][0].__setitem__("id", "other"), r"^criteria\[0\]\.id: unknown criterion"),
        (
            lambda d: d["support_actions"].append(
                {
                    "id": "spare",
                    "responsible": "idec",
                    "label": d["criteria"][0]["label"],
                    "description": d["criteria"][0]["label"],
                }
            ),
            r"^support_actions\[9\]: action 'spare' is used by no trigger",
        ),
        (lambda d: d["success_factors"].pop(1), r"^success_factors: the factor 'wants_home' is required"),
    ],
)
def test_invalid_rules_name_the_field(mutate: Any, expected: str) -> None:
    data = copy.deepcopy(_raw())
    mutate(data)
    with pytest.raises(DataError, match=expected):
        parse_readiness_rules(data)


@settings(max_examples=150, deadline=None)
@given(
    risks=st.sets(st.sampled_from([c.value for c in RiskFactor])),
    more=st.sets(st.sampled_from([c.value for c in RiskFactor])),
    caregiver=st.booleans(),
    completed=st.sets(st.sampled_from(sorted(ALL_MODULES))),
)
def test_more_risk_factors_only_add_support_and_never_change_readiness(
    risks: set[str], more: set[str], caregiver: bool, completed: set[str]
) -> None:
    outcome = education_outcome(PROGRAMME, completed=completed, quizzes_passed=completed)
    home = HomeAssessment(space_for_material=True, access_for_teams=True, caregiver_present=caregiver)

    def run(factors: set[str]) -> Any:
        eligibility = Eligibility(success_factors=frozenset({"wants_home"}), risk_factors=frozenset(factors))
        return assess_readiness(eligibility=eligibility, home=home, education=outcome)

    before, after = run(risks), run(risks | more)
    assert before.ready == after.ready == (completed >= EXIT_MODULES)
    assert {a.id for a in before.support_plan} <= {a.id for a in after.support_plan}
