"""The pure pathway engine: parsing and validation, guards, transitions, timers, checklist (no database)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.pathways.engine import (
    Allowed,
    DefinitionError,
    PathwayDefinition,
    Refused,
    attempt,
    check_transitions,
    checklist_progress,
    compile_expr,
    due_timers,
    evaluate_guard,
    latest_builtin_definitions,
    load_builtin_definitions,
    load_definition_text,
    parse_definition,
    required_facts,
    state_facts,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CLB = ("clb_home_immunotherapy", 1)
ADMISSION = ("had_admission", 1)


def label(text: str) -> dict[str, str]:
    return {"fr": f"{text} (fr)", "en": text}


def minimal() -> dict[str, Any]:
    """A small valid definition: a -> b -> done, with guards on a -> b and a reasoned exit from anywhere."""
    return {
        "key": "demo",
        "version": 1,
        "name": label("Demo"),
        "source": "test",
        "states": [
            {"id": "a", "kind": "initial", "label": label("A")},
            {
                "id": "b",
                "kind": "active",
                "label": label("B"),
                "expected_duration_days": 30,
                "timers": [
                    {"id": "b_late", "after_days": 30, "label": label("B late")},
                    {"id": "b_early", "after_days": 7, "label": label("B early")},
                ],
            },
            {"id": "done", "kind": "final", "label": label("Done")},
        ],
        "guards": [
            {"id": "g1", "label": label("G1"), "expr": {"fact": "x.one"}},
            {"id": "g2", "label": label("G2"), "expr": {"fact": "x.two", "gte": 3}},
            {"id": "g3", "label": label("G3"), "expr": {"fact": "x.three", "present": True}},
        ],
        "transitions": [
            {"id": "go", "label": label("Go"), "sources": ["a"], "target": "b", "guards": ["g1", "g2", "g3"]},
            {"id": "finish", "label": label("Finish"), "sources": ["b"], "target": "done"},
            {"id": "stop", "label": label("Stop"), "sources": "*", "target": "done", "requires_reason": True},
        ],
        "checklist": [{"id": "first", "label": label("First")}, {"id": "second", "label": label("Second")}],
    }


@pytest.fixture(scope="module")
def demo() -> PathwayDefinition:
    return parse_definition(minimal())


@pytest.fixture(scope="module")
def clb() -> PathwayDefinition:
    return load_builtin_definitions()[CLB]


def refusal_code(result: Allowed | Refused) -> str | None:
    return result.reason_code if isinstance(result, Refused) else None


def expr_holds(node: dict[str, Any], facts: dict[str, object], now: datetime = NOW) -> bool:
    return compile_expr(node)(facts, now)


# ---------------------------------------------------------------------------------------------- parsing


def test_minimal_definition_parses_with_indexes(demo: PathwayDefinition) -> None:
    assert demo.initial_state.id == "a"
    assert demo.state("b").timers[0].id == "b_late"
    assert [t.id for t in demo.outgoing("a")] == ["go", "stop"]
    assert demo.outgoing("done") == ()
    assert [c.order for c in demo.checklist] == [1, 2]


def test_star_sources_expand_to_every_non_final_state_except_the_target(demo: PathwayDefinition) -> None:
    stop = demo.transition("stop")
    assert stop.from_any
    assert stop.sources == frozenset({"a", "b"})


def test_unknown_state_lookup_raises_key_error(demo: PathwayDefinition) -> None:
    with pytest.raises(KeyError, match="s9"):
        demo.state("s9")


def mutate(path_fn: Any) -> dict[str, Any]:
    data = copy.deepcopy(minimal())
    path_fn(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["transitions"][1].update(target="s9"), "transitions[1].target: unknown state 's9'"),
        (
            lambda d: d["transitions"][0].update(sources=["a", "zz"]),
            "transitions[0].sources[1]: unknown state 'zz'",
        ),
        (
            lambda d: d["transitions"][0]["guards"].append("nope"),
            "transitions[0].guards[3]: unknown guard 'nope'",
        ),
        (
            lambda d: d["transitions"][1].update(sources=["done"]),
            "transitions[1].sources[0]: 'done' is a final state",
        ),
        (
            lambda d: d["transitions"][1].update(sources=["b"], target="b"),
            "transitions[1].sources[0]: 'b' is also",
        ),
        (lambda d: d["transitions"][1].update(id="go"), "transitions[1].id: duplicate transition id 'go'"),
        (lambda d: d["states"][1].update(id="a"), "states[1].id: duplicate state id 'a'"),
        (
            lambda d: d["states"][1].update(kind="initial"),
            "states: exactly one initial state required, found 2",
        ),
        (
            lambda d: d["states"][0].update(kind="active"),
            "states: exactly one initial state required, found 0",
        ),
        (lambda d: d["states"][2].update(kind="active"), "states: at least one final state required"),
        (
            lambda d: d["states"][1].update(kind="sleeping"),
            "states[1].kind: expected 'initial', 'active' or 'final'",
        ),
        (
            lambda d: d["states"][1]["timers"][1].update(id="b_late"),
            "states[1].timers[1].id: duplicate timer id",
        ),
        (lambda d: d["states"][1]["timers"][0].update(after_days=-1), "states[1].timers[0].after_days"),
        (lambda d: d["states"][1].update(expected_duration_days="30"), "states[1].expected_duration_days"),
        (lambda d: d["states"][0]["label"].pop("fr"), "states[0].label.fr: missing"),
        (lambda d: d["states"][0].update(colour="red"), "states[0].colour: unknown field"),
        (lambda d: d.update(version=0), "version: expected an integer >= 1"),
        (lambda d: d.update(key="Bad Key"), "key: invalid id 'Bad Key'"),
        (lambda d: d.pop("source"), "source: missing"),
        (lambda d: d["guards"][1].update(id="g1"), "guards[1].id: duplicate guard id 'g1'"),
        (
            lambda d: d["guards"][0].update(expr={"fact": "X One"}),
            "guards[0].expr.fact: invalid fact name 'X One'",
        ),
        (
            lambda d: d["guards"][0].update(expr={"fact": "x", "like": 1}),
            "guards[0].expr: unknown operator 'like'",
        ),
        (lambda d: d["guards"][0].update(expr={"xor": []}), "guards[0].expr: unknown operator 'xor'"),
        (lambda d: d["guards"][0].update(expr={"all": []}), "guards[0].expr.all: expected a non-empty list"),
        (
            lambda d: d["guards"][0].update(
                expr={"any": [{"fact": "a"}, {"fact": "b", "gte": "x", "lt": 2}]}
            ),
            "guards[0].expr.any[1]: one operator per fact test",
        ),
        (lambda d: d["guards"][0].update(expr={"not": {"fact": "a", "in": []}}), "guards[0].expr.not.in"),
        (
            lambda d: d["guards"][0].update(expr={"fact": "a", "gte": True}),
            "guards[0].expr.gte: expected a number",
        ),
        (
            lambda d: d["guards"][0].update(expr={"fact": "a", "within_hours": 0}),
            "guards[0].expr.within_hours",
        ),
        (lambda d: d["guards"][0].update(expr={"fact": "a", "present": 1}), "guards[0].expr.present"),
        (lambda d: d["guards"][0].update(expr={"fact": "a", "eq": None}), "guards[0].expr.eq: null"),
        (lambda d: d["guards"][0].update(expr=[1]), "guards[0].expr: expected an expression object"),
        (
            lambda d: d["transitions"][0]["guards"].remove("g3"),
            "guards[2]: guard 'g3' is used by no transition",
        ),
        (lambda d: d["transitions"][0].update(target="done"), "states[1]: state 'b' is unreachable from 'a'"),
        (
            lambda d: (d["transitions"].pop(1), d["transitions"][1].update(sources=["a"])),
            "states[1]: no path from state 'b' to a final state",
        ),
        (
            lambda d: d["checklist"][1].update(id="first"),
            "checklist[1].id: duplicate checklist step id 'first'",
        ),
        (lambda d: d["transitions"][0].update(requires_reason="yes"), "transitions[0].requires_reason"),
        (
            lambda d: d["transitions"][0].update(reason_choices=[{"id": "x", "label": label("X")}]),
            "transitions[0].reason_choices: only for a transition with requires_reason true",
        ),
    ],
)
def test_parse_errors_name_the_bad_field(change: Any, message: str) -> None:
    with pytest.raises(DefinitionError) as excinfo:
        parse_definition(mutate(change))
    assert message in str(excinfo.value)


def test_duplicate_json_keys_and_bad_json_are_reported_with_the_origin() -> None:
    with pytest.raises(DefinitionError, match=r"demo\.json: duplicate JSON key 'key'"):
        load_definition_text('{"key": "a", "key": "b"}', "demo.json")
    with pytest.raises(DefinitionError, match=r"demo\.json: invalid JSON"):
        load_definition_text("{", "demo.json")
    with pytest.raises(DefinitionError, match=r"demo\.json: transitions\[1\].target"):
        load_definition_text(
            json.dumps(mutate(lambda d: d["transitions"][1].update(target="zz"))), "demo.json"
        )


def test_both_shipped_definitions_parse_and_cite_their_source() -> None:
    defs = load_builtin_definitions()
    assert set(defs) >= {CLB, ADMISSION}
    for defn in defs.values():
        assert defn.source.strip()
        assert defn.name.fr and defn.name.en
    # v2 adds the education guard of issue 6 (new pathways start on v2; patients on v1 keep v1)
    assert latest_builtin_definitions()["clb_home_immunotherapy"].version == 2


def test_load_builtin_definitions_returns_a_fresh_dict() -> None:
    first = load_builtin_definitions()
    first.clear()
    assert CLB in load_builtin_definitions()


def test_clb_definition_has_three_sequences_with_review_timers(clb: PathwayDefinition) -> None:
    assert clb.initial_state.id == "inclusion"
    assert [(s.id, s.expected_duration_days) for s in clb.states if s.id.startswith("s")] == [
        ("s1", 182),
        ("s2", 182),
        ("s3", 365),
    ]
    assert {s.id: [t.after_days for t in s.timers] for s in clb.states}["s3"] == [365]
    assert clb.transition("to_s2").guards == ("had_validated", "consent_informed", "eligibility_assessed")
    assert clb.transition("back_to_day_hospital").requires_reason
    assert clb.transition("end").sources == frozenset({"inclusion", "s1", "s2", "s3", "hdj"})
    assert clb.guards["had_validated"].label.fr == "Faisabilité HAD validée par un médecin d'HAD"


def test_admission_definition_carries_the_nine_steps_in_order() -> None:
    defn = load_builtin_definitions()[ADMISSION]
    assert [s.id for s in defn.checklist] == [
        "eligibility_identified",
        "first_cure_hdj",
        "transfer_request",
        "transition_education",
        "prescription",
        "medical_validation",
        "pharmacy_preparation",
        "delivery",
        "administration",
    ]
    assert [s.order for s in defn.checklist] == list(range(1, 10))
    assert "checklist.administration" in required_facts(defn)


def test_required_facts_lists_what_the_caller_must_compute(clb: PathwayDefinition) -> None:
    assert required_facts(clb) == {
        "checklist.eligibility_identified",
        "referent.oncologist",
        "had.validated",
        "consent.informed",
        "eligibility.assessed",
        "gp.named",
        "state.days_in_state",
        "hdj.assessment_favourable",
    }


# ----------------------------------------------------------------------------------------------- guards


def test_truthy_fact_guard() -> None:
    node = {"fact": "had.validated"}
    assert expr_holds(node, {"had.validated": True})
    assert not expr_holds(node, {"had.validated": False})
    assert not expr_holds(node, {"had.validated": None})
    assert not expr_holds(node, {})


def test_eq_and_ne_never_confuse_booleans_with_numbers() -> None:
    assert expr_holds({"fact": "n", "eq": 1}, {"n": 1})
    assert expr_holds({"fact": "n", "eq": 1}, {"n": 1.0})
    assert not expr_holds({"fact": "n", "eq": 1}, {"n": True})
    assert not expr_holds({"fact": "n", "eq": True}, {"n": 1})
    assert expr_holds({"fact": "s", "eq": "lyon"}, {"s": "lyon"})
    assert expr_holds({"fact": "s", "ne": "lyon"}, {"s": "paris"})
    assert not expr_holds({"fact": "s", "ne": "lyon"}, {"s": "lyon"})


def test_missing_fact_is_unmet_for_every_operator_and_never_raises() -> None:
    for node in (
        {"fact": "m", "eq": 1},
        {"fact": "m", "ne": 1},
        {"fact": "m", "gte": 1},
        {"fact": "m", "gt": 1},
        {"fact": "m", "lte": 1},
        {"fact": "m", "lt": 1},
        {"fact": "m", "in": [1, 2]},
        {"fact": "m", "within_hours": 72},
        {"fact": "m", "present": True},
        {"fact": "m"},
    ):
        assert not expr_holds(node, {}), node
        assert not expr_holds(node, {"m": None}), node
    assert expr_holds({"fact": "m", "present": False}, {})
    assert expr_holds({"not": {"fact": "m", "eq": 1}}, {})


@pytest.mark.parametrize(
    ("op", "bound", "value", "expected"),
    [
        ("gte", 18, 18, True),
        ("gte", 18, 17, False),
        ("gt", 18, 18, False),
        ("gt", 18, 18.5, True),
        ("lte", 75, 75, True),
        ("lte", 75, 76, False),
        ("lt", 75, 74, True),
        ("lt", 75, 75, False),
        ("gte", 150, Decimal("150"), True),
        ("gte", "2025-01-01", "2025-02-01", True),
        ("lt", "b", "a", True),
    ],
)
def test_ordering_operators(op: str, bound: object, value: object, expected: bool) -> None:
    assert expr_holds({"fact": "v", op: bound}, {"v": value}) is expected


def test_ordering_on_the_wrong_type_is_unmet() -> None:
    assert not expr_holds({"fact": "age", "gte": 18}, {"age": "80"})
    assert not expr_holds({"fact": "age", "gte": 18}, {"age": True})
    assert not expr_holds({"fact": "day", "gte": "2025-01-01"}, {"day": 20250101})
    assert not expr_holds({"fact": "age", "gte": 18}, {"age": Decimal("NaN")})
    assert not expr_holds({"fact": "age", "gte": 18}, {"age": float("nan")})


def test_in_operator() -> None:
    node = {"fact": "route", "in": ["iv", "sc"]}
    assert expr_holds(node, {"route": "sc"})
    assert not expr_holds(node, {"route": "oral"})
    assert not expr_holds({"fact": "n", "in": [1, 2]}, {"n": True})
    assert not expr_holds(node, {"route": ["iv"]})


def test_within_hours_accepts_datetimes_and_iso_strings() -> None:
    node = {"fact": "labs.last_at", "within_hours": 72}
    assert expr_holds(node, {"labs.last_at": NOW - timedelta(hours=72)})
    assert not expr_holds(node, {"labs.last_at": NOW - timedelta(hours=72, seconds=1)})
    assert expr_holds(node, {"labs.last_at": (NOW - timedelta(hours=10)).isoformat()})
    assert expr_holds(node, {"labs.last_at": "2025-02-27T12:00:00Z"})
    assert expr_holds(node, {"labs.last_at": "2025-02-27T12:00:00"}), "naive values are UTC"
    assert not expr_holds(node, {"labs.last_at": NOW + timedelta(hours=1)}), "the future is not trusted"
    assert not expr_holds(node, {"labs.last_at": "yesterday"})
    assert not expr_holds(node, {"labs.last_at": 12})


def test_all_any_not_combine() -> None:
    node = {"all": [{"fact": "a"}, {"any": [{"fact": "b"}, {"not": {"fact": "c"}}]}]}
    assert expr_holds(node, {"a": True, "b": True, "c": True})
    assert expr_holds(node, {"a": True})
    assert not expr_holds(node, {"a": True, "c": True})
    assert not expr_holds(node, {"b": True})


def test_expr_exposes_its_source_and_facts() -> None:
    expr = compile_expr({"all": [{"fact": "a.b"}, {"not": {"fact": "c", "eq": 2}}]})
    assert expr.facts == {"a.b", "c"}
    assert json.loads(expr.source) == {"all": [{"fact": "a.b"}, {"not": {"eq": 2, "fact": "c"}}]}


def test_evaluate_guard_by_id(demo: PathwayDefinition) -> None:
    assert evaluate_guard(demo, "g2", {"x.two": 3}, NOW)
    assert not evaluate_guard(demo, "g2", {"x.two": 2}, NOW)
    with pytest.raises(KeyError):
        evaluate_guard(demo, "nope", {}, NOW)


# ------------------------------------------------------------------------------------------ transitions


def test_check_transitions_lists_every_outgoing_transition_with_its_unmet_guards(
    demo: PathwayDefinition,
) -> None:
    checks = check_transitions(demo, "a", {"x.one": True}, NOW)
    assert [(c.transition.id, c.allowed, [u.id for u in c.unmet]) for c in checks] == [
        ("go", False, ["g2", "g3"]),
        ("stop", True, []),
    ]
    assert check_transitions(demo, "done", {}, NOW) == ()


def test_attempt_collects_all_unmet_guards_not_just_the_first(demo: PathwayDefinition) -> None:
    result = attempt(demo, "a", "go", {}, NOW)
    assert isinstance(result, Refused)
    assert result.reason_code == "guards_unmet"
    assert [u.id for u in result.unmet] == ["g1", "g2", "g3"]
    assert "G1 (fr)" in result.message.fr and "G3" in result.message.en


def test_attempt_allows_when_every_guard_holds(demo: PathwayDefinition) -> None:
    result = attempt(demo, "a", "go", {"x.one": 1, "x.two": 5, "x.three": "dr"}, NOW)
    assert result == Allowed(transition=demo.transition("go"), source="a", target="b")


def test_attempt_refuses_an_unknown_transition(demo: PathwayDefinition) -> None:
    result = attempt(demo, "a", "fly", {}, NOW)
    assert isinstance(result, Refused) and result.reason_code == "unknown_transition"


def test_attempt_refuses_a_transition_not_from_this_state(demo: PathwayDefinition) -> None:
    result = attempt(demo, "a", "finish", {}, NOW)
    assert isinstance(result, Refused) and result.reason_code == "not_from_this_state"
    assert "Finish" in result.message.en


def test_attempt_requires_a_non_blank_reason_when_declared(demo: PathwayDefinition) -> None:
    for reason in (None, "", "   "):
        result = attempt(demo, "b", "stop", {}, NOW, reason=reason)
        assert isinstance(result, Refused) and result.reason_code == "reason_required"
    allowed = attempt(demo, "b", "stop", {}, NOW, reason="  décès  ")
    assert isinstance(allowed, Allowed) and allowed.reason == "décès" and allowed.target == "done"


def test_attempt_from_a_final_state_is_refused(demo: PathwayDefinition) -> None:
    result = attempt(demo, "done", "stop", {}, NOW, reason="again")
    assert isinstance(result, Refused) and result.reason_code == "final_state"


def test_attempt_from_an_unknown_state_is_a_data_error(demo: PathwayDefinition) -> None:
    with pytest.raises(KeyError):
        attempt(demo, "zz", "go", {}, NOW)


def test_clb_s1_to_s2_needs_had_validation_consent_and_eligibility(clb: PathwayDefinition) -> None:
    result = attempt(clb, "s1", "to_s2", {"consent.informed": True}, NOW)
    assert isinstance(result, Refused)
    assert [u.id for u in result.unmet] == ["had_validated", "eligibility_assessed"]
    facts = {"had.validated": True, "consent.informed": True, "eligibility.assessed": True}
    assert isinstance(attempt(clb, "s1", "to_s2", facts, NOW), Allowed)


def test_clb_s2_to_s3_needs_a_gp_and_150_days_in_s2(clb: PathwayDefinition) -> None:
    entered = NOW - timedelta(days=149, hours=23)
    facts = {"gp.named": True, **state_facts(entered, NOW)}
    assert facts["state.days_in_state"] == 149
    result = attempt(clb, "s2", "to_s3", facts, NOW)
    assert isinstance(result, Refused) and [u.id for u in result.unmet] == ["s2_min_duration"]
    facts = {"gp.named": True, **state_facts(NOW - timedelta(days=150), NOW)}
    assert isinstance(attempt(clb, "s2", "to_s3", facts, NOW), Allowed)


def test_clb_back_to_day_hospital_from_s3_with_a_reason_then_resume_in_s2(clb: PathwayDefinition) -> None:
    assert refusal_code(attempt(clb, "s3", "back_to_day_hospital", {}, NOW)) == "reason_required"
    back = attempt(clb, "s3", "back_to_day_hospital", {}, NOW, reason="toxicity")
    assert isinstance(back, Allowed) and back.target == "hdj"
    facts = {"hdj.assessment_favourable": True, "had.validated": True, "consent.informed": True}
    resume = attempt(clb, "hdj", "resume_home", facts, NOW)
    assert isinstance(resume, Allowed) and resume.target == "s2"
    assert (
        refusal_code(attempt(clb, "s1", "back_to_day_hospital", {}, NOW, reason="x")) == "not_from_this_state"
    )


# ------------------------------------------------------------------------------- timers and checklist


def test_due_timers_are_sorted_and_flag_overdue(demo: PathwayDefinition) -> None:
    entered = NOW - timedelta(days=10)
    rows = due_timers(demo, "b", entered, NOW)
    assert [(t.id, due, overdue) for t, due, overdue in rows] == [
        ("b_early", entered + timedelta(days=7), True),
        ("b_late", entered + timedelta(days=30), False),
    ]
    assert due_timers(demo, "a", entered, NOW) == ()


def test_timer_is_overdue_exactly_at_its_due_time(clb: PathwayDefinition) -> None:
    entered = datetime(2024, 1, 1, tzinfo=UTC)
    ((timer, due, overdue),) = due_timers(clb, "s1", entered, entered + timedelta(days=182))
    assert timer.id == "s1_review" and due == entered + timedelta(days=182) and overdue
    assert not due_timers(clb, "s1", entered, due - timedelta(seconds=1))[0][2]


def test_checklist_step_done_iff_its_fact_is_truthy(demo: PathwayDefinition) -> None:
    progress = checklist_progress(demo, {"checklist.first": True, "checklist.second": 0})
    assert [(s.id, done) for s, done in progress] == [("first", True), ("second", False)]
    assert [done for _, done in checklist_progress(demo, {})] == [False, False]


# ------------------------------------------------------------------------------------ property tests

FACT_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=400),
    st.text(max_size=3),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)),
)


def facts_for(defn: PathwayDefinition) -> st.SearchStrategy[dict[str, object]]:
    names = sorted(required_facts(defn) | {"unrelated.fact"})
    return st.dictionaries(st.sampled_from(names), FACT_VALUES, max_size=len(names))


CLB_DEFN = load_builtin_definitions()[CLB]
ALL_DEFNS = list(load_builtin_definitions().values())


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    defn=st.sampled_from(ALL_DEFNS),
)
def test_attempt_is_allowed_iff_every_guard_holds_and_refusals_list_exactly_the_failing_guards(
    data: st.DataObject, defn: PathwayDefinition
) -> None:
    state = data.draw(st.sampled_from([s for s in defn.states if not s.is_final]))
    transition = data.draw(st.sampled_from(defn.outgoing(state.id)))
    facts = data.draw(facts_for(defn))
    failing = [g for g in transition.guards if not evaluate_guard(defn, g, facts, NOW)]
    result = attempt(defn, state.id, transition.id, facts, NOW, reason="motif")
    if failing:
        assert isinstance(result, Refused) and result.reason_code == "guards_unmet"
        assert [u.id for u in result.unmet] == failing
    else:
        assert isinstance(result, Allowed)
        assert defn.has_state(result.target) and result.target == transition.target
    (check,) = [c for c in check_transitions(defn, state.id, facts, NOW) if c.transition.id == transition.id]
    assert check.allowed is (not failing) and [u.id for u in check.unmet] == failing


@settings(max_examples=200, deadline=None)
@given(data=st.data(), facts=facts_for(CLB_DEFN))
def test_attempt_from_a_state_a_transition_does_not_leave_is_always_refused(
    data: st.DataObject, facts: dict[str, object]
) -> None:
    state = data.draw(st.sampled_from(CLB_DEFN.states))
    transition = data.draw(st.sampled_from(CLB_DEFN.transitions))
    result = attempt(CLB_DEFN, state.id, transition.id, facts, NOW, reason="motif")
    if state.is_final:
        assert isinstance(result, Refused) and result.reason_code == "final_state"
    elif state.id not in transition.sources:
        assert isinstance(result, Refused) and result.reason_code == "not_from_this_state"


@settings(max_examples=200, deadline=None)
@given(choices=st.lists(st.integers(min_value=0, max_value=100), max_size=40))
def test_random_walks_with_all_facts_true_stay_on_known_states_and_never_leave_a_final_state(
    choices: list[int],
) -> None:
    facts: dict[str, object] = dict.fromkeys(required_facts(CLB_DEFN), True)
    facts["referent.oncologist"] = "dr-house"
    facts["state.days_in_state"] = 400
    state = CLB_DEFN.initial_state.id
    for choice in choices:
        checks = check_transitions(CLB_DEFN, state, facts, NOW)
        if CLB_DEFN.state(state).is_final:
            assert checks == ()
            assert all(
                isinstance(r, Refused) and r.reason_code == "final_state"
                for r in (
                    attempt(CLB_DEFN, state, t.id, facts, NOW, reason="x") for t in CLB_DEFN.transitions
                )
            )
            break
        assert checks and all(c.allowed for c in checks)
        chosen = checks[choice % len(checks)].transition
        result = attempt(CLB_DEFN, state, chosen.id, facts, NOW, reason="motif")
        assert isinstance(result, Allowed) and result.source == state
        assert CLB_DEFN.has_state(result.target)
        state = result.target


@settings(max_examples=200, deadline=None)
@given(facts=facts_for(CLB_DEFN), state=st.sampled_from([s.id for s in CLB_DEFN.states]))
def test_guard_evaluation_never_raises_on_arbitrary_facts(facts: dict[str, object], state: str) -> None:
    for check in check_transitions(CLB_DEFN, state, facts, NOW):
        assert check.transition.target in {s.id for s in CLB_DEFN.states}
    for guard_id in CLB_DEFN.guards:
        assert isinstance(evaluate_guard(CLB_DEFN, guard_id, facts, NOW), bool)
