"""Plan a day: pre-check, solve with an engine, time every round exactly, repair, re-insert, explain.

The returned plan always satisfies every hard constraint: the engine's rounds are re-timed with the exact
travel model (:mod:`parcours.optimiser.schedule`); a round that breaks a rule loses the offending visits,
which are then re-inserted wherever they fit or reported as unassigned with a reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from parcours.optimiser.insertion import Round, insert_all, repair
from parcours.optimiser.model import Instance, Plan, Route, Unassigned, Visit, VisitStop
from parcours.optimiser.precheck import Feasibility, precheck
from parcours.optimiser.schedule import Action, Context, VisitAction

Engine = Literal["pyvrp", "ortools"]
BALANCE_DEFAULT = 0.05  # minutes of travel per minute of work above the fair share (see workload.py)


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit: float = 10.0
    seed: int = 0
    engine: Engine = "pyvrp"
    max_iterations: int | None = None  # stop earlier, deterministically (tests)
    workers: int = 1  # parallel searches (processes); the best plan wins
    warm_start: Literal["auto", "greedy", "none"] = "auto"
    # Asked now and then during the search; True ends it early with the best plan found so far (the
    # planner's "stop" button). The main search asks; parallel workers are then stopped too.
    should_stop: Callable[[], bool] | None = None
    # Workload balance (secondary objective; PyVRP engine, with its tuned search): each
    # minute a round lasts beyond the day's fair share of the nurse's shift costs this many minutes of
    # travel. 0 = travel only (the CLI default); the planning page uses BALANCE_DEFAULT.
    balance: float = 0.0
    # Benchmarks on a shared machine only: on days searched piece by piece (≥ 400 visits), time_limit
    # counts each worker's CPU seconds instead of wall seconds (an idle machine, one core per worker).
    cpu_time: bool = False


def solve(
    instance: Instance, options: SolveOptions | None = None, clock: Callable[[], float] = time.perf_counter
) -> Plan:
    """Plan ``instance``. Pure: no I/O; ``clock`` only measures ``solve_seconds``."""
    opts = options if options is not None else SolveOptions()
    t0 = clock()
    ctx = Context(instance)
    feas = precheck(ctx)
    placeable = [v for v in instance.visits if v.id not in feas.reasons]
    reserve = min(1.0, 0.03 * opts.time_limit)  # for timing, repair and insertion afterwards
    budget = max(opts.time_limit - (clock() - t0) - reserve, 0.05)
    engine_routes: dict[str, list[Action]]
    if not placeable or not instance.nurses:
        engine_routes = {}
    elif opts.engine == "ortools":
        from parcours.optimiser.solver_ortools import solve_ortools

        engine_routes = solve_ortools(ctx, feas, placeable, time_limit=budget, seed=opts.seed).routes
    else:
        from parcours.optimiser.solver_pyvrp import solve_pyvrp

        engine_routes = solve_pyvrp(
            ctx,
            feas,
            placeable,
            time_limit=budget,
            seed=opts.seed,
            max_iterations=opts.max_iterations,
            workers=opts.workers,
            warm_start=opts.warm_start,
            should_stop=opts.should_stop,
            balance=opts.balance,
            cpu_time=opts.cpu_time,
        ).routes
    rounds = [
        Round(nurse=n, head=ctx.empty_head(n), actions=list(engine_routes.get(n.id, [])))
        for n in instance.nurses
    ]
    plan = finish(ctx, feas, rounds, placeable, extra_unassigned=(), seconds=clock() - t0, engine=opts.engine)
    return plan


def finish(
    ctx: Context,
    feas: Feasibility,
    rounds: list[Round],
    placeable: Sequence[Visit],
    extra_unassigned: Sequence[Unassigned],
    seconds: float,
    engine: str,
) -> Plan:
    """Repair the rounds, insert what is missing, explain what is left, build the plan."""
    for rnd in rounds:
        repair(ctx, rnd)
    placed = {a.visit for rnd in rounds for a in rnd.actions if isinstance(a, VisitAction)}
    placed |= {s.visit for rnd in rounds for s in rnd.head.stops if isinstance(s, VisitStop)}
    missing = [v for v in placeable if v.id not in placed]
    left = insert_all(ctx, rounds, missing) if missing else []
    unassigned = list(extra_unassigned)
    done = {u.visit for u in extra_unassigned} | placed | {v.id for v in left}
    unassigned += [
        Unassigned(v.id, r) for v in ctx.instance.visits if v.id not in done and (r := feas.reasons.get(v.id))
    ]
    unassigned += [Unassigned(v.id, _reason_after_solve(ctx, feas, rounds, v)) for v in left]
    routes: list[Route] = []
    for rnd in rounds:
        timed = rnd.timed if rnd.timed is not None else rnd.time(ctx)
        if timed.stops:
            routes.append(Route(nurse=rnd.nurse.id, stops=timed.stops, travel_min=timed.travel))
    order = {v.id: i for i, v in enumerate(ctx.instance.visits)}
    unassigned.sort(key=lambda u: order.get(u.visit, len(order)))
    return Plan(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        total_travel_min=sum(r.travel_min for r in routes),
        solve_seconds=seconds,
        engine=engine,
    )


def _reason_after_solve(ctx: Context, feas: Feasibility, rounds: list[Round], v: Visit) -> str:
    cands = set(feas.candidates.get(v.id, ()))
    full = 0
    for rnd in rounds:
        if rnd.nurse.id not in cands:
            continue
        stops = rnd.timed.stops if rnd.timed is not None else ()
        n_visits = sum(1 for s in stops if isinstance(s, VisitStop))
        load = sum(
            ctx.visits[s.visit].demand for s in stops if isinstance(s, VisitStop) and s.visit in ctx.visits
        )
        n = rnd.nurse
        if (n.max_visits is not None and n_visits >= n.max_visits) or (
            n.capacity is not None and load + v.demand > n.capacity + 1e-9
        ):
            full += 1
    if cands and full == len(cands):
        return "no capacity left: every qualified nurse has reached max_visits or capacity"
    return (
        "no free slot: the rounds of every qualified nurse who could reach it are full around its time window"
    )
