"""The day plan as a PyVRP problem (the default engine; see docs/adr/0003-route-optimiser-solver.md).

Mapping:

* nurse → vehicle type (identical nurses share one type), start/end points → PyVRP depots, shift →
  ``tw_early``/``tw_late``;
* visit without a bag → optional client with a large prize (so every placeable visit is placed first,
  then travel is minimised), time window, service duration;
* visit with a bag → optional *shipment*: pick-up at the pharmacy (not before ``ready``), delivery at the
  patient within ``[window start, min(window end, ready + stability)]``;
* the ``pickup_min`` spent at a pharmacy is added to the duration of every edge *entering* the pharmacy,
  so consecutive pick-ups there cost it once (they are one stop); the pick-up's earliest time is shifted
  by the same amount;
* skills → routing profiles: in the profile of a skill set, visits that need other skills are unreachable
  (huge distance and duration);
* max_visits / capacity → load dimensions (visit counter, demand). Plain visits count for the whole round
  exactly; bags, being shipments, only count while carried, so the exact route totals are enforced
  afterwards by the repair step (see solver.py).

Times are scaled to integers (seconds, or tenths for DIMACS-rounded Euclidean instances), rounding
durations up and latest times down so that every PyVRP-feasible route is feasible with exact times.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
from pyvrp import (
    Activity,
    ActivityType,
    Client,
    Depot,
    Location,
    ProblemData,
    Route,
    Shipment,
    Solution,
    SolveParams,
    VehicleType,
)
from pyvrp import solve as pyvrp_solve
from pyvrp.constants import MAX_VALUE
from pyvrp.search import NeighbourhoodParams
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from parcours.optimiser.construct import greedy_rounds
from parcours.optimiser.model import Nurse, Visit
from parcours.optimiser.precheck import Feasibility
from parcours.optimiser.schedule import Action, Context, PickupAction, VisitAction

IntMatrix = npt.NDArray[np.int64]
WarmStart = Literal["auto", "greedy", "none"]
_BIG_CAPACITY = 1 << 30


@dataclass(frozen=True, slots=True)
class EngineResult:
    routes: dict[str, list[Action]]
    objective: float


def _scale_for(ctx: Context) -> int:
    travel = ctx.instance.travel
    return 10 if travel.kind == "euclidean" and travel.rounding == "dimacs" else 60


def _up(x: float, scale: int) -> int:
    return math.ceil(x * scale - 1e-6)


def _down(x: float, scale: int) -> int:
    return math.floor(x * scale + 1e-6)


def _nurse_key(ctx: Context, n: Nurse) -> tuple[object, ...]:
    kind = ctx.instance.travel.kind
    s = n.start.key if kind == "matrix" else (n.start.x, n.start.y)
    e = n.end.key if kind == "matrix" else (n.end.x, n.end.y)
    return (s, e, n.shift_start, n.shift_end, n.skills, n.max_visits, n.capacity)


def _load_scale(visits: Sequence[Visit], nurses: Sequence[Nurse]) -> int:
    values = [v.demand for v in visits] + [n.capacity for n in nurses if n.capacity is not None]
    return 1 if all(float(x).is_integer() for x in values) else 1000


@dataclass
class _Built:
    data: ProblemData
    groups: list[list[Nurse]]
    client_visits: list[str]
    shipment_visits: list[str]
    depot_of_shipment: list[str]
    duration: IntMatrix  # scaled travel durations, no skill masking (for the neighbourhood)
    skills: dict[str, frozenset[str]]  # visit id → skills
    nurse_skills: list[frozenset[str]]  # the distinct nurse skill sets


def build_problem(ctx: Context, visits: Sequence[Visit]) -> _Built:
    inst = ctx.instance
    table = ctx.table
    scale = _scale_for(ctx)
    m = table.minutes
    n_loc = len(table.points)
    locations = [Location(x=float(p.x), y=float(p.y)) for p in table.points]

    distance: IntMatrix = np.rint(m * scale).astype(np.int64)
    duration: IntMatrix = np.ceil(m * scale - 1e-6).astype(np.int64)
    np.maximum(duration, 0, out=duration)
    for d in inst.depots:
        pad = _up(d.pickup_min, scale)
        if pad:
            col = table.depot_index[d.id]
            duration[:, col] += pad
            duration[col, col] = 0

    max_edge = int(distance.max()) if n_loc else 1
    prize = 10 * max(max_edge, 1) + 1
    big = int(min(MAX_VALUE // 4, 1000 * prize))

    # Nurses: identical nurses share a vehicle type.
    groups_by_key: dict[tuple[object, ...], list[Nurse]] = {}
    for n in inst.nurses:
        groups_by_key.setdefault(_nurse_key(ctx, n), []).append(n)
    groups = list(groups_by_key.values())

    depots: list[Depot] = []
    depot_of_location: dict[int, int] = {}

    def depot_at(loc: int) -> int:
        if loc not in depot_of_location:
            depot_of_location[loc] = len(depots)
            depots.append(Depot(location=loc))
        return depot_of_location[loc]

    # Profiles: one per skill set; visits needing other skills are unreachable in it.
    skill_sets = sorted({g[0].skills for g in groups}, key=lambda s: sorted(s))
    profile_of: dict[frozenset[str], int] = {}
    dist_mats: list[IntMatrix] = []
    dur_mats: list[IntMatrix] = []
    forbidden_sets: dict[tuple[int, ...], int] = {}
    for skills in skill_sets:
        forbidden = tuple(table.visit_index[v.id] for v in visits if not v.skills <= skills)
        if forbidden not in forbidden_sets:
            forbidden_sets[forbidden] = len(dist_mats)
            if forbidden:
                dm = distance.copy()
                tm = duration.copy()
                idx = np.array(forbidden, dtype=np.int64)
                for mat in (dm, tm):
                    mat[idx, :] = big
                    mat[:, idx] = big
                    mat[idx, idx] = 0
                dist_mats.append(dm)
                dur_mats.append(tm)
            else:
                dist_mats.append(distance)
                dur_mats.append(duration)
        profile_of[skills] = forbidden_sets[forbidden]

    use_count = any(n.max_visits is not None for n in inst.nurses)
    use_demand = any(n.capacity is not None for n in inst.nurses)
    lscale = _load_scale(visits, inst.nurses)

    def load(v: Visit) -> list[int]:
        out: list[int] = []
        if use_count:
            out.append(1)
        if use_demand:
            out.append(math.ceil(v.demand * lscale - 1e-9))
        return out

    vehicle_types: list[VehicleType] = []
    for g in groups:
        n = g[0]
        capacity: list[int] = []
        if use_count:
            capacity.append(n.max_visits if n.max_visits is not None else _BIG_CAPACITY)
        if use_demand:
            capacity.append(
                math.floor(n.capacity * lscale + 1e-9) if n.capacity is not None else _BIG_CAPACITY
            )
        vehicle_types.append(
            VehicleType(
                num_available=len(g),
                capacity=capacity,
                start_depot=depot_at(table.start_index[n.id]),
                end_depot=depot_at(table.end_index[n.id]),
                tw_early=_up(n.shift_start, scale),
                tw_late=_down(n.shift_end, scale),
                profile=profile_of[n.skills],
                name=n.id,
            )
        )

    clients: list[Client] = []
    shipments: list[Shipment] = []
    client_visits: list[str] = []
    shipment_visits: list[str] = []
    depot_of_shipment: list[str] = []
    for v in visits:
        loc = table.visit_index[v.id]
        if v.bag is None:
            clients.append(
                Client(
                    location=loc,
                    pickup=load(v),
                    delivery=[0] * len(load(v)),
                    service_duration=_up(v.duration_min, scale),
                    tw_early=_up(v.window_start, scale),
                    tw_late=_down(v.window_end, scale),
                    prize=prize,
                    required=False,
                    name=v.id,
                )
            )
            client_visits.append(v.id)
        else:
            depot = ctx.depots[v.bag.depot]
            shipments.append(
                Shipment(
                    pickup_location=table.depot_index[depot.id],
                    delivery_location=loc,
                    pickup_tw_early=_up(v.bag.ready + depot.pickup_min, scale),
                    pickup_service_duration=0,
                    delivery_tw_early=_up(v.window_start, scale),
                    delivery_tw_late=_down(min(v.window_end, v.bag.expiry), scale),
                    delivery_service_duration=_up(v.duration_min, scale),
                    amount=load(v),
                    prize=prize,
                    required=False,
                    name=v.id,
                )
            )
            shipment_visits.append(v.id)
            depot_of_shipment.append(depot.id)

    data = ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=cast(Any, dist_mats),
        duration_matrices=cast(Any, dur_mats),
        shipments=shipments,
    )
    return _Built(
        data=data,
        groups=groups,
        client_visits=client_visits,
        shipment_visits=shipment_visits,
        depot_of_shipment=depot_of_shipment,
        duration=duration,
        skills={v.id: v.skills for v in visits},
        nurse_skills=skill_sets,
    )


def initial_solution(built: _Built, rounds: dict[str, list[Action]]) -> Solution:
    """A PyVRP solution holding the given rounds (warm start)."""
    client_idx = {vid: i for i, vid in enumerate(built.client_visits)}
    shipment_idx = {vid: i for i, vid in enumerate(built.shipment_visits)}
    routes: list[Route] = []
    for vt, group in enumerate(built.groups):
        for nurse in group:
            acts: list[Activity] = []
            for a in rounds.get(nurse.id, []):
                if isinstance(a, PickupAction):
                    acts += [Activity(ActivityType.PICKUP, shipment_idx[b]) for b in a.bags]
                elif a.visit in client_idx:
                    acts.append(Activity(ActivityType.CLIENT, client_idx[a.visit]))
                else:
                    acts.append(Activity(ActivityType.DELIVERY, shipment_idx[a.visit]))
            if acts:
                routes.append(Route(built.data, acts, vt))
    return Solution(built.data, routes)


def neighbourhood(
    built: _Built, num_neighbours: int = 40, same_depot: int = 10, wait_weight: float = 0.2
) -> dict[Activity, list[Activity]]:
    """A granular neighbourhood that knows about pharmacies and skills (days with bags).

    PyVRP's default ranks activities by location, so the pick-ups of a pharmacy, which all share one
    location, fill each other's lists. Here every client and pick-up gets its ``num_neighbours`` nearest
    visits (clients and deliveries) by time-window-aware proximity (travel + ``wait_weight`` × waiting +
    time warp, symmetrised, as in PyVRP), skipping pairs that no nurse is qualified for together, plus
    the ``same_depot`` pick-ups of the same pharmacy nearest in time (bags worth collecting together),
    plus, for a client, the pick-ups it may follow at a nearby pharmacy.
    """
    data = built.data
    dur = built.duration
    n_c, n_s = data.num_clients, data.num_shipments
    acts: list[Activity] = []
    loc: list[int] = []
    early: list[float] = []
    late: list[float] = []
    service: list[float] = []
    skills: list[frozenset[str]] = []
    for i, c in enumerate(data.clients()):
        acts.append(Activity(ActivityType.CLIENT, i))
        loc.append(c.location)
        early.append(c.tw_early)
        late.append(c.tw_late)
        service.append(c.service_duration)
        skills.append(built.skills[built.client_visits[i]])
    for j, sh in enumerate(data.shipments()):
        acts.append(Activity(ActivityType.PICKUP, j))
        loc.append(sh.pickup.location)
        early.append(sh.pickup.tw_early)
        late.append(
            max(sh.pickup.tw_early, sh.delivery.tw_late - dur[sh.pickup.location, sh.delivery.location])
        )
        service.append(sh.pickup.service_duration)
        skills.append(built.skills[built.shipment_visits[j]])
    for j, sh in enumerate(data.shipments()):
        acts.append(Activity(ActivityType.DELIVERY, j))
        loc.append(sh.delivery.location)
        early.append(sh.delivery.tw_early)
        late.append(sh.delivery.tw_late)
        service.append(sh.delivery.service_duration)
        skills.append(built.skills[built.shipment_visits[j]])
    idx = np.array(loc, dtype=np.int64)
    t = dur[np.ix_(idx, idx)].astype(np.float64)
    e = np.array(early, dtype=np.float64)
    lt = np.array(late, dtype=np.float64)
    sv = np.array(service, dtype=np.float64)
    wait = np.maximum(e[None, :] - t - sv[:, None] - lt[:, None], 0.0)
    warp = np.maximum(e[:, None] + sv[:, None] + t - lt[None, :], 0.0)
    prox = t + wait_weight * wait + warp
    prox = np.minimum(prox, prox.T)
    # skills: u and v can share a round only if some nurse has both skill sets
    kinds = sorted(set(skills), key=sorted)
    kind_of = np.array([kinds.index(k) for k in skills], dtype=np.int64)
    ok = np.array([[any(a | b <= n for n in built.nurse_skills) for b in kinds] for a in kinds], dtype=bool)
    prox[~ok[np.ix_(kind_of, kind_of)]] = np.inf
    n = len(acts)
    np.fill_diagonal(prox, np.inf)
    pick = np.arange(n_c, n_c + n_s)
    prox[pick, pick + n_s] = np.inf  # a pick-up and its own delivery
    prox[pick + n_s, pick] = np.inf
    is_pick = np.zeros(n, dtype=bool)
    is_pick[pick] = True
    visits_prox = prox.copy()
    visits_prox[:, is_pick] = np.inf
    out: dict[Activity, list[Activity]] = {}
    k = min(num_neighbours, n - 1)
    for u in range(n_c + n_s):
        row = visits_prox[u]
        near = np.argpartition(row, k)[:k] if k < n else np.arange(n)
        chosen = [int(v) for v in near[np.argsort(row[near])] if np.isfinite(row[v])]
        pr = prox[u, pick]
        if u >= n_c:  # pick-up: visits near its delivery, other pick-ups at the same pharmacy
            drow = visits_prox[u + n_s]
            kd = min(num_neighbours, n - 1)
            dnear = np.argpartition(drow, kd)[:kd]
            chosen += [int(v) for v in dnear[np.argsort(drow[dnear])] if np.isfinite(drow[v]) and v != u]
            same = pick[(idx[pick] == idx[u])]
            pr_same = prox[u, same]
            m = min(same_depot, len(same))
            if m > 0:
                sel = same[np.argpartition(pr_same, m - 1)[:m]]
                chosen += [int(v) for v in sel if np.isfinite(prox[u, v])]
        else:  # client: a few pick-ups it could follow at a close pharmacy
            m = min(same_depot // 2, n_s)
            if m > 0:
                sel = pick[np.argpartition(pr, m - 1)[:m]]
                near_max = row[chosen[-1]] if chosen else np.inf
                chosen += [int(v) for v in sel if prox[u, v] <= near_max]
        out[acts[u]] = [acts[v] for v in dict.fromkeys(chosen)]
    return out


_Picked = tuple[bool, int, int, list[tuple[int, list[tuple[int, int]]]]]


def _pick(solution: Solution) -> _Picked:
    """A picklable summary of a solution: (infeasible, missing, distance, routes)."""
    missing = len(solution.unplanned())
    routes = [
        (r.vehicle_type(), [(a.type.value, a.idx) for a in r.schedule() if not a.is_depot()])
        for r in solution.routes()
    ]
    return (not solution.is_feasible(), missing, solution.distance(), routes)


def _params(data: ProblemData) -> SolveParams:
    """PyVRP's defaults, except a wider granular neighbourhood when there are bags.

    All the pick-ups of a pharmacy share one location, so with the default 50 nearest neighbours a pick-up
    only "sees" other pick-ups and the search can hardly move bags between rounds. Adding the number of
    pick-ups at the busiest pharmacy to the neighbourhood size restores ~50 real neighbours (measured on
    the 850-visit day: travel −10 % at equal time).
    """
    if data.num_shipments == 0:
        return SolveParams()
    per_location: dict[int, int] = {}
    for sh in data.shipments():
        per_location[sh.pickup.location] = per_location.get(sh.pickup.location, 0) + 1
    size = 50 + max(per_location.values())
    return SolveParams(neighbourhood=NeighbourhoodParams(num_neighbours=size))


class _AskCaller:
    """A PyVRP stopping criterion that asks the caller (e.g. "has the planner pressed stop?")."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop

    def __call__(self, best_cost: float) -> bool:
        return self.should_stop()


def _run(data: ProblemData, stop: StoppingCriterion, seed: int, initial: Solution | None) -> _Picked:
    result = pyvrp_solve(
        data,
        stop=stop,
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
        params=_params(data),
    )
    return _pick(result.best)


def _run_in_child(
    conn: Connection, data: ProblemData, stop: StoppingCriterion, seed: int, initial: Solution | None
) -> None:
    try:
        conn.send(_run(data, stop, seed, initial))
    finally:
        conn.close()


def solve_pyvrp(
    ctx: Context,
    feas: Feasibility,
    visits: Sequence[Visit],
    *,
    time_limit: float,
    seed: int,
    max_iterations: int | None = None,
    workers: int = 1,
    warm_start: WarmStart = "auto",
    should_stop: Callable[[], bool] | None = None,
) -> EngineResult:
    """Solve with PyVRP; returns each nurse's ordered actions (not yet timed or checked).

    ``warm_start``: start from the greedy plan (``greedy``), from PyVRP's own start (``none``) or
    ``auto`` (greedy for days of 200 visits or more, where it pays off). With ``workers`` > 1, that many
    searches run in parallel processes with other seeds (on small days the second one uses the other kind
    of start) and the best plan wins.
    """
    t0 = time.perf_counter()
    built = build_problem(ctx, visits)
    use_greedy = warm_start == "greedy" or (warm_start == "auto" and len(visits) >= 200)
    greedy = initial_solution(built, greedy_rounds(ctx, feas, visits))
    remaining = time_limit - (time.perf_counter() - t0)
    criteria: list[StoppingCriterion] = [MaxRuntime(max(remaining, 0.01))]
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    stop: StoppingCriterion = MultipleCriteria(criteria) if len(criteria) > 1 else criteria[0]
    main_stop: StoppingCriterion = (
        MultipleCriteria([*criteria, _AskCaller(should_stop)]) if should_stop is not None else stop
    )
    # small days: hedge between the two kinds of start; big days: the greedy start always wins, vary the seed
    hedge = len(visits) < 200
    starts = [use_greedy] + [
        (not use_greedy) if k == 1 and hedge else use_greedy for k in range(1, max(workers, 1))
    ]
    picks: list[_Picked] = []
    if len(starts) == 1:
        picks.append(_run(built.data, main_stop, seed, greedy if use_greedy else None))
    else:
        mp = multiprocessing.get_context("fork")
        procs = []
        for k, g in enumerate(starts[1:], start=1):
            parent, child = mp.Pipe(duplex=False)
            proc = mp.Process(
                target=_run_in_child, args=(child, built.data, stop, seed + k, greedy if g else None)
            )
            proc.start()
            child.close()
            procs.append((proc, parent))
        picks.append(_run(built.data, main_stop, seed, greedy if starts[0] else None))
        for proc, parent in procs:
            with contextlib.suppress(EOFError):
                picks.append(parent.recv())
            proc.join()
    best = min(picks, key=lambda p: (p[0], p[1], p[2]))
    pools = [list(g) for g in built.groups]
    routes: dict[str, list[Action]] = {}
    for vt, acts in best[3]:
        nurse = pools[vt].pop(0)
        actions: list[Action] = []
        for kind, idx in acts:
            if kind == ActivityType.CLIENT.value:
                actions.append(VisitAction(built.client_visits[idx]))
            elif kind == ActivityType.PICKUP.value:
                vid = built.shipment_visits[idx]
                dep = built.depot_of_shipment[idx]
                prev = actions[-1] if actions else None
                if isinstance(prev, PickupAction) and prev.depot == dep:
                    actions[-1] = PickupAction(dep, (*prev.bags, vid))
                else:
                    actions.append(PickupAction(dep, (vid,)))
            elif kind == ActivityType.DELIVERY.value:
                actions.append(VisitAction(built.shipment_visits[idx]))
        routes[nurse.id] = actions
    return EngineResult(routes=routes, objective=float(best[2]) / _scale_for(ctx))
