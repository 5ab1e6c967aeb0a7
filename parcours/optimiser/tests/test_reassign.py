"""Whole rounds handed to the nurses they suit best (exact assignment), never breaking a rule."""

from __future__ import annotations

from typing import Any

from parcours.optimiser.parse import parse_instance
from parcours.optimiser.reassign import reassign_rounds
from parcours.optimiser.schedule import Action, Context, VisitAction, time_route
from parcours.optimiser.workload import Balance


def _nurse(
    nid: str, x: float, skills: list[str], shift: tuple[str, str] = ("08:00", "16:00")
) -> dict[str, Any]:
    return {
        "id": nid,
        "start": {"x": x, "y": 0},
        "end": {"x": x, "y": 0},
        "shift": list(shift),
        "skills": skills,
        "max_visits": 4,
    }


def _visit(vid: str, x: float, skills: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": vid,
        "x": x,
        "y": 5,
        "window": ["09:00", "12:00"],
        "duration_min": 20,
        "skills": list(skills),
    }


def _day(nurses: list[dict[str, Any]], visits: list[dict[str, Any]]) -> Context:
    raw = {
        "date": "2025-03-10",
        "travel": {"kind": "euclidean"},
        "depots": [],
        "nurses": nurses,
        "visits": visits,
    }
    return Context(parse_instance(raw))


def _travel(ctx: Context, rounds: dict[str, list[Action]]) -> float:
    return sum(time_route(ctx, ctx.nurses[n], acts).travel for n, acts in rounds.items() if acts)


def test_crossed_rounds_are_swapped_between_the_nurses_and_travel_drops() -> None:
    ctx = _day([_nurse("WEST", 0, []), _nurse("EAST", 100, [])], [_visit("W1", 2), _visit("E1", 98)])
    crossed: dict[str, list[Action]] = {"WEST": [VisitAction("E1")], "EAST": [VisitAction("W1")]}
    out, saved = reassign_rounds(ctx, crossed)
    assert out == {"WEST": [VisitAction("W1")], "EAST": [VisitAction("E1")]}
    assert saved > 0
    assert abs(_travel(ctx, crossed) - _travel(ctx, out) - saved) < 1e-2  # costs in 1/1000 min


def test_a_round_never_goes_to_a_nurse_lacking_its_skill() -> None:
    ctx = _day(
        [_nurse("WEST", 0, []), _nurse("EAST", 100, ["chimio"])],
        [_visit("W1", 2, ("chimio",)), _visit("E1", 98)],
    )
    rounds: dict[str, list[Action]] = {"WEST": [VisitAction("E1")], "EAST": [VisitAction("W1")]}
    out, saved = reassign_rounds(ctx, rounds)
    assert out == rounds and saved == 0


def test_a_round_never_goes_to_a_nurse_whose_shift_it_does_not_fit() -> None:
    ctx = _day(
        [_nurse("WEST", 0, [], shift=("12:30", "18:00")), _nurse("EAST", 100, [])],
        [_visit("W1", 2), _visit("E1", 98)],
    )
    rounds: dict[str, list[Action]] = {"WEST": [], "EAST": [VisitAction("W1")]}
    out, _ = reassign_rounds(ctx, rounds)
    assert out["EAST"] == [VisitAction("W1")]  # WEST starts after the visit's window


def test_a_nurse_with_no_round_may_take_one_and_frozen_nurses_are_left_alone() -> None:
    ctx = _day([_nurse("WEST", 0, []), _nurse("EAST", 100, []), _nurse("FAR", 150, [])], [_visit("W1", 2)])
    rounds: dict[str, list[Action]] = {"FAR": [VisitAction("W1")]}
    out, _ = reassign_rounds(ctx, rounds)
    assert out.get("WEST") == [VisitAction("W1")] and not out.get("FAR")
    kept, saved = reassign_rounds(ctx, rounds, frozen={"FAR"})
    assert kept == rounds and saved == 0


def test_nothing_moves_when_every_round_already_has_its_best_nurse() -> None:
    ctx = _day([_nurse("A", 0, []), _nurse("B", 0, [])], [_visit("V1", 10), _visit("V2", 20)])
    rounds: dict[str, list[Action]] = {"A": [VisitAction("V1")], "B": [VisitAction("V2")]}
    assert reassign_rounds(ctx, rounds) == (rounds, 0.0)  # A and B are interchangeable: ties stay


def test_with_the_balance_term_a_long_round_goes_to_the_nurse_with_the_longer_shift() -> None:
    ctx = _day(
        [_nurse("LONG", 0, [], shift=("08:00", "20:00")), _nurse("SHORT", 0, [], shift=("08:00", "14:00"))],
        [{**_visit("V1", 10), "duration_min": 200}],
    )
    rounds: dict[str, list[Action]] = {"SHORT": [VisitAction("V1")]}
    assert reassign_rounds(ctx, rounds) == (rounds, 0.0)  # same travel for both: it stays
    out, saved = reassign_rounds(ctx, rounds, balance=Balance(weight=1.0, fair_share=0.3))
    assert out.get("LONG") == [VisitAction("V1")] and not out.get("SHORT")
    assert abs(saved - 108) < 1e-2  # 112 min beyond SHORT's fair share, 4 beyond LONG's
