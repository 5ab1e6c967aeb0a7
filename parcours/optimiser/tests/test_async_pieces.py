"""Large days: the first cut by geography, the asynchronous piece search, bag insertion without repeats."""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from parcours.optimiser.construct import greedy_rounds
from parcours.optimiser.insertion import candidate_insertions
from parcours.optimiser.parse import parse_instance
from parcours.optimiser.precheck import precheck
from parcours.optimiser.schedule import Context, PickupAction, VisitAction, time_route
from parcours.optimiser.synthetic import generate_day
from parcours.optimiser.tests.test_solver import instance, nurse, visit


def _day(n_visits: int = 400, n_nurses: int = 70) -> tuple[dict[str, Any], Context]:
    raw = generate_day(seed=3, n_visits=n_visits, n_nurses=n_nurses)
    return raw, Context(parse_instance(raw))


def _counts(rounds: dict[str, list[Any]]) -> tuple[Counter[str], Counter[str]]:
    visits = Counter(a.visit for acts in rounds.values() for a in acts if isinstance(a, VisitAction))
    bags = Counter(b for acts in rounds.values() for a in acts if isinstance(a, PickupAction) for b in a.bags)
    return visits, bags


def test_a_bag_added_to_an_earlier_pickup_is_collected_once() -> None:
    bag = {"depot": "PH", "ready": "08:00", "stability_min": 600}
    raw = instance(
        [nurse("N1")],
        [visit("a", 20, bag=bag), visit("b", 30, bag=bag)],
        depots=[{"id": "PH", "x": 10, "y": 0, "pickup_min": 5}],
    )
    ctx = Context(parse_instance(raw))
    actions = [PickupAction("PH", ("a",)), VisitAction("a")]
    for cand in candidate_insertions(ctx.visits["b"], list(actions)):
        _, bags = _counts({"N1": cand})
        assert bags == Counter({"a": 1, "b": 1}), cand
        assert sum(isinstance(x, PickupAction) and "a" in x.bags for x in cand) == 1


def test_the_geographic_first_cut_holds_everyone_once_with_qualified_nurses() -> None:
    from parcours.optimiser.solver_pyvrp import _geo_start

    _, ctx = _day()
    feas = precheck(ctx)
    visits = [v for v in ctx.instance.visits if v.id not in feas.reasons]
    pieces, rounds = _geo_start(ctx, feas, visits, 4, random.Random(0))
    assert len(pieces) == 4
    assert sorted(n.id for ns, _ in pieces for n in ns) == sorted(n.id for n in ctx.instance.nurses)
    assert sorted(v.id for _, vs in pieces for v in vs) == sorted(v.id for v in visits)
    sizes = [len(vs) for _, vs in pieces]
    assert max(sizes) <= 2 * min(sizes)
    for ns, vs in pieces:
        ids = {n.id for n in ns}
        assert all(ids & set(feas.candidates[v.id]) for v in vs)  # someone in the piece may do it
        mine = {a.visit for n in ns for a in rounds[n.id] if isinstance(a, VisitAction)}
        assert mine <= {v.id for v in vs}  # rounds stay inside their piece
    for n in ctx.instance.nurses:
        assert time_route(ctx, n, rounds[n.id]).ok
    placed, _ = _counts(rounds)
    assert len(placed) > 0.85 * len(visits)  # the rest: placed by the search or inserted


def test_the_asynchronous_piece_search_keeps_every_visit_once_and_improves() -> None:
    from parcours.optimiser.solver_pyvrp import DecomposeConfig, _decomposed

    _, ctx = _day()
    feas = precheck(ctx)
    visits = [v for v in ctx.instance.visits if v.id not in feas.reasons]
    start = greedy_rounds(ctx, feas, visits)
    config = DecomposeConfig(piece_iterations=200, piece_patience=100)
    rounds = _decomposed(
        ctx,
        feas,
        visits,
        start,
        deadline=time.monotonic() + 6,
        seed=2,
        workers=2,
        should_stop=None,
        config=config,
    )
    placed, bags = _counts(rounds)
    assert max(placed.values()) == 1 and max(bags.values()) == 1
    assert set(bags) <= set(placed)
    assert len(placed) >= len(_counts(start)[0])
    travel = {}
    for label, rr in (("start", start), ("after", rounds)):
        total = 0.0
        for n in ctx.instance.nurses:
            timed = time_route(ctx, n, rr.get(n.id, []))
            assert timed.ok, (n.id, timed.error)
            total += timed.travel
        travel[label] = total
    assert travel["after"] < travel["start"]


def test_the_asynchronous_piece_search_stops_when_asked() -> None:
    from parcours.optimiser.solver_pyvrp import DecomposeConfig, _decomposed

    _, ctx = _day()
    feas = precheck(ctx)
    visits = [v for v in ctx.instance.visits if v.id not in feas.reasons]
    start = greedy_rounds(ctx, feas, visits)
    t0 = time.monotonic()
    rounds = _decomposed(
        ctx,
        feas,
        visits,
        start,
        deadline=t0 + 60,
        seed=2,
        workers=2,
        should_stop=lambda: time.monotonic() > t0 + 1.5,
        config=DecomposeConfig(piece_iterations=4000, piece_patience=0),
    )
    assert time.monotonic() - t0 < 10
    placed, bags = _counts(rounds)
    assert max(placed.values()) == 1 and max(bags.values()) == 1
    for n in ctx.instance.nurses:
        assert time_route(ctx, n, rounds.get(n.id, [])).ok
