"""A fast greedy first plan (dispatching rule) used to warm-start the search engines.

Visits are taken by increasing window start and appended to the end of the round of the nurse for whom
it costs the least (extra travel plus a fraction of the waiting time), going through the pharmacy first
for a bag. Appending only keeps each check O(1), so a 850-visit day is built in well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parcours.optimiser.model import Visit
from parcours.optimiser.precheck import Feasibility
from parcours.optimiser.schedule import EPS, Action, Context, PickupAction, VisitAction

WAIT_WEIGHT = 0.3


@dataclass(slots=True)
class _State:
    point: int
    time: float
    count: int
    load: float


def greedy_rounds(ctx: Context, feas: Feasibility, visits: Sequence[Visit]) -> dict[str, list[Action]]:
    table = ctx.table
    rows = table.rows
    states = {n.id: _State(table.start_index[n.id], n.shift_start, 0, 0.0) for n in ctx.instance.nurses}
    rounds: dict[str, list[Action]] = {n.id: [] for n in ctx.instance.nurses}
    order = sorted(visits, key=lambda v: (v.window_start, v.window_end, v.id))
    for v in order:
        vi = table.visit_index[v.id]
        best: tuple[float, str, float, int] | None = None
        latest = v.window_end if v.bag is None else min(v.window_end, v.bag.expiry)
        di = table.depot_index[v.bag.depot] if v.bag is not None else -1
        pickup = ctx.depots[v.bag.depot].pickup_min if v.bag is not None else 0.0
        for nid in feas.candidates.get(v.id, ()):
            nurse = ctx.nurses[nid]
            st = states[nid]
            if nurse.max_visits is not None and st.count + 1 > nurse.max_visits:
                continue
            if nurse.capacity is not None and st.load + v.demand > nurse.capacity + EPS:
                continue
            home = table.end_index[nid]
            if v.bag is None:
                leg = rows[st.point][vi]
                arrive = st.time + leg
            else:
                leg = rows[st.point][di] + rows[di][vi]
                arrive = max(st.time + rows[st.point][di], v.bag.ready) + pickup + rows[di][vi]
            start = max(arrive, v.window_start)
            if start > latest + EPS:
                continue
            end = start + v.duration_min
            if end + rows[vi][home] > nurse.shift_end + EPS:
                continue
            if st.count == 0:
                arrive = start  # she leaves home just in time
            cost = leg + rows[vi][home] - rows[st.point][home] + WAIT_WEIGHT * (start - arrive)
            if best is None or cost < best[0]:
                best = (cost, nid, end, vi)
        if best is None:
            continue
        _, nid, end, vi = best
        st = states[nid]
        if v.bag is not None:
            rounds[nid].append(PickupAction(v.bag.depot, (v.id,)))
        rounds[nid].append(VisitAction(v.id))
        st.point, st.time, st.count, st.load = vi, end, st.count + 1, st.load + v.demand
    return rounds
