"""Property tests: whatever the instance, the solver's plan passes the independent checker."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.optimiser.check import check_plan
from parcours.optimiser.parse import parse_instance, plan_to_json
from parcours.optimiser.replan import ReplanRequest, replan
from parcours.optimiser.solver import SolveOptions, solve

SKILLS = ("chimio", "picc", "etp")
coord = st.integers(min_value=0, max_value=60)
minute = st.integers(min_value=7 * 60, max_value=17 * 60)


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    n_depots = draw(st.integers(0, 2))
    depots = [
        {"id": f"PH{k}", "x": draw(coord), "y": draw(coord), "pickup_min": draw(st.integers(0, 10))}
        for k in range(n_depots)
    ]
    nurses = []
    for k in range(draw(st.integers(1, 3))):
        s0 = draw(minute)
        s1 = draw(st.integers(s0, 19 * 60))
        nurse: dict[str, Any] = {
            "id": f"N{k}",
            "start": {"x": draw(coord), "y": draw(coord)},
            "end": {"x": draw(coord), "y": draw(coord)},
            "shift": [s0, s1],
            "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True)),
        }
        if draw(st.booleans()):
            nurse["max_visits"] = draw(st.integers(0, 4))
        if draw(st.booleans()):
            nurse["capacity"] = draw(st.integers(0, 6))
        nurses.append(nurse)
    visits = []
    for k in range(draw(st.integers(1, 7))):
        w0 = draw(minute)
        visit: dict[str, Any] = {
            "id": f"V{k}",
            "x": draw(coord),
            "y": draw(coord),
            "window": [w0, draw(st.integers(w0, w0 + 240))],
            "duration_min": draw(st.integers(0, 90)),
            "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2)),
            "demand": draw(st.integers(0, 3)),
        }
        if depots and draw(st.booleans()):
            visit["bag"] = {
                "depot": draw(st.sampled_from([d["id"] for d in depots])),
                "ready": draw(st.integers(6 * 60, w0 + 30)),
                "stability_min": draw(st.integers(0, 300)),
            }
        visits.append(visit)
    travel = {"kind": "euclidean", "rounding": draw(st.sampled_from(["none", "dimacs"]))}
    return {"date": "2025-03-10", "travel": travel, "depots": depots, "nurses": nurses, "visits": visits}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 2**16))
def test_every_plan_passes_the_checker(raw: dict[str, Any], seed: int) -> None:
    plan = solve(parse_instance(raw), SolveOptions(time_limit=0.2, seed=seed, max_iterations=200))
    result = check_plan(raw, plan_to_json(plan))
    assert result.ok, result.violations
    assert result.visits_placed + result.visits_unassigned == len(raw["visits"])
    assert all(u.reason for u in plan.unassigned)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), minute, st.data())
def test_every_replan_passes_the_checker(raw: dict[str, Any], now: int, data: st.DataObject) -> None:
    instance = parse_instance(raw)
    plan = solve(instance, SolveOptions(time_limit=0.2, max_iterations=200))
    cancel = data.draw(st.sets(st.sampled_from([v["id"] for v in raw["visits"]]), max_size=2))
    sick = data.draw(st.sets(st.sampled_from([n["id"] for n in raw["nurses"]]), max_size=1))
    result = replan(
        instance, plan, ReplanRequest(now=float(now), cancel=frozenset(cancel), sick=frozenset(sick))
    )
    checked = check_plan(raw, plan_to_json(result.plan))
    assert checked.ok, checked.violations
