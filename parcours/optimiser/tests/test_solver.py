"""The solver on small instances with known optima; every plan also goes through the checker."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from parcours.optimiser.check import check_plan
from parcours.optimiser.model import Plan, VisitStop
from parcours.optimiser.parse import parse_instance, plan_to_json
from parcours.optimiser.solver import SolveOptions, solve
from parcours.optimiser.travel import TravelTable

FAST = SolveOptions(time_limit=0.5, max_iterations=300)


def nurse(
    nid: str, skills: list[str] | None = None, x: float = 0, y: float = 0, **extra: Any
) -> dict[str, Any]:
    return {
        "id": nid,
        "start": {"x": x, "y": y},
        "end": {"x": x, "y": y},
        "shift": ["08:00", "18:00"],
        "skills": skills or [],
        **extra,
    }


def visit(
    vid: str,
    x: float,
    y: float = 0,
    window: tuple[str, str] = ("08:00", "17:00"),
    duration: float = 10,
    skills: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": vid,
        "x": x,
        "y": y,
        "window": list(window),
        "duration_min": duration,
        "skills": skills or [],
        **extra,
    }


def instance(
    nurses: list[dict[str, Any]], visits: list[dict[str, Any]], depots: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "date": "2025-03-10",
        "travel": {"kind": "euclidean"},
        "depots": depots or [],
        "nurses": nurses,
        "visits": visits,
    }


def plan_for(raw: dict[str, Any], options: SolveOptions = FAST) -> Plan:
    plan = solve(parse_instance(copy.deepcopy(raw)), options)
    result = check_plan(raw, plan_to_json(plan))
    assert result.ok, result.violations
    return plan


def visit_order(plan: Plan, nurse_id: str) -> list[str]:
    route = next(r for r in plan.routes if r.nurse == nurse_id)
    return [s.visit for s in route.stops if isinstance(s, VisitStop)]


def test_visits_on_a_line_cost_one_trip_out_and_back() -> None:
    raw = instance([nurse("N1")], [visit(f"V{i}", 10 * i) for i in (3, 1, 5, 2, 4)])
    plan = plan_for(raw)
    assert plan.unassigned == ()
    assert plan.total_travel_min == pytest.approx(100)  # the optimum: out to 50 and back
    assert visit_order(plan, "N1")[2:3] == ["V5"] or "V5" in visit_order(plan, "N1")


def test_time_windows_force_the_order_on_a_line() -> None:
    # far first (window closes early), then the near one: 0 → 40 → 10 → 0 = 80 minutes
    raw = instance(
        [nurse("N1")],
        [visit("near", 10, window=("09:00", "12:00")), visit("far", 40, window=("08:00", "08:50"))],
    )
    plan = plan_for(raw)
    assert visit_order(plan, "N1") == ["far", "near"]
    assert plan.total_travel_min == pytest.approx(80)


def test_visit_needing_a_rare_skill_goes_to_the_only_qualified_nurse() -> None:
    raw = instance(
        [nurse("generalist", x=10), nurse("picc-nurse", ["picc"], x=-50)],
        [visit("dressing", 12, skills=["picc"]), visit("blood", 11)],
    )
    plan = plan_for(raw)
    assert "dressing" in visit_order(plan, "picc-nurse")
    # she must go anyway; doing the blood test on her way (11 is next to 12) is the optimum
    assert plan.total_travel_min == pytest.approx(61 + 1 + 62)


def test_bag_visit_is_preceded_by_a_pickup_after_the_bag_is_ready() -> None:
    raw = instance(
        [nurse("N1")],
        [
            visit(
                "chemo",
                20,
                window=("09:00", "12:00"),
                duration=60,
                bag={"depot": "PH", "ready": "09:30", "stability_min": 120},
            )
        ],
        depots=[{"id": "PH", "x": 10, "y": 0, "pickup_min": 5}],
    )
    plan = plan_for(raw)
    stops = plan.routes[0].stops
    assert [s.type for s in stops] == ["pickup", "visit"]
    assert stops[0].depart == pytest.approx(9.5 * 60 + 5)
    assert plan.total_travel_min == pytest.approx(40)


def test_bags_from_one_pharmacy_are_collected_in_one_stop() -> None:
    bag = {"depot": "PH", "ready": "08:00", "stability_min": 600}
    raw = instance(
        [nurse("N1")],
        [visit("c1", 20, bag=bag), visit("c2", 21, bag=bag)],
        depots=[{"id": "PH", "x": 10, "y": 0, "pickup_min": 5}],
    )
    plan = plan_for(raw)
    pickups = [s for s in plan.routes[0].stops if s.type == "pickup"]
    assert len(pickups) == 1 and sorted(pickups[0].bags) == ["c1", "c2"]


def test_max_visits_spreads_bag_visits_over_nurses() -> None:
    bag = {"depot": "PH", "ready": "08:00", "stability_min": 600}
    raw = instance(
        [nurse("N1", max_visits=1), nurse("N2", max_visits=1)],
        [visit("c1", 20, bag=bag), visit("c2", 21, bag=bag)],
        depots=[{"id": "PH", "x": 10, "y": 0, "pickup_min": 5}],
    )
    plan = plan_for(raw)
    assert plan.unassigned == ()
    assert sorted(len(visit_order(plan, n)) for n in ("N1", "N2")) == [1, 1]


def test_capacity_leaves_the_excess_unassigned_with_a_reason() -> None:
    raw = instance(
        [nurse("N1", capacity=2)],
        [visit("a", 10, demand=1), visit("b", 20, demand=1), visit("c", 30, demand=1)],
    )
    plan = plan_for(raw)
    assert len(plan.unassigned) == 1
    assert "no capacity left" in plan.unassigned[0].reason


def test_reason_for_a_skill_nobody_has() -> None:
    plan = plan_for(instance([nurse("N1")], [visit("v", 10, skills=["picc"])]))
    assert plan.unassigned[0].reason == "no nurse has skills [picc]"


def test_reason_for_a_window_outside_every_shift() -> None:
    plan = plan_for(instance([nurse("N1")], [visit("v", 10, window=("19:00", "20:00"))]))
    assert "cannot be reached from any qualified nurse's shift" in plan.unassigned[0].reason


def test_reason_for_a_bag_that_expires_before_the_window() -> None:
    raw = instance(
        [nurse("N1")],
        [
            visit(
                "v", 10, window=("14:00", "15:00"), bag={"depot": "PH", "ready": "08:00", "stability_min": 60}
            )
        ],
        depots=[{"id": "PH", "x": 0, "y": 0}],
    )
    plan = plan_for(raw)
    assert "bag expires at 09:00" in plan.unassigned[0].reason


def test_too_many_visits_for_one_nurse_leaves_some_unassigned_with_a_reason() -> None:
    visits = [visit(f"v{i}", 1 + i % 3, window=("08:00", "09:00"), duration=25) for i in range(5)]
    plan = plan_for(instance([nurse("N1")], visits))
    assert 1 <= len(plan.unassigned) <= 3
    assert all("no free slot" in u.reason for u in plan.unassigned)


def test_dimacs_rounding_truncates_euclidean_distance_to_one_decimal() -> None:
    raw = instance([nurse("N1")], [visit("v", 1, 1)])
    raw["travel"]["rounding"] = "dimacs"
    plan = plan_for(raw)
    assert plan.total_travel_min == pytest.approx(2 * 1.4)


def test_haversine_uses_earth_radius_detour_and_speed() -> None:
    raw = {
        "date": "d",
        "travel": {"kind": "haversine", "speed_kmh": 30, "detour_factor": 1.3},
        "depots": [],
        "nurses": [
            {
                "id": "n",
                "start": {"lat": 48.0, "lon": 2.0},
                "end": {"lat": 48.0, "lon": 2.0},
                "shift": ["08:00", "18:00"],
                "skills": [],
            }
        ],
        "visits": [
            {
                "id": "v",
                "lat": 49.0,
                "lon": 2.0,
                "window": ["08:00", "18:00"],
                "duration_min": 0,
                "skills": [],
            }
        ],
    }
    table = TravelTable(parse_instance(raw))
    km = 6371.0 * math.radians(1.0)
    expected = km * 1.3 / 30 * 60
    assert table(table.start_index["n"], table.visit_index["v"]) == pytest.approx(expected)


def test_ortools_engine_also_returns_a_checked_plan() -> None:
    bag = {"depot": "PH", "ready": "08:30", "stability_min": 240}
    raw = instance(
        [nurse("N1", ["chimio"]), nurse("N2", max_visits=2)],
        [visit("a", 10), visit("b", 20), visit("c", 15, 5, skills=["chimio"], bag=bag)],
        depots=[{"id": "PH", "x": 5, "y": 5, "pickup_min": 5}],
    )
    plan = plan_for(raw, SolveOptions(time_limit=0.5, engine="ortools"))
    assert plan.unassigned == ()


def test_no_nurses_means_every_visit_is_unassigned_with_a_reason() -> None:
    plan = plan_for(instance([], [visit("v", 1)]))
    assert plan.routes == () and plan.unassigned[0].reason.startswith("no nurse has skills")


def test_a_large_day_searched_piece_by_piece_in_parallel_gives_a_checked_plan() -> None:
    from parcours.optimiser.synthetic import generate_day

    raw = generate_day(seed=3, n_visits=400, n_nurses=70)
    plan = solve(parse_instance(raw), SolveOptions(time_limit=6, workers=2, seed=0))
    report = check_plan(raw, plan_to_json(plan))
    assert report.ok, report.violations
    assert report.visits_placed + len(plan.unassigned) == 400
    assert report.visits_placed >= 390


def test_the_neighbourhood_of_a_pickup_holds_pickups_of_its_pharmacy_and_visits() -> None:
    from pyvrp import ActivityType

    from parcours.optimiser.precheck import precheck
    from parcours.optimiser.schedule import Context
    from parcours.optimiser.solver_pyvrp import build_problem, neighbourhood
    from parcours.optimiser.synthetic import generate_day

    instance = parse_instance(generate_day(seed=1, n_visits=120, n_nurses=20))
    ctx = Context(instance)
    feas = precheck(ctx)
    built = build_problem(ctx, [v for v in instance.visits if v.id not in feas.reasons])
    nb = neighbourhood(built, num_neighbours=10, same_depot=5)
    pickups = [a for a in nb if a.type == ActivityType.PICKUP]
    assert pickups and len(nb) == built.data.num_clients + built.data.num_shipments
    for a in pickups:
        kinds = {b.type for b in nb[a]}
        assert ActivityType.PICKUP in kinds and kinds - {ActivityType.PICKUP}
        assert a not in nb[a]
        assert all(b != type(a)(ActivityType.DELIVERY, a.idx) for b in nb[a])
