"""Re-planning: frozen stops never move, the rest moves as little as possible."""

from __future__ import annotations

from typing import Any

from parcours.optimiser.check import check_plan
from parcours.optimiser.model import PickupStop, Plan, VisitStop
from parcours.optimiser.parse import parse_instance, parse_plan, plan_to_json
from parcours.optimiser.replan import ReplanRequest, replan
from parcours.optimiser.solver import SolveOptions, solve
from parcours.optimiser.synthetic import generate_day


def nurse_of(plan: Plan) -> dict[str, str]:
    return {s.visit: r.nurse for r in plan.routes for s in r.stops if isinstance(s, VisitStop)}


def small_day() -> tuple[dict[str, Any], Plan]:
    raw = generate_day(seed=7, n_visits=40, n_nurses=8, radius_km=6)
    plan = solve(parse_instance(raw), SolveOptions(time_limit=1.0, max_iterations=2000))
    assert check_plan(raw, plan_to_json(plan)).ok
    return raw, plan


def test_cancelling_a_started_visit_is_refused_with_a_warning(
    instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    result = replan(
        parse_instance(instance), parse_plan(plan), ReplanRequest(now=9 * 60 + 10, cancel=frozenset({"B"}))
    )
    assert result.warnings and "already under way" in result.warnings[0]
    assert check_plan(instance, plan_to_json(result.plan)).ok
    assert "B" in nurse_of(result.plan)


def test_cancellation_moves_no_other_visit_and_keeps_frozen_stops() -> None:
    raw, plan = small_day()
    now = 10 * 60.0
    later = [s.visit for r in plan.routes for s in r.stops if isinstance(s, VisitStop) and s.start > now + 60]
    result = replan(parse_instance(raw), plan, ReplanRequest(now=now, cancel=frozenset({later[0]})))
    new = result.plan
    assert check_plan(raw, plan_to_json(new)).ok
    assert result.moved == ()
    before = nurse_of(plan)
    del before[later[0]]
    assert nurse_of(new) == before
    old_routes = {r.nurse: r for r in plan.routes}
    for r in new.routes:
        started = [s for s in old_routes[r.nurse].stops if isinstance(s, VisitStop) and s.start <= now]
        assert list(r.stops[: len(started)]) == list(old_routes[r.nurse].stops[: len(started)]) or not started


def test_sick_nurse_keeps_what_she_did_and_her_other_visits_go_to_colleagues() -> None:
    raw, plan = small_day()
    now = 10 * 60.0
    busiest = max(plan.routes, key=lambda r: len(r.stops))
    result = replan(parse_instance(raw), plan, ReplanRequest(now=now, sick=frozenset({busiest.nurse})))
    assert check_plan(raw, plan_to_json(result.plan)).ok
    kept = next((r for r in result.plan.routes if r.nurse == busiest.nurse), None)
    done = [s for s in busiest.stops if (s.start if isinstance(s, VisitStop) else s.arrive) <= now]
    assert (list(kept.stops) if kept else []) == done
    placed_or_unassigned = set(nurse_of(result.plan)) | {u.visit for u in result.plan.unassigned}
    assert placed_or_unassigned == {v["id"] for v in raw["visits"]}
    moved = set(result.moved)
    lost = {s.visit for s in busiest.stops if isinstance(s, VisitStop)} - {
        s.visit for s in done if isinstance(s, VisitStop)
    }
    assert moved <= lost


def test_bags_left_with_a_sick_nurse_are_collected_anew_by_a_colleague() -> None:
    raw, plan = small_day()
    case = next(
        (r, p, b)
        for r in plan.routes
        for p in r.stops
        if isinstance(p, PickupStop)
        for b in p.bags
        if any(isinstance(s, VisitStop) and s.visit == b and s.start > p.depart + 1 for s in r.stops)
    )
    route, pickup, bag = case
    now = pickup.depart + 0.5  # she has the bag with her, and falls sick before giving it
    result = replan(parse_instance(raw), plan, ReplanRequest(now=now, sick=frozenset({route.nurse})))
    assert check_plan(raw, plan_to_json(result.plan)).ok, check_plan(
        raw, plan_to_json(result.plan)
    ).violations
    giver = nurse_of(result.plan).get(bag)
    assert giver != route.nurse
    if giver is not None:  # a colleague collects a new bag, after the sick nurse's collection
        collections = [
            s
            for r in result.plan.routes
            if r.nurse == giver
            for s in r.stops
            if isinstance(s, PickupStop) and bag in s.bags
        ]
        assert collections and collections[0].arrive >= pickup.arrive
