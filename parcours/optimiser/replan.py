"""Re-planning during the day: keep what is done or under way, move as little as possible.

Given the current plan, the time ``now``, cancelled visits and nurses off sick:

1. In every round, the stops the nurse has *set off to* by ``now`` are frozen, with their times (a stop
   whose service has started is necessarily one of them). For a nurse off sick only the stops already
   started are kept, and her round ends there.
2. Cancelled visits leave their round (a cancelled visit already started stays: it happened).
3. The rest of every other round keeps its order and nurse; it is only re-timed.
4. The visits that lost their nurse (sick nurse, or a round broken by a change in the instance), the
   visits unassigned in the previous plan and visits new to the instance are inserted where they cost
   the least extra travel, after the frozen part of a round. Bags already collected by a nurse off sick
   are treated as needing a new pick-up.

No other visit changes nurse or order, so nothing already announced to a patient moves more than the
re-timing forces (and re-timing can only bring visits earlier or leave them unchanged when nothing is
added to a round).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from parcours.optimiser.insertion import Round, remove_visit
from parcours.optimiser.model import Instance, PickupStop, Plan, Stop, Unassigned, VisitStop
from parcours.optimiser.precheck import precheck
from parcours.optimiser.schedule import EPS, Context, actions_of
from parcours.optimiser.solver import finish


@dataclass(frozen=True, slots=True)
class ReplanRequest:
    now: float
    cancel: frozenset[str] = frozenset()
    sick: frozenset[str] = frozenset()


class ReplanError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ReplanResult:
    plan: Plan
    warnings: tuple[str, ...]
    moved: tuple[str, ...]  # visits planned before whose nurse changed


def _frozen_count(ctx: Context, nurse_id: str, stops: tuple[Stop, ...], now: float, sick: bool) -> int:
    rows = ctx.table.rows
    frozen = 0
    for i, s in enumerate(stops):
        if sick:
            begun = (s.start if isinstance(s, VisitStop) else s.arrive) <= now + EPS
        elif i == 0:
            leave = s.arrive - rows[ctx.table.start_index[nurse_id]][ctx.stop_point(s)]
            begun = leave <= now + EPS
        else:
            prev = stops[i - 1]
            begun = (prev.depart if isinstance(prev, PickupStop) else prev.end) <= now + EPS
        if not begun:
            break
        frozen = i + 1
    return frozen


def replan(
    instance: Instance,
    previous: Plan,
    request: ReplanRequest,
    clock: Callable[[], float] = time.perf_counter,
) -> ReplanResult:
    t0 = clock()
    ctx = Context(instance)
    warnings: list[str] = []
    for vid in sorted(request.cancel - ctx.visits.keys()):
        raise ReplanError(f"--cancel: unknown visit {vid!r}")
    for nid in sorted(request.sick - ctx.nurses.keys()):
        raise ReplanError(f"--sick: unknown nurse {nid!r}")
    previous_nurse: dict[str, str] = {}
    rounds: list[Round] = []
    frozen_visits: set[str] = set()
    seen_nurses: set[str] = set()
    for ri, route in enumerate(previous.routes):
        nurse = ctx.nurses.get(route.nurse)
        if nurse is None:
            raise ReplanError(f"previous plan routes[{ri}].nurse: unknown nurse {route.nurse!r}")
        seen_nurses.add(nurse.id)
        for s in route.stops:
            if isinstance(s, VisitStop):
                if s.visit not in ctx.visits:
                    raise ReplanError(f"previous plan routes[{ri}]: unknown visit {s.visit!r}")
                previous_nurse[s.visit] = nurse.id
        sick = nurse.id in request.sick
        k = _frozen_count(ctx, nurse.id, route.stops, request.now, sick)
        head_stops = route.stops[:k]
        for s in head_stops:
            if isinstance(s, VisitStop):
                frozen_visits.add(s.visit)
                if s.visit in request.cancel:
                    warnings.append(f"visit {s.visit} is already under way at {nurse.id}: not cancelled")
        head = ctx.head_from_stops(nurse, head_stops, request.now)
        actions = actions_of(route.stops[k:])
        for s in route.stops[k:]:
            if isinstance(s, VisitStop) and (s.visit in request.cancel or sick):
                actions = remove_visit(actions, s.visit)
        if sick:
            # bags she collected but will not give need a new pick-up by someone else
            head = replace(head, carried=frozenset())
        rounds.append(Round(nurse=nurse, head=head, actions=actions, closed=sick))
    for nurse in instance.nurses:
        if nurse.id not in seen_nurses:
            rounds.append(
                Round(nurse=nurse, head=ctx.empty_head(nurse, request.now), closed=nurse.id in request.sick)
            )

    feas = precheck(ctx)
    cancelled = request.cancel - frozen_visits
    placeable = [v for v in instance.visits if v.id not in cancelled and v.id not in feas.reasons]
    extra = [Unassigned(v, "cancelled") for v in sorted(cancelled)]
    plan = finish(ctx, feas, rounds, placeable, extra, seconds=0.0, engine="replan")
    now_nurse = {s.visit: r.nurse for r in plan.routes for s in r.stops if isinstance(s, VisitStop)}
    moved = tuple(sorted(v for v, n in previous_nurse.items() if v in now_nurse and now_nurse[v] != n))
    plan = Plan(plan.routes, plan.unassigned, plan.total_travel_min, clock() - t0, engine="replan")
    return ReplanResult(plan=plan, warnings=tuple(warnings), moved=moved)
