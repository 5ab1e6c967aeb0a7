"""Give whole rounds to other nurses when that shortens the day: an exact assignment of rounds to nurses.

The local search moves visits between the rounds of nurses who live near each other (the same piece of
the day); it never hands a whole round to a nurse who lives across town, nor swaps the rounds of two
nurses whose shifts differ. Yet the cost of a round for a nurse is only its first and last legs (from
and to her home) plus whether its times fit her shift. So, with the rounds fixed, choosing who does which
round is a linear assignment problem, solved exactly (OR-Tools' ``SimpleLinearSumAssignment``):

* cost of round *r* for nurse *n* = the travel of *r* timed exactly for *n* (:func:`time_route`), plus
  the workload-balance term if there is one; impossible when *n* lacks a skill, or *r* would break her
  shift, a window, a bag's stability limit or ``max_visits``;
* only the ``candidates`` nurses whose home is closest to the round's ends are timed (plus its nurse);
* empty rounds cost nothing, so a nurse may give her round away and stay free;
* the current nurse wins ties, so nothing moves for nothing.

The current assignment is feasible and part of the problem, so the result is never longer. Pure.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from ortools.graph.python import linear_sum_assignment

from parcours.optimiser.schedule import Action, Context, VisitAction, time_route
from parcours.optimiser.workload import Balance, working_minutes

_SCALE = 1000  # integer costs: thousandths of a minute
_CACHE_MAX = 200_000  # (nurse, round) timings kept between calls

# (nurse id, round) → (travel, working minutes), or None when the round breaks a rule for her
Timings = dict[tuple[str, tuple[Action, ...]], tuple[float, float] | None]


def reassign_rounds(
    ctx: Context,
    rounds: dict[str, list[Action]],
    frozen: Collection[str] = (),
    candidates: int = 25,
    balance: Balance | None = None,
    cache: Timings | None = None,
) -> tuple[dict[str, list[Action]], float]:
    """``rounds`` with whole rounds given to other nurses where that saves travel; and the cost saved.

    The rounds of ``frozen`` nurses (being searched elsewhere) and those nurses themselves are left out.
    ``balance``: the search's workload-balance term, part of the cost. ``cache`` keeps the timings of
    (nurse, round) pairs from one call to the next: between two cuts of the day most rounds do not change.
    """
    timings = cache if cache is not None else {}
    if len(timings) > _CACHE_MAX:
        timings.clear()
    table = ctx.table
    nurses = [n for n in ctx.instance.nurses if n.id not in frozen]
    busy = [(n.id, acts) for n in nurses if (acts := rounds.get(n.id))]
    if len(busy) == 0 or len(nurses) < 2:
        return rounds, 0.0
    starts = np.array([table.start_index[n.id] for n in nurses], dtype=np.int64)
    ends = np.array([table.end_index[n.id] for n in nurses], dtype=np.int64)
    col_of = {n.id: j for j, n in enumerate(nurses)}
    k = min(candidates, len(nurses))
    assignment = linear_sum_assignment.SimpleLinearSumAssignment()
    current = feasible_now = 0
    for i, (nid, acts) in enumerate(busy):
        first, last = ctx.stop_point(acts[0]), ctx.stop_point(acts[-1])
        ends_cost = table.minutes[starts, first] + table.minutes[last, ends]
        near = set(np.argpartition(ends_cost, k - 1)[:k].tolist()) if k < len(nurses) else set(range(k))
        near.add(col_of[nid])
        skills = frozenset().union(*(ctx.visits[a.visit].skills for a in acts if isinstance(a, VisitAction)))
        key_acts = tuple(acts)
        for j in sorted(near):
            n = nurses[j]
            if not skills <= n.skills:
                continue
            key = (n.id, key_acts)
            if key in timings:
                timing = timings[key]
            else:
                timed = time_route(ctx, n, acts)
                timing = (timed.travel, working_minutes(timed.stops, timed.travel)) if timed.ok else None
                timings[key] = timing
            if timing is None:
                continue
            value = timing[0] + (balance.cost(n, timing[1]) if balance is not None else 0.0)
            cost = 2 * round(value * _SCALE) + (0 if n.id == nid else 1)
            if n.id == nid:
                current += cost
                feasible_now += 1
            assignment.add_arc_with_cost(i, j, cost)
    if feasible_now < len(busy):  # a round that breaks a rule already: not ours to judge here
        return rounds, 0.0
    for i in range(len(busy), len(nurses)):  # empty rounds: any nurse, free of charge
        for j in range(len(nurses)):
            assignment.add_arc_with_cost(i, j, 0)
    if assignment.solve() != assignment.OPTIMAL or assignment.optimal_cost() >= current:
        return rounds, 0.0
    out = dict(rounds)
    for nid, _ in busy:
        out[nid] = []
    for i, (_, acts) in enumerate(busy):
        out[nurses[assignment.right_mate(i)].id] = list(acts)
    saved = (current - assignment.optimal_cost()) / 2 / _SCALE
    return out, saved
