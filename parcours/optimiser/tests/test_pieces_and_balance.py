"""Large days searched piece by piece; max_visits inside the PyVRP model; the workload-balance term."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.optimiser.check import check_plan
from parcours.optimiser.construct import greedy_rounds
from parcours.optimiser.model import PickupStop, Plan, Route, VisitStop
from parcours.optimiser.parse import parse_instance, plan_to_json
from parcours.optimiser.precheck import precheck
from parcours.optimiser.schedule import Context, VisitAction, time_route
from parcours.optimiser.solver import SolveOptions, solve
from parcours.optimiser.synthetic import generate_day
from parcours.optimiser.tests.test_properties import instances
from parcours.optimiser.tests.test_solver import instance, nurse, visit
from parcours.optimiser.workload import fair_share, working_minutes, workload


def _day(n_visits: int = 400, n_nurses: int = 70) -> tuple[dict[str, Any], Context]:
    raw = generate_day(seed=3, n_visits=n_visits, n_nurses=n_nurses)
    return raw, Context(parse_instance(raw))


def test_pieces_hold_every_nurse_and_visit_once_and_change_with_the_draw() -> None:
    from parcours.optimiser.solver_pyvrp import _pieces

    _, ctx = _day()
    feas = precheck(ctx)
    visits = [v for v in ctx.instance.visits if v.id not in feas.reasons]
    rounds = greedy_rounds(ctx, feas, visits)
    first = _pieces(ctx, feas, visits, rounds, 4, random.Random(1))
    again = _pieces(ctx, feas, visits, rounds, 4, random.Random(2))
    assert len(first) == 4
    nurses = [n.id for nurses, _ in first for n in nurses]
    assert sorted(nurses) == sorted(n.id for n in ctx.instance.nurses)
    assert sorted(v.id for _, part in first for v in part) == sorted(v.id for v in visits)
    sizes = [len(part) for _, part in first]
    assert max(sizes) <= 2 * min(sizes)  # balanced on visits
    assert [sorted(n.id for n in p[0]) for p in first] != [sorted(n.id for n in p[0]) for p in again]
    placed = {a.visit: nid for nid, acts in rounds.items() for a in acts if isinstance(a, VisitAction)}
    for nurses_, part in first:  # a placed visit stays with its nurse
        ids = {n.id for n in nurses_}
        assert all(placed[v.id] in ids for v in part if v.id in placed)


def test_piece_passes_are_deterministic_feasible_and_never_worse() -> None:
    from parcours.optimiser.solver_pyvrp import DecomposeConfig, _decomposed

    _, ctx = _day()
    feas = precheck(ctx)
    visits = [v for v in ctx.instance.visits if v.id not in feas.reasons]
    start = greedy_rounds(ctx, feas, visits)
    config = DecomposeConfig(piece_iterations=200, piece_patience=100)

    def run() -> dict[str, Any]:
        return _decomposed(
            ctx,
            feas,
            visits,
            start,
            deadline=math.inf,
            seed=5,
            workers=2,
            should_stop=None,
            config=config,
            max_passes=2,
        )

    one, two = run(), run()
    assert one == two
    travel = {}
    for label, rounds in (("start", start), ("after", one)):
        total = 0.0
        for n in ctx.instance.nurses:
            timed = time_route(ctx, n, rounds.get(n.id, []))
            assert timed.ok, (n.id, timed.error)
            total += timed.travel
        travel[label] = total
    assert travel["after"] < travel["start"]
    placed = lambda rounds: sum(isinstance(a, VisitAction) for acts in rounds.values() for a in acts)  # noqa: E731
    assert placed(one) >= placed(start)


def test_the_engine_itself_keeps_bag_visits_within_max_visits() -> None:
    """PyVRP counts a shipment's load only while the bag is carried; the count is now exact."""
    from parcours.optimiser.solver_pyvrp import solve_pyvrp

    bag = {"depot": "PH", "ready": "08:00", "stability_min": 600}
    raw = instance(
        [nurse("N1", max_visits=2), nurse("N2", x=40, max_visits=2)],
        [visit(f"c{k}", 20 + k, bag=bag) for k in range(4)],
        depots=[{"id": "PH", "x": 10, "y": 0, "pickup_min": 5}],
    )
    ctx = Context(parse_instance(raw))
    feas = precheck(ctx)
    result = solve_pyvrp(ctx, feas, list(ctx.instance.visits), time_limit=2, seed=0, max_iterations=300)
    counts = {nid: sum(isinstance(a, VisitAction) for a in acts) for nid, acts in result.routes.items()}
    assert sorted(counts.values()) == [2, 2]
    assert result.objective == pytest.approx(
        sum(time_route(ctx, n, result.routes[n.id]).travel for n in ctx.instance.nurses), abs=1.0
    )


def test_working_minutes_are_travel_plus_time_at_stops_waits_included() -> None:
    stops = (
        PickupStop("PH", ("a",), arrive=480.0, depart=490.0),
        VisitStop("a", arrive=500.0, start=510.0, end=540.0),
    )
    assert working_minutes(stops, travel_min=25.0) == 25.0 + 10.0 + 40.0
    assert working_minutes((), 0.0) == 0.0


def test_fair_share_is_the_days_work_over_the_nurses_shift_time() -> None:
    raw = instance([nurse("N1"), nurse("N2")], [visit("a", 10)])  # two 10-hour shifts
    nurses = parse_instance(raw).nurses
    assert fair_share([300.0, 60.0], nurses) == pytest.approx(360 / 1200)
    assert fair_share([3000.0], nurses) == 1.0


def test_workload_summary_and_the_plan_json_field() -> None:
    raw = instance([nurse("N1"), nurse("N2"), nurse("N3")], [visit("a", 10)])
    plan = Plan(
        routes=(
            Route("N1", (VisitStop("a", 490.0, 490.0, 520.0),), travel_min=20.0),
            Route("N2", (VisitStop("b", 490.0, 500.0, 530.0), VisitStop("c", 540.0, 540.0, 600.0)), 40.0),
        ),
        unassigned=(),
        total_travel_min=60.0,
        solve_seconds=0.0,
    )
    wl = workload(plan, parse_instance(raw))
    assert (wl.nurses_used, wl.nurses_idle) == (2, 1)
    assert (wl.work_min_min, wl.work_min_max) == (50.0, 40.0 + 40.0 + 60.0)
    assert (wl.visits_min, wl.visits_max) == (1, 2)
    assert wl.work_min_sd == pytest.approx(45.0)
    rho = (50 + 140) / (3 * 600)
    assert wl.overload_min == pytest.approx(max(0, 50 - rho * 600) + max(0, 140 - rho * 600))
    out = plan_to_json(plan)
    assert out["routes"][1]["work_min"] == 140.0
    assert out["workload"] == {
        "nurses_used": 2,
        "work_min": {"mean": 95.0, "min": 50.0, "max": 140.0, "sd": 45.0},
        "visits": {"min": 1, "max": 2},
    }


def _split_instance() -> dict[str, Any]:
    """Two nurses at the same home; four long visits side by side 10 min away (5 hours of care).

    Travel alone: one nurse does all four (20 min of travel, a 5-h20 day; the other stays home).
    Balanced: two each (40 min of travel, two 2-h20 days).
    """
    return instance(
        [nurse("N1"), nurse("N2")],
        [visit(f"v{k}", 10, k * 0.001, duration=75) for k in range(4)],
    )


def test_without_balance_the_travel_optimal_plan_gives_everything_to_one_nurse() -> None:
    raw = _split_instance()
    plan = solve(parse_instance(raw), SolveOptions(time_limit=1, max_iterations=300))
    assert check_plan(raw, plan_to_json(plan)).ok
    assert len(plan.routes) == 1 and plan.total_travel_min == pytest.approx(20, abs=0.1)


def test_balance_shares_the_work_when_it_is_worth_its_travel() -> None:
    raw = _split_instance()
    plan = solve(parse_instance(raw), SolveOptions(time_limit=1, max_iterations=300, balance=0.5))
    assert check_plan(raw, plan_to_json(plan)).ok
    assert sorted(sum(isinstance(s, VisitStop) for s in r.stops) for r in plan.routes) == [2, 2]
    assert plan.total_travel_min == pytest.approx(40, abs=0.1)


def test_a_small_balance_weight_does_not_buy_balance_with_much_travel() -> None:
    raw = _split_instance()  # splitting costs 20 min of travel for 180 min less overload: not at 0.05
    plan = solve(parse_instance(raw), SolveOptions(time_limit=1, max_iterations=300, balance=0.05))
    assert len(plan.routes) == 1 and plan.total_travel_min == pytest.approx(20, abs=0.1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 2**16), st.sampled_from([0.05, 0.5]))
def test_every_balanced_plan_passes_the_checker(raw: dict[str, Any], seed: int, balance: float) -> None:
    plan = solve(
        parse_instance(raw), SolveOptions(time_limit=0.2, seed=seed, max_iterations=200, balance=balance)
    )
    result = check_plan(raw, plan_to_json(plan))
    assert result.ok, result.violations
    assert result.visits_placed + result.visits_unassigned == len(raw["visits"])


def test_a_large_day_searched_by_pieces_with_balance_has_less_overload_and_passes_the_checker() -> None:
    from parcours.optimiser.insertion import Round
    from parcours.optimiser.solver import finish
    from parcours.optimiser.solver_pyvrp import DecomposeConfig, _decomposed

    raw, ctx = _day()
    feas = precheck(ctx)
    visits = [v for v in ctx.instance.visits if v.id not in feas.reasons]
    start = greedy_rounds(ctx, feas, visits)
    config = DecomposeConfig(piece_iterations=300, piece_patience=150)
    overload = {}
    for weight in (0.0, 0.5):
        rounds = _decomposed(
            ctx,
            feas,
            visits,
            start,
            deadline=math.inf,
            seed=1,
            workers=2,
            should_stop=None,
            config=config,
            max_passes=2,
            balance_weight=weight,
        )
        full = [
            Round(nurse=n, head=ctx.empty_head(n), actions=rounds.get(n.id, [])) for n in ctx.instance.nurses
        ]
        plan = finish(ctx, feas, full, visits, (), 0.0, "pyvrp")
        report = check_plan(raw, plan_to_json(plan))
        assert report.ok, report.violations
        overload[weight] = workload(plan, ctx.instance).overload_min
    assert overload[0.5] < 0.8 * overload[0.0]
