"""Pre-checks: visits that no plan can place, each with a reason a planner understands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parcours.optimiser.model import Nurse, Visit
from parcours.optimiser.schedule import EPS, Context


def _hhmm(minutes: float) -> str:
    total = round(minutes * 60)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Which nurses could serve each visit on its own (ignoring the other visits)."""

    reasons: dict[str, str]  # visit id → why it can never be placed
    candidates: dict[str, tuple[str, ...]]  # visit id → nurses able to do it alone


def precheck(ctx: Context) -> Feasibility:
    inst = ctx.instance
    table = ctx.table
    m = table.minutes
    nurses = list(inst.nurses)
    starts = np.array([table.start_index[n.id] for n in nurses], dtype=np.int64)
    ends = np.array([table.end_index[n.id] for n in nurses], dtype=np.int64)
    shift0 = np.array([n.shift_start for n in nurses], dtype=np.float64)
    shift1 = np.array([n.shift_end for n in nurses], dtype=np.float64)
    reasons: dict[str, str] = {}
    candidates: dict[str, tuple[str, ...]] = {}
    for v in inst.visits:
        reason, ok = _check_visit(ctx, v, nurses, starts, ends, shift0, shift1, m)
        if reason is not None:
            reasons[v.id] = reason
        candidates[v.id] = tuple(n.id for n, good in zip(nurses, ok, strict=True) if good)
    return Feasibility(reasons=reasons, candidates=candidates)


def _check_visit(
    ctx: Context,
    v: Visit,
    nurses: list[Nurse],
    starts: np.ndarray,
    ends: np.ndarray,
    shift0: np.ndarray,
    shift1: np.ndarray,
    m: np.ndarray,
) -> tuple[str | None, list[bool]]:
    skilled = [v.skills <= n.skills for n in nurses]
    if not any(skilled):
        return f"no nurse has skills [{', '.join(sorted(v.skills))}]", skilled
    latest = v.window_end
    vi = ctx.table.visit_index[v.id]
    if v.bag is not None:
        depot = ctx.depots[v.bag.depot]
        di = ctx.table.depot_index[depot.id]
        if v.bag.expiry < v.window_start - EPS:
            return (
                f"bag expires at {_hhmm(v.bag.expiry)} (ready {_hhmm(v.bag.ready)} + "
                f"{v.bag.stability_min:g} min stability), before the window opens at "
                f"{_hhmm(v.window_start)}"
            ), [False] * len(nurses)
        earliest_bag = v.bag.ready + depot.pickup_min + float(m[di, vi])
        latest = min(v.window_end, v.bag.expiry)
        if earliest_bag > latest + EPS:
            return (
                f"bag ready at {_hhmm(v.bag.ready)} at {depot.id} cannot reach the patient before "
                f"{_hhmm(latest)} (window end / bag stability limit)"
            ), [False] * len(nurses)
        # leave home, pick up the bag, then go to the patient
        at_depot = np.maximum(shift0 + m[starts, di], v.bag.ready) + depot.pickup_min
        arrive = at_depot + m[di, vi]
    else:
        arrive = shift0 + m[starts, vi]
    start = np.maximum(arrive, v.window_start)
    back = start + v.duration_min + m[vi, ends]
    timely = (start <= latest + EPS) & (back <= shift1 + EPS)
    ok = [bool(s and t) for s, t in zip(skilled, timely, strict=True)]
    if not any(ok):
        return (
            f"time window {_hhmm(v.window_start)}–{_hhmm(v.window_end)} cannot be reached from any "
            f"qualified nurse's shift"
        ), ok
    ok2 = [
        o
        and (n.max_visits is None or n.max_visits >= 1)
        and (n.capacity is None or n.capacity + EPS >= v.demand)
        for o, n in zip(ok, nurses, strict=True)
    ]
    if not any(ok2):
        return f"no capacity left: demand {v.demand:g} exceeds every qualified nurse's capacity", ok2
    return None, ok2
