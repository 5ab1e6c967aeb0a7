"""The independent checker, on hand-made plans: one test per rule."""

from __future__ import annotations

from typing import Any

from parcours.optimiser.check import check_plan


def violations(instance: dict[str, Any], plan: dict[str, Any]) -> tuple[str, ...]:
    return check_plan(instance, plan).violations


def only(instance: dict[str, Any], plan: dict[str, Any], fragment: str) -> None:
    found = violations(instance, plan)
    assert found, "expected a violation"
    assert any(fragment in v for v in found), found


def test_hand_made_feasible_plan_passes(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    result = check_plan(instance, plan)
    assert result.ok, result.violations
    assert result.visits_placed == 2
    assert abs(result.total_travel_min - 40) < 1e-9


def test_times_may_be_hh_mm_ss_strings(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["stops"][1].update(arrive="08:55:00", start="09:00", end="09:30")
    assert check_plan(instance, plan).ok


def test_nurse_without_the_visit_skill_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["nurses"][0]["skills"] = []
    only(instance, plan, "lacks skills ['chimio']")


def test_visit_starting_after_its_window_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["visits"][0]["window"] = ["08:10", "09:30"]  # A starts 09:40
    only(instance, plan, "outside its window")


def test_visit_starting_before_its_window_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["visits"][0]["window"] = ["09:45", "10:00"]
    only(instance, plan, "outside its window")


def test_leaving_before_shift_start_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["nurses"][0]["shift"] = ["08:45", "12:00"]  # cannot reach PH by 08:40
    only(instance, plan, "cannot be there before")


def test_coming_back_after_shift_end_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["nurses"][0]["shift"] = ["08:00", "10:15"]  # back at 10:20
    only(instance, plan, "after her shift ends")


def test_bag_visit_without_pickup_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["stops"][0]["bags"] = []
    only(instance, plan, "not collected earlier in this route")


def test_bag_collected_twice_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    import copy

    stops = plan["routes"][0]["stops"]
    assert stops[0]["type"] == "pickup" and stops[0]["bags"]
    stops.insert(
        1, copy.deepcopy(stops[0])
    )  # the same pick-up again, same times: only the duplicate is wrong
    only(instance, plan, "collected twice")


def _second_nurse_at_the_pharmacy(instance: dict[str, Any], plan: dict[str, Any], pickup_at: float) -> None:
    """N2 lives at the pharmacy, collects B's bag at ``pickup_at`` and goes home without giving it."""
    instance["nurses"].append(
        {**instance["nurses"][0], "id": "N2", "start": {"x": 0, "y": 10}, "end": {"x": 0, "y": 10}}
    )
    stop = {"type": "pickup", "depot": "PH", "bags": ["B"], "arrive": pickup_at, "depart": pickup_at + 5}
    plan["routes"].append({"nurse": "N2", "stops": [stop], "travel_min": 0})


def test_bag_left_with_a_nurse_who_did_not_give_it_may_be_collected_again(
    instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    # re-planning after N2 fell sick with B's bag: N1 collects a new one later and gives it
    _second_nurse_at_the_pharmacy(instance, plan, pickup_at=520)
    n1 = plan["routes"][0]["stops"]
    n1[0].update(arrive=530, depart=535)
    n1[1].update(arrive=545, start=545, end=575)
    n1[2].update(arrive=585, start=585, end=615)
    assert check_plan(instance, plan).ok, violations(instance, plan)


def test_bag_collected_again_after_the_round_that_gives_it_is_flagged(
    instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    _second_nurse_at_the_pharmacy(instance, plan, pickup_at=530)  # N1 collected it at 08:40 and gives it
    only(instance, plan, "collected twice")


def test_bag_collected_before_ready_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["visits"][1]["bag"]["ready"] = "08:45"  # collection runs 08:40–08:45
    only(instance, plan, "before it is ready")


def test_bag_collected_at_the_wrong_pharmacy_is_flagged(
    instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    instance["depots"].append({"id": "PH2", "x": 0, "y": 10, "pickup_min": 5})
    instance["visits"][1]["bag"]["depot"] = "PH2"
    only(instance, plan, "prepared at PH2")


def test_administration_after_bag_stability_is_flagged(
    instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    instance["visits"][1]["bag"]["stability_min"] = 15  # limit 08:55, starts 09:00
    only(instance, plan, "stability limit")


def test_pickup_shorter_than_pickup_min_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["depots"][0]["pickup_min"] = 8
    only(instance, plan, "less than pickup_min")


def test_overlapping_stops_are_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["stops"][2].update(arrive=572, start=572, end=602)  # B ends 09:30, 10 min away
    only(instance, plan, "overlap or travel too short")


def test_visit_shorter_than_its_duration_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["stops"][2]["end"] = 600
    only(instance, plan, "less than its 30 min duration")


def test_start_before_arrival_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["stops"][1]["start"] = 530
    only(instance, plan, "before the nurse arrives")


def test_max_visits_exceeded_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["nurses"][0]["max_visits"] = 1
    only(instance, plan, "more than max_visits 1")


def test_capacity_exceeded_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    instance["nurses"][0]["capacity"] = 1
    only(instance, plan, "more than capacity 1")


def test_visit_planned_twice_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["unassigned"].append({"visit": "A", "reason": "x"})
    only(instance, plan, "unassigned but planned")


def test_visit_neither_planned_nor_unassigned_is_flagged(
    instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    plan["routes"][0]["stops"].pop()
    plan["routes"][0]["travel_min"] = 40
    only(instance, plan, "visit A is neither planned nor unassigned")


def test_unassigned_visit_needs_a_reason(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["stops"].pop()
    plan["unassigned"].append({"visit": "A", "reason": ""})
    only(instance, plan, "has no reason")


def test_unknown_nurse_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["nurse"] = "N9"
    only(instance, plan, "unknown nurse 'N9'")


def test_two_routes_for_one_nurse_are_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"].append({"nurse": "N1", "stops": [], "travel_min": 0})
    only(instance, plan, "more than one route")


def test_wrong_reported_travel_is_flagged(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["routes"][0]["travel_min"] = 30
    only(instance, plan, "differs from the recomputed")


def test_matrix_travel_is_read_from_the_matrix(instance: dict[str, Any], plan: dict[str, Any]) -> None:
    ids = ["home", "PH", "A", "B"]
    m = [[0, 10, 10, 20], [10, 0, 20, 10], [10, 20, 0, 10], [20, 10, 10, 0]]
    instance["travel"] = {"kind": "matrix", "ids": ids, "minutes": m}
    instance["nurses"][0]["start"] = {"id": "home"}
    instance["nurses"][0]["end"] = {"id": "home"}
    assert check_plan(instance, plan).ok
    m[1][3] = m[3][1] = 16  # PH → B now 16 min: arrival 08:55 impossible
    only(instance, plan, "cannot be there before")
