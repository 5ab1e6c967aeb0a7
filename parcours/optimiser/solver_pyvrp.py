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
* max_visits → exact, through the distance: every edge entering a visit is ``count_unit`` longer and a
  nurse's ``max_distance`` allows ``max_visits`` of them (a load dimension would count a bag, a shipment,
  only while it is carried); capacity → a load dimension (bags only while carried: the exact route
  totals are enforced afterwards by the repair step, see solver.py);
* workload balance (optional) → PyVRP's overtime beyond the day's fair share of each shift.

Times are scaled to integers (seconds, or tenths for DIMACS-rounded Euclidean instances), rounding
durations up and latest times down so that every PyVRP-feasible route is feasible with exact times.

Search. Small plain days (< 200 visits, no bag: e.g. the Solomon benchmark) use PyVRP's ``solve`` with its
defaults. Days with bags or of ≥ 200 visits (or with a balance term) use a *tuned* iterated local search
(``_run_tuned``): our own
granular neighbourhood (``neighbourhood``: skills- and pharmacy-aware), penalties scaled to our units, a
larger prize, a short late-acceptance history and small perturbations, started from the greedy plan
improved by an exhaustive local search whose visits are then made *required*. Days of ≥ 400 visits are
searched piece by piece (``_decomposed``: pieces of ~110 visits with new random borders at every pass;
see docs/adr/0011-route-optimiser-pieces-and-balance.md): the first cut is by geography with a greedy
plan inside each piece (``_geo_start``), and with several workers persistent processes take the pieces
as they become free, without waiting for each other (``_decomposed_async``; ADR 0013); at every cut
whole rounds are re-assigned to the nurses they suit best by an exact assignment (``reassign.py``;
ADR 0015).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.connection
import random
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
    RandomNumberGenerator,
    Route,
    Shipment,
    Solution,
    SolveParams,
    VehicleType,
)
from pyvrp import solve as pyvrp_solve
from pyvrp.constants import MAX_VALUE
from pyvrp.IteratedLocalSearch import IteratedLocalSearch, IteratedLocalSearchParams
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
from pyvrp.search import OPERATORS, LocalSearch, PerturbationManager, PerturbationParams
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion

from parcours.optimiser.construct import greedy_rounds
from parcours.optimiser.insertion import Round, insert_all
from parcours.optimiser.model import Nurse, Visit
from parcours.optimiser.precheck import Feasibility
from parcours.optimiser.reassign import Timings, reassign_rounds
from parcours.optimiser.schedule import Action, Context, PickupAction, VisitAction, time_route
from parcours.optimiser.workload import Balance, fair_share, working_minutes

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


BALANCE_UNITS = 20  # distance units per time unit when balancing (weights down to 1/20)


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
    count_unit: int = 0  # added to every edge entering a visit (max_visits as max_distance)
    dist_mult: int = 1  # distance units per time unit (BALANCE_UNITS with a balance term)


def build_problem(
    ctx: Context,
    visits: Sequence[Visit],
    prize_factor: int = 10,
    nurses: Sequence[Nurse] | None = None,
    balance: Balance | None = None,
) -> _Built:
    """The PyVRP problem of ``visits`` for ``nurses`` (default: all); ``balance`` adds the workload term."""
    inst = ctx.instance
    fleet = list(inst.nurses if nurses is None else nurses)
    table = ctx.table
    scale = _scale_for(ctx)
    # Only the points this problem uses (a sector of the day uses about half), a nurse's home counted
    # once when she starts and ends there: smaller matrices, faster search.
    used: list[int] = [table.depot_index[d.id] for d in inst.depots]
    loc_of: dict[int, int] = {i: k for k, i in enumerate(used)}
    homes: dict[object, int] = {}
    for n in fleet:
        for old in (table.start_index[n.id], table.end_index[n.id]):
            pt = table.points[old]
            key = pt.key if inst.travel.kind == "matrix" else (pt.x, pt.y)
            if key not in homes:
                homes[key] = len(used)
                used.append(old)
            loc_of[old] = homes[key]
    for v in visits:
        loc_of[table.visit_index[v.id]] = len(used)
        used.append(table.visit_index[v.id])
    rows = np.array(used, dtype=np.int64)
    m = table.minutes[np.ix_(rows, rows)]
    n_loc = len(used)
    locations = [Location(x=float(table.points[i].x), y=float(table.points[i].y)) for i in used]

    # With a balance term, distances are in finer units (BALANCE_UNITS per time unit) so that a minute of
    # work above the fair share can cost a fraction of a minute of travel (PyVRP costs are integers).
    dist_mult = BALANCE_UNITS if balance is not None and balance.weight > 0 else 1
    distance: IntMatrix = np.rint(m * scale * dist_mult).astype(np.int64)
    duration: IntMatrix = np.ceil(m * scale - 1e-6).astype(np.int64)
    np.maximum(duration, 0, out=duration)
    for d in inst.depots:
        pad = _up(d.pickup_min, scale)
        if pad:
            col = loc_of[table.depot_index[d.id]]
            duration[:, col] += pad
            duration[col, col] = 0

    max_edge = int(distance.max()) if n_loc else 1
    prize = prize_factor * max(max_edge, 1) + 1
    big = int(min(MAX_VALUE // 4, 1000 * prize))
    # max_visits, exactly for every visit: each edge entering a visit is `count_unit` longer, more than
    # any round's travel, and a nurse's max_distance allows max_visits of them (PyVRP's loads count a
    # bag, a shipment, only while it is carried). Every placed visit costs the same count_unit, repaid
    # by its prize, so travel comparisons between plans with the same visits are unchanged.
    count_unit = 0
    if any(n.max_visits is not None for n in fleet):
        count_unit = dist_mult * max(_down(n.shift_end, scale) - _up(n.shift_start, scale) for n in fleet) + 1
        count_unit = max(count_unit, max_edge + 1)
        prize += count_unit
        distance[:, n_loc - len(visits) :] += count_unit
        np.fill_diagonal(distance, 0)

    # Nurses: identical nurses share a vehicle type.
    groups_by_key: dict[tuple[object, ...], list[Nurse]] = {}
    for n in fleet:
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
        forbidden = tuple(loc_of[table.visit_index[v.id]] for v in visits if not v.skills <= skills)
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

    use_count = any(n.max_visits is not None for n in fleet)
    use_demand = any(n.capacity is not None for n in fleet)
    lscale = _load_scale(visits, fleet)

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
        early, late = _up(n.shift_start, scale), _down(n.shift_end, scale)
        fair, over, over_cost = max(late - early, 0), 0, 0
        if dist_mult > 1 and balance is not None and late > early:
            # Workload balance: every minute of work beyond the fair share of her shift costs
            # `weight` minutes of travel (PyVRP's overtime, up to the end of her shift).
            fair = min(late - early, math.ceil(balance.fair_share * (late - early)))
            over = late - early - fair
            over_cost = max(1, round(balance.weight * dist_mult))
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
                start_depot=depot_at(loc_of[table.start_index[n.id]]),
                end_depot=depot_at(loc_of[table.end_index[n.id]]),
                tw_early=early,
                tw_late=late,
                profile=profile_of[n.skills],
                max_distance=(
                    (n.max_visits + 1) * count_unit - 1
                    if count_unit and n.max_visits is not None
                    else MAX_VALUE
                ),
                name=n.id,
                shift_duration=fair,
                max_overtime=over,
                unit_overtime_cost=over_cost,
            )
        )

    clients: list[Client] = []
    shipments: list[Shipment] = []
    client_visits: list[str] = []
    shipment_visits: list[str] = []
    depot_of_shipment: list[str] = []
    for v in visits:
        loc = loc_of[table.visit_index[v.id]]
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
                    pickup_location=loc_of[table.depot_index[depot.id]],
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
        count_unit=count_unit,
        dist_mult=dist_mult,
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
    """A granular neighbourhood that knows about pharmacies and skills (tuned search).

    PyVRP's default ranks activities by location, so the pick-ups of a pharmacy, which all share one
    location, fill each other's lists. Here every client and pick-up gets its ``num_neighbours`` nearest
    visits (clients and deliveries) by time-window-aware proximity (travel + ``wait_weight`` × waiting +
    time warp, symmetrised, as in PyVRP), skipping pairs that no nurse is qualified for together. A
    pick-up also gets the ``num_neighbours`` visits nearest its patient (the rounds that could carry the
    bag) and the ``same_depot`` pick-ups of its pharmacy nearest in time (bags worth collecting together);
    a client, the pick-ups it could follow at a pharmacy no farther than its farthest neighbour.
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
    same_place = {int(p): pick[idx[pick] == p] for p in np.unique(idx[pick])}  # pick-ups per pharmacy
    for u in range(n_c + n_s):
        row = visits_prox[u]
        near = np.argpartition(row, k)[:k] if k < n else np.arange(n)
        ranked = near[np.argsort(row[near])]
        chosen: list[int] = ranked[np.isfinite(row[ranked])].tolist()
        pr = prox[u, pick]
        if u >= n_c:  # pick-up: visits near its delivery, other pick-ups at the same pharmacy
            drow = visits_prox[u + n_s]
            kd = min(num_neighbours, n - 1)
            dnear = np.argpartition(drow, kd)[:kd]
            dranked = dnear[np.argsort(drow[dnear])]
            chosen += dranked[np.isfinite(drow[dranked]) & (dranked != u)].tolist()
            same = same_place[int(idx[u])]
            pr_same = prox[u, same]
            m = min(same_depot, len(same))
            if m > 0:
                sel = same[np.argpartition(pr_same, m - 1)[:m]]
                chosen += sel[np.isfinite(prox[u, sel])].tolist()
        else:  # client: a few pick-ups it could follow at a close pharmacy
            m = min(same_depot // 2, n_s)
            if m > 0:
                sel = pick[np.argpartition(pr, m - 1)[:m]]
                near_max = row[chosen[-1]] if chosen else np.inf
                chosen += sel[prox[u, sel] <= near_max].tolist()
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
    return (not solution.is_feasible(), missing, _cost(solution), routes)


def _cost(solution: Solution) -> int:
    """The search's objective without prizes: distance (+ the balance term's overtime cost)."""
    return solution.distance_cost() + solution.duration_cost()


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """Settings of the tuned search used for days with bags or of ≥ 200 visits (see ``_tuned``)."""

    num_neighbours: int = 70  # visits per granular neighbour list (see ``neighbourhood``)
    same_depot: int = 100  # pick-ups of the same pharmacy in a pick-up's list
    history_length: int = 100  # late-acceptance history (PyVRP default 300: too slow to converge in 60 s)
    max_perturbations: int = 5  # activities moved per perturbation (PyVRP default 25)
    exhaustive_on_best: bool = True  # exhaustive local search on every new best plan (PyVRP default)


# One configuration per parallel search: different neighbourhoods make the two searches diverge.
WORKER_CONFIGS = (SearchConfig(), SearchConfig(num_neighbours=50, same_depot=60, history_length=40))
TUNED_PRIZE_FACTOR = 100
DECOMPOSE_FROM = 400  # visits; below, the whole day is searched at once


@dataclass(frozen=True, slots=True)
class DecomposeConfig:
    """Settings of the piece-by-piece search of large days (``_decomposed``)."""

    piece_visits: int = 110  # visits per piece (the day is cut into a multiple of the workers)
    piece_iterations: int = 4000  # at most this many iterations of the tuned search per piece and pass
    piece_patience: int = 150  # and stop a piece after this many without improvement (0: never)
    share: float = 1.0  # of the time spent on pieces (the rest: whole-day searches)
    asynchronous: bool = True  # workers > 1, no max_passes: ``_decomposed_async``
    geo_start: bool = True  # first pass: pieces by geography, greedy rounds inside each (``_geo_start``)
    search: SearchConfig = SearchConfig(
        num_neighbours=30, same_depot=30, max_perturbations=8
    )  # in each piece
    # after every cut: whole rounds handed to the nurses they suit best (``reassign.py``), timing this
    # many candidate nurses per round (0: off)
    reassign: int = 40


DECOMPOSE = DecomposeConfig()
# Benchmarks (bench/optimiser_trace.py): called with the day's rounds each time a piece comes back to the
# asynchronous search, to trace the travel over time. None in production.
TRACE_ROUNDS: Callable[[dict[str, list[Action]]], None] | None = None
PLAIN_PRIZE_FACTOR = 10


def _tuned(ctx: Context, visits: Sequence[Visit]) -> bool:
    """Days with bags or of 200 visits or more get the tuned search; small plain VRPTW days keep PyVRP's
    defaults (they are what the Solomon figures measure)."""
    return len(visits) >= 200 or any(v.bag is not None for v in visits)


class _AskCaller:
    """A PyVRP stopping criterion that asks the caller (e.g. "has the planner pressed stop?")."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop

    def __call__(self, best_cost: float) -> bool:
        return self.should_stop()


def _local_search(
    data: ProblemData,
    rng: RandomNumberGenerator,
    neighbours: dict[Activity, list[Activity]],
    config: SearchConfig,
) -> LocalSearch:
    ls = LocalSearch(
        data, rng, neighbours, PerturbationManager(PerturbationParams(1, config.max_perturbations))
    )
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    return ls


def _require_planned(data: ProblemData, solution: Solution) -> tuple[ProblemData, Solution]:
    """The problem with every visit of ``solution`` made *required*, and the solution in it.

    ``solution`` is feasible, so the search keeps a feasible plan with all these visits and can no longer
    drift towards plans that drop hard-to-place visits (which it then fails to re-insert); the visits it
    lacks stay optional, with their prize.
    """
    planned: set[tuple[bool, int]] = set()
    for route in solution.routes():
        for act in route.schedule():
            if act.is_client():
                planned.add((True, act.idx))
            elif act.is_pickup():
                planned.add((False, act.idx))
    clients = [
        Client(
            location=c.location,
            delivery=c.delivery,
            pickup=c.pickup,
            service_duration=c.service_duration,
            tw_early=c.tw_early,
            tw_late=c.tw_late,
            prize=c.prize,
            required=(True, i) in planned,
            name=c.name,
        )
        for i, c in enumerate(data.clients())
    ]
    shipments = [
        Shipment(
            pickup_location=sh.pickup.location,
            delivery_location=sh.delivery.location,
            pickup_tw_early=sh.pickup.tw_early,
            pickup_tw_late=sh.pickup.tw_late,
            pickup_service_duration=sh.pickup.service_duration,
            delivery_tw_early=sh.delivery.tw_early,
            delivery_tw_late=sh.delivery.tw_late,
            delivery_service_duration=sh.delivery.service_duration,
            amount=sh.amount,
            prize=sh.prize,
            required=(False, j) in planned,
            name=sh.name,
        )
        for j, sh in enumerate(data.shipments())
    ]
    new = data.replace(clients=clients, shipments=shipments)
    routes = [
        Route(new, [Activity(a.type, a.idx) for a in r.schedule() if not a.is_depot()], r.vehicle_type())
        for r in solution.routes()
    ]
    return new, Solution(new, routes)


def _run_tuned(
    built: _Built, stop: StoppingCriterion, seed: int, initial: Solution, config: SearchConfig
) -> _Picked:
    """Iterated local search with a bag-aware neighbourhood, penalties scaled to our units, a short
    late-acceptance history and small perturbations, from the warm start improved by local search."""
    data = built.data
    rng = RandomNumberGenerator(seed=seed)
    neighbours = neighbourhood(built, config.num_neighbours, config.same_depot)
    ls = _local_search(data, rng, neighbours, config)
    penalty = PenaltyParams(solutions_between_updates=100)
    # PyVRP's initial penalties (50,000 per unit) are far too high for times in seconds: the search
    # would never cross infeasible plans. One minute of lateness ≈ 100 minutes of travel; one visit too
    # many ≈ a twentieth of a visit's prize.
    prize = max((c.prize for c in data.clients()), default=0)
    prize = max([prize, *(sh.prize for sh in data.shipments())])
    tw = 100.0 * built.dist_mult  # one unit of time = dist_mult units of distance, at every scale
    pm = PenaltyManager(([max(prize / 20, 1.0)] * data.num_load_dimensions, tw, 10.0), penalty)
    start = ls(initial, pm.max_cost_evaluator(), exhaustive=True)
    if start.is_feasible():
        data, start = _require_planned(data, start)
        ls = _local_search(data, rng, neighbours, config)
    else:
        start = initial
    ils = IteratedLocalSearch(
        data,
        pm,
        ls,
        start,
        IteratedLocalSearchParams(
            history_length=config.history_length, exhaustive_on_best=config.exhaustive_on_best
        ),
    )
    return _pick(ils.run(stop, collect_stats=False).best)


def _run(
    built: _Built, stop: StoppingCriterion, seed: int, initial: Solution | None, config: SearchConfig | None
) -> _Picked:
    if config is not None and initial is not None:
        return _run_tuned(built, stop, seed, initial, config)
    result = pyvrp_solve(
        built.data,
        stop=stop,
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
        params=SolveParams(),
    )
    return _pick(result.best)


def _run_in_child(
    conn: Connection,
    built: _Built,
    stop: StoppingCriterion,
    seed: int,
    initial: Solution | None,
    config: SearchConfig | None,
) -> None:
    try:
        conn.send(_run(built, stop, seed, initial, config))
    finally:
        conn.close()


def _positions(
    ctx: Context, rounds: dict[str, list[Action]]
) -> tuple[dict[str, tuple[float, float]], dict[str, int]]:
    """Each nurse's position (centre of her round, her home if it is empty) and number of visits."""
    pts = ctx.table.points
    vidx = ctx.table.visit_index
    pos: dict[str, tuple[float, float]] = {}
    load: dict[str, int] = {}
    for n in ctx.instance.nurses:
        mine = [vidx[a.visit] for a in rounds.get(n.id, []) if isinstance(a, VisitAction)]
        if mine:
            pos[n.id] = (
                sum(float(pts[i].x) for i in mine) / len(mine),
                sum(float(pts[i].y) for i in mine) / len(mine),
            )
        else:
            home = pts[ctx.table.start_index[n.id]]
            pos[n.id] = (float(home.x), float(home.y))
        load[n.id] = len(mine)
    return pos, load


def _balance(ctx: Context, rounds: dict[str, list[Action]], weight: float) -> Balance | None:
    """The balance term for rounds like ``rounds`` (their working time sets the fair share)."""
    if weight <= 0:
        return None
    work: list[float] = []
    for n in ctx.instance.nurses:
        if acts := rounds.get(n.id):
            timed = time_route(ctx, n, acts)
            work.append(working_minutes(timed.stops, timed.travel))
    return Balance(weight=weight, fair_share=fair_share(work, ctx.instance.nurses))


def _pieces(
    ctx: Context,
    feas: Feasibility,
    visits: Sequence[Visit],
    rounds: dict[str, list[Action]],
    parts: int,
    rng: random.Random,
) -> list[tuple[list[Nurse], list[Visit]]]:
    """Cut the day into ``parts`` compact pieces with about the same number of visits each.

    Recursive bisection of the nurses (placed at the centre of their round, weighted by its visits)
    along random directions, so that every call draws other borders; a visit goes with its nurse, an
    unplaced one with the closest qualified nurse.
    """
    pts = ctx.table.points
    vidx = ctx.table.visit_index
    pos, load = _positions(ctx, rounds)
    part_of: dict[str, int] = {}

    def cut(ids: list[str], first: int, count: int) -> None:
        if count <= 1 or len(ids) <= 1:
            for nid in ids:
                part_of[nid] = first
            return
        angle = rng.uniform(0.0, math.pi)
        dx, dy = math.cos(angle), math.sin(angle)
        ids = sorted(ids, key=lambda i: (pos[i][0] * dx + pos[i][1] * dy, i))
        left = count // 2
        # +0.5: an empty round still weighs a little (her free time is worth sharing out)
        total = sum(load[i] + 0.5 for i in ids)
        goal = total * left / count
        acc = 0.0
        k = 0
        while k < len(ids) - 1 and acc + (load[ids[k]] + 0.5) / 2 < goal:
            acc += load[ids[k]] + 0.5
            k += 1
        k = max(k, 1)
        cut(ids[:k], first, left)
        cut(ids[k:], first + left, count - left)

    cut([n.id for n in ctx.instance.nurses], 0, parts)
    placed = {a.visit: nid for nid, acts in rounds.items() for a in acts if isinstance(a, VisitAction)}
    out: list[tuple[list[Nurse], list[Visit]]] = [([], []) for _ in range(parts)]
    for n in ctx.instance.nurses:
        out[part_of[n.id]][0].append(n)
    for v in visits:
        nid = placed.get(v.id)
        if nid is None:  # unplaced: the piece of one of its 3 closest qualified nurses, at random
            p = pts[vidx[v.id]]
            cands = sorted(
                feas.candidates.get(v.id, ()) or tuple(part_of),
                key=lambda c: (pos[c][0] - float(p.x)) ** 2 + (pos[c][1] - float(p.y)) ** 2,
            )
            nid = rng.choice(cands[:3])
        out[part_of[nid]][1].append(v)
    return [piece for piece in out if piece[0]]


def _geo_start(
    ctx: Context,
    feas: Feasibility,
    visits: Sequence[Visit],
    parts: int,
    rng: random.Random,
) -> tuple[list[tuple[list[Nurse], list[Visit]]], dict[str, list[Action]]]:
    """The first pass's pieces, cut by geography alone, and a greedy plan inside each piece.

    The greedy plan of the whole day dispatches by time, so its rounds criss-cross the area and pieces
    drawn around them hold visits from everywhere: the first passes would spend their time untangling
    it. Here the visits (by place) and the nurses (by home) are cut together by recursive bisection,
    each half getting the same share of both, along the widest of a few random directions; a visit that
    no nurse of its piece is qualified for goes to the piece of its closest qualified nurse. Each
    piece's rounds are then built by the greedy rule among its own nurses.
    """
    pts = ctx.table.points
    vidx = ctx.table.visit_index
    vpos = {v.id: (float(pts[vidx[v.id]].x), float(pts[vidx[v.id]].y)) for v in visits}
    npos: dict[str, tuple[float, float]] = {}
    for n in ctx.instance.nurses:
        s, e = pts[ctx.table.start_index[n.id]], pts[ctx.table.end_index[n.id]]
        npos[n.id] = ((float(s.x) + float(e.x)) / 2, (float(s.y) + float(e.y)) / 2)
    out: list[tuple[list[Nurse], list[Visit]]] = []

    def cut(vs: list[Visit], ns: list[Nurse], count: int) -> None:
        if count <= 1 or len(vs) <= 1 or len(ns) <= 1:
            out.append((ns, vs))
            return
        best: tuple[float, float, float] = (-1.0, 1.0, 0.0)
        for _ in range(6):
            angle = rng.uniform(0.0, math.pi)
            dx, dy = math.cos(angle), math.sin(angle)
            proj = [vpos[v.id][0] * dx + vpos[v.id][1] * dy for v in vs]
            mean = sum(proj) / len(proj)
            spread = sum((x - mean) ** 2 for x in proj)
            if spread > best[0]:
                best = (spread, dx, dy)
        _, dx, dy = best
        vs = sorted(vs, key=lambda v: (vpos[v.id][0] * dx + vpos[v.id][1] * dy, v.id))
        ns = sorted(ns, key=lambda n: (npos[n.id][0] * dx + npos[n.id][1] * dy, n.id))
        left = count // 2
        kv = min(max(round(len(vs) * left / count), 1), len(vs) - 1)
        kn = min(max(round(len(ns) * left / count), 1), len(ns) - 1)
        cut(vs[:kv], ns[:kn], left)
        cut(vs[kv:], ns[kn:], count - left)

    cut(list(visits), list(ctx.instance.nurses), parts)
    piece_of = {n.id: k for k, (ns, _) in enumerate(out) for n in ns}
    moved: list[list[Visit]] = [[] for _ in out]
    for k, (_, vs) in enumerate(out):
        for v in vs:
            cands = feas.candidates.get(v.id, ())
            if not cands or any(piece_of[c] == k for c in cands):
                moved[k].append(v)
                continue
            p = vpos[v.id]
            near = min(cands, key=lambda c: ((npos[c][0] - p[0]) ** 2 + (npos[c][1] - p[1]) ** 2, c))
            moved[piece_of[near]].append(v)
    pieces = [(ns, moved[k]) for k, (ns, _) in enumerate(out)]
    rounds: dict[str, list[Action]] = {n.id: [] for n in ctx.instance.nurses}
    for ns, vs in pieces:
        mine = {n.id for n in ns}
        local = Feasibility(
            reasons=feas.reasons,
            candidates={v.id: tuple(c for c in feas.candidates.get(v.id, ()) if c in mine) for v in vs},
        )
        built = greedy_rounds(ctx, local, vs)
        rounds.update({nid: built[nid] for nid in mine})
    return pieces, rounds


def _insert_missing(
    ctx: Context,
    visits: Sequence[Visit],
    rounds: dict[str, list[Action]],
    busy_nurses: frozenset[str] = frozenset(),
    busy_visits: frozenset[str] = frozenset(),
) -> dict[str, list[Action]]:
    """``rounds`` with the visits they lack inserted at their cheapest feasible place, if any (not in
    the rounds of ``busy_nurses``; ``busy_visits`` are left alone: both are being searched elsewhere)."""
    placed = {a.visit for acts in rounds.values() for a in acts if isinstance(a, VisitAction)}
    missing = [v for v in visits if v.id not in placed and v.id not in busy_visits]
    if not missing:
        return rounds
    full = [
        Round(
            nurse=n,
            head=ctx.empty_head(n),
            actions=list(rounds.get(n.id, [])),
            closed=n.id in busy_nurses,
        )
        for n in ctx.instance.nurses
    ]
    if not all(r.time(ctx).ok for r in full):
        return rounds
    insert_all(ctx, full, missing)
    return {r.nurse.id: r.actions for r in full}


def _solve_piece(
    ctx: Context,
    nurses: list[Nurse],
    visits: list[Visit],
    rounds: dict[str, list[Action]],
    stop: StoppingCriterion,
    seed: int,
    config: SearchConfig,
    balance: Balance | None = None,
) -> dict[str, list[Action]]:
    """Search one piece of the day; its nurses' new rounds (the old ones if the search did not improve)."""
    old = {n.id: rounds.get(n.id, []) for n in nurses}
    if not visits:
        return old
    built = build_problem(ctx, visits, TUNED_PRIZE_FACTOR, nurses, balance)
    start = initial_solution(built, old)
    picked = _run_tuned(built, stop, seed, start, config)
    if picked[:3] > (not start.is_feasible(), len(start.unplanned()), _cost(start)):
        return old
    out: dict[str, list[Action]] = {n.id: [] for n in nurses}
    out.update(_to_rounds(built, picked))
    return out


def _solve_pieces(
    ctx: Context,
    pieces: list[tuple[list[Nurse], list[Visit]]],
    rounds: dict[str, list[Action]],
    deadline: float,
    iterations: int,
    patience: int,
    seed: int,
    config: SearchConfig,
    should_stop: Callable[[], bool] | None,
    balance: Balance | None = None,
    cpu_left: float = math.inf,
) -> tuple[dict[str, list[Action]], float]:
    """Search the pieces one after the other (``iterations`` each, not beyond ``deadline`` nor beyond
    ``cpu_left`` CPU seconds); the new rounds and the CPU seconds used."""
    out: dict[str, list[Action]] = {}
    cpu0 = time.process_time()
    for k, (nurses, part) in enumerate(pieces):
        left = deadline - time.monotonic()
        cpu_end = cpu0 + cpu_left
        if min(left, cpu_end - time.process_time()) <= 0.05 or (should_stop is not None and should_stop()):
            break
        criteria: list[StoppingCriterion] = [MaxIterations(iterations), MaxRuntime(left)]
        if math.isfinite(cpu_end):
            criteria.append(_CpuLimit(cpu_end))
        if patience > 0:
            criteria.append(NoImprovement(patience))
        if should_stop is not None:
            criteria.append(_AskCaller(should_stop))
        out.update(
            _solve_piece(ctx, nurses, part, rounds, MultipleCriteria(criteria), seed + k, config, balance)
        )
    return out, time.process_time() - cpu0


class _CpuLimit:
    """A PyVRP stopping criterion on this process's CPU time (benchmarks on a shared machine)."""

    def __init__(self, cpu_end: float) -> None:
        self.cpu_end = cpu_end

    def __call__(self, best_cost: float) -> bool:
        return time.process_time() >= self.cpu_end


def _solve_pieces_in_child(
    conn: Connection,
    ctx: Context,
    pieces: list[tuple[list[Nurse], list[Visit]]],
    rounds: dict[str, list[Action]],
    deadline: float,
    iterations: int,
    patience: int,
    seed: int,
    config: SearchConfig,
    balance: Balance | None,
    cpu_left: float,
) -> None:
    try:
        conn.send(
            _solve_pieces(
                ctx, pieces, rounds, deadline, iterations, patience, seed, config, None, balance, cpu_left
            )
        )
    finally:
        conn.close()


def _piece_worker(
    conn: Connection, ctx: Context, config: DecomposeConfig, deadline: float, cpu_budget: float
) -> None:
    """A worker process of the asynchronous piece search: searches the pieces it is sent, one at a time,
    until told to stop (``None``); answers each with (new rounds, budget used up?)."""
    cpu_end = time.process_time() + cpu_budget
    try:
        while (task := conn.recv()) is not None:
            nurse_ids, visit_ids, rounds, seed, balance = task
            piece = ([ctx.nurses[n] for n in nurse_ids], [ctx.visits[v] for v in visit_ids])
            out, _ = _solve_pieces(
                ctx,
                [piece],
                rounds,
                deadline,
                config.piece_iterations,
                config.piece_patience,
                seed,
                config.search,
                None,
                balance,
                cpu_end - time.process_time(),
            )
            spent = min(deadline - time.monotonic(), cpu_end - time.process_time()) <= 0.05
            conn.send((out, spent))
    except EOFError:
        pass
    finally:
        conn.close()


def _decomposed_async(
    ctx: Context,
    feas: Feasibility,
    visits: Sequence[Visit],
    rounds: dict[str, list[Action]],
    *,
    deadline: float,
    seed: int,
    workers: int,
    should_stop: Callable[[], bool] | None,
    config: DecomposeConfig,
    parts: int,
    balance_weight: float,
    cpu_budget: float,
) -> dict[str, list[Action]]:
    """``_decomposed`` with ``workers`` persistent processes and no barrier between passes.

    The main process only hands out pieces: a worker that is done gets the next piece of the current
    cut of the day whose nurses nobody is searching; when none is left, the day is cut again from the
    current rounds (the pieces being searched keep their nurses, their visits and their rounds until
    they come back). Nobody waits for the slowest piece of a pass, and no process is started per pass.
    Results depend on timing (not repeatable); ``_decomposed`` with ``max_passes`` is.
    """
    mp = multiprocessing.get_context("fork")
    conns: list[Connection] = []
    procs = []
    for _ in range(workers):
        parent, child = mp.Pipe()
        proc = mp.Process(target=_piece_worker, args=(child, ctx, config, deadline, cpu_budget), daemon=True)
        proc.start()
        child.close()
        conns.append(parent)
        procs.append(proc)
    queue: list[tuple[list[Nurse], list[Visit]]] = []
    busy: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    free = list(range(workers))
    drawn = sent = 0
    balance: Balance | None = None
    timings: Timings = {}  # reassign_rounds

    def next_task() -> tuple[list[str], list[str]] | None:
        busy_n = frozenset().union(*(b[0] for b in busy.values()))
        busy_v = frozenset().union(*(b[1] for b in busy.values()))
        placed = {a.visit for acts in rounds.values() for a in acts if isinstance(a, VisitAction)}
        for k, (nurses, part) in enumerate(queue):
            ids = [n.id for n in nurses]
            if busy_n.intersection(ids):
                continue
            del queue[k]
            mine = [a.visit for n in ids for a in rounds.get(n, []) if isinstance(a, VisitAction)]
            extra = [v.id for v in part if v.id not in placed and v.id not in busy_v]
            return ids, mine + extra
        return None

    try:
        while True:
            if should_stop is not None and should_stop():
                break
            if deadline - time.monotonic() < 0.1:
                break
            for w in list(free):
                task = next_task()
                if task is None:  # cut the day again (the first time: by geography)
                    if drawn == 0 and config.geo_start:
                        queue, rounds = _geo_start(ctx, feas, visits, parts, rng=random.Random(seed))
                    else:
                        busy_n = frozenset().union(*(b[0] for b in busy.values()))
                        busy_v = frozenset().union(*(b[1] for b in busy.values()))
                        rounds = _insert_missing(ctx, visits, rounds, busy_n, busy_v)
                        if config.reassign:
                            rounds, _ = reassign_rounds(
                                ctx, rounds, busy_n, config.reassign, balance, timings
                            )
                        queue = _pieces(ctx, feas, visits, rounds, parts, random.Random(seed + drawn))
                    balance = _balance(ctx, rounds, balance_weight)
                    drawn += 1
                    task = next_task()
                    if task is None:
                        break
                nurse_ids, visit_ids = task
                piece_rounds = {n: rounds.get(n, []) for n in nurse_ids}
                conns[w].send((nurse_ids, visit_ids, piece_rounds, seed + 1000 * drawn + sent, balance))
                busy[w] = (frozenset(nurse_ids), frozenset(visit_ids))
                free.remove(w)
                sent += 1
            if not busy:
                break  # every worker has used its budget
            for c in multiprocessing.connection.wait([conns[w] for w in busy], timeout=0.2):
                w = conns.index(cast(Connection, c))
                try:
                    out, spent = conns[w].recv()
                except EOFError:
                    out, spent = {}, True
                rounds = {**rounds, **out}
                if TRACE_ROUNDS is not None:
                    TRACE_ROUNDS(rounds)
                del busy[w]
                if not spent:
                    free.append(w)
        stopped = should_stop is not None and should_stop()
        for w in list(busy):
            if stopped:  # the planner pressed stop: the pieces being searched keep their rounds
                procs[w].terminate()
                continue
            with contextlib.suppress(EOFError):
                out, _ = conns[w].recv()
                rounds = {**rounds, **out}
    finally:
        for w, proc in enumerate(procs):
            with contextlib.suppress(OSError, BrokenPipeError):
                if proc.is_alive():
                    conns[w].send(None)
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
            conns[w].close()
    rounds = _insert_missing(ctx, visits, rounds)
    if config.reassign:
        rounds, _ = reassign_rounds(ctx, rounds, (), config.reassign, balance, timings)
    return rounds


def _decomposed(
    ctx: Context,
    feas: Feasibility,
    visits: Sequence[Visit],
    rounds: dict[str, list[Action]],
    *,
    deadline: float,
    seed: int,
    workers: int,
    should_stop: Callable[[], bool] | None,
    config: DecomposeConfig,
    max_passes: int | None = None,
    balance_weight: float = 0.0,
    cpu_budget: float = math.inf,
) -> dict[str, list[Action]]:
    """Improve ``rounds`` piece by piece until ``deadline`` (or ``max_passes`` passes over the day, or
    ``cpu_budget`` CPU seconds used by each worker: what ``deadline`` would give on an idle machine).

    Each pass cuts the day into pieces of about ``config.piece_visits`` visits (other borders at every
    pass; the first cut by geography, ``_geo_start``) and gives each piece up to
    ``config.piece_iterations`` iterations of the tuned search. Small problems make every iteration cheap
    (the cost of one grows with the size of the problem), so the day as a whole gets many more improving
    moves. With ``workers`` > 1 and no ``max_passes``, persistent worker processes take the pieces as
    they become free (``_decomposed_async``); with ``max_passes`` (tests, deterministic comparisons)
    every pass ends when all its pieces are done and the workers take the pieces in turn.
    """
    parts = max(workers, round(len(visits) / config.piece_visits))
    parts = -(-parts // workers) * workers  # a multiple of the workers: they finish together
    if workers > 1 and max_passes is None and config.asynchronous:
        return _decomposed_async(
            ctx,
            feas,
            visits,
            rounds,
            deadline=deadline,
            seed=seed,
            workers=workers,
            should_stop=should_stop,
            config=config,
            parts=parts,
            balance_weight=balance_weight,
            cpu_budget=cpu_budget,
        )
    rng = random.Random(seed)
    mp = multiprocessing.get_context("fork")
    done = 0
    used = [0.0] * workers  # CPU seconds of each worker (the main process is worker 0)
    timings: Timings = {}  # reassign_rounds
    while max_passes is None or done < max_passes:
        if deadline - time.monotonic() < 0.5 or (should_stop is not None and should_stop()):
            break
        if max(used) > cpu_budget - 0.5:
            break
        cpu0 = time.process_time()
        if done == 0 and config.geo_start:
            pieces, rounds = _geo_start(ctx, feas, visits, parts, rng)
        else:
            pieces = _pieces(ctx, feas, visits, rounds, parts, rng)
        balance = _balance(ctx, rounds, balance_weight)
        pass_seed = seed + 1000 * (done + 1)
        procs = []
        for w in range(1, workers):
            parent, child = mp.Pipe(duplex=False)
            proc = mp.Process(
                target=_solve_pieces_in_child,
                args=(
                    child,
                    ctx,
                    pieces[w::workers],
                    rounds,
                    deadline,
                    config.piece_iterations,
                    config.piece_patience,
                    pass_seed + 100 * w,
                    config.search,
                    balance,
                    cpu_budget - used[w],
                ),
            )
            proc.start()
            child.close()
            procs.append((proc, parent))
        new = dict(rounds)
        mine, _ = _solve_pieces(
            ctx,
            pieces[0::workers],
            rounds,
            deadline,
            config.piece_iterations,
            config.piece_patience,
            pass_seed,
            config.search,
            should_stop,
            balance,
            cpu_budget - used[0] - (time.process_time() - cpu0),
        )
        new.update(mine)
        stopped = should_stop is not None and should_stop()
        for w, (proc, parent) in enumerate(procs, start=1):
            if stopped:  # the planner pressed stop: the other pieces keep their rounds
                proc.terminate()
            else:
                with contextlib.suppress(EOFError):
                    theirs, cpu = parent.recv()
                    new.update(theirs)
                    used[w] += cpu
            proc.join()
        rounds = _insert_missing(ctx, visits, new)
        if config.reassign:
            rounds, _ = reassign_rounds(ctx, rounds, (), config.reassign, balance, timings)
        used[0] += time.process_time() - cpu0
        done += 1
    return rounds


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
    balance: float = 0.0,
    cpu_time: bool = False,
) -> EngineResult:
    """Solve with PyVRP; returns each nurse's ordered actions (not yet timed or checked).

    ``warm_start``: start from the greedy plan (``greedy``), from PyVRP's own start (``none``: PyVRP's
    default search, no tuning) or ``auto`` (greedy for days with bags or of 200 visits or more, where it
    pays off, with the tuned search). With ``workers`` > 1, that many searches run in parallel processes
    with other seeds (tuned days: other neighbourhoods; small plain days: the second one uses the other
    kind of start) and the best plan wins. Tuned days of ≥ 400 visits are searched piece by piece
    (``_decomposed``), each worker process taking the next free piece. ``balance`` > 0 (which implies
    the tuned search) adds the workload-balance term: each minute of work beyond the fair share of a
    shift costs ``balance`` minutes of travel. ``cpu_time`` (benchmarks on a shared machine): on days searched piece by piece,
    ``time_limit`` counts the CPU seconds of each worker instead of wall seconds, i.e. simulates an idle
    machine with one core per worker.
    """
    t0 = time.perf_counter()
    tuned = (_tuned(ctx, visits) or balance > 0) and warm_start != "none"
    use_greedy = tuned or warm_start == "greedy" or (warm_start == "auto" and len(visits) >= 200)
    start_rounds = greedy_rounds(ctx, feas, visits)
    if tuned and len(visits) >= DECOMPOSE_FROM and max_iterations is None:
        # The day piece by piece (see ADR 0003), then, if DECOMPOSE.share < 1, the whole day.
        left = time_limit - (time.perf_counter() - t0)
        start_rounds = _decomposed(
            ctx,
            feas,
            visits,
            start_rounds,
            deadline=math.inf if cpu_time else time.monotonic() + DECOMPOSE.share * left,
            cpu_budget=DECOMPOSE.share * left if cpu_time else math.inf,
            seed=seed,
            workers=max(workers, 1),
            should_stop=should_stop,
            config=DECOMPOSE,
            balance_weight=balance,
        )
        if DECOMPOSE.share >= 1 or (should_stop is not None and should_stop()):
            return EngineResult(routes=start_rounds, objective=math.nan)
    built = build_problem(
        ctx,
        visits,
        TUNED_PRIZE_FACTOR if tuned else PLAIN_PRIZE_FACTOR,
        balance=_balance(ctx, start_rounds, balance) if tuned else None,
    )
    greedy = initial_solution(built, start_rounds)
    remaining = time_limit - (time.perf_counter() - t0)
    criteria: list[StoppingCriterion] = [MaxRuntime(max(remaining, 0.01))]
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    stop: StoppingCriterion = MultipleCriteria(criteria) if len(criteria) > 1 else criteria[0]
    main_stop: StoppingCriterion = (
        MultipleCriteria([*criteria, _AskCaller(should_stop)]) if should_stop is not None else stop
    )
    # Each search: (greedy start?, tuned configuration or None for PyVRP's defaults). Tuned days: the
    # searches differ by neighbourhood and seed. Small plain days: hedge between the two kinds of start.
    runs: list[tuple[bool, SearchConfig | None]] = []
    for k in range(max(workers, 1)):
        if tuned:
            runs.append((True, WORKER_CONFIGS[k % len(WORKER_CONFIGS)]))
        else:
            runs.append(((not use_greedy) if k == 1 and len(visits) < 200 else use_greedy, None))
    picks: list[_Picked] = []
    if len(runs) == 1:
        g, config = runs[0]
        picks.append(_run(built, main_stop, seed, greedy if g else None, config))
    else:
        mp = multiprocessing.get_context("fork")
        procs = []
        for k, (g, config) in enumerate(runs[1:], start=1):
            parent, child = mp.Pipe(duplex=False)
            proc = mp.Process(
                target=_run_in_child, args=(child, built, stop, seed + k, greedy if g else None, config)
            )
            proc.start()
            child.close()
            procs.append((proc, parent))
        g, config = runs[0]
        picks.append(_run(built, main_stop, seed, greedy if g else None, config))
        stopped = should_stop is not None and should_stop()
        for proc, parent in procs:
            if stopped:
                proc.terminate()
            else:
                with contextlib.suppress(EOFError):
                    picks.append(parent.recv())
            proc.join()
    best = min(picks, key=lambda p: (p[0], p[1], p[2]))
    return EngineResult(
        routes=_to_rounds(built, best),
        objective=float(best[2] - built.count_unit * _placed(best)) / _scale_for(ctx) / built.dist_mult,
    )


def _placed(picked: _Picked) -> int:
    """Visits placed in a picked solution."""
    return sum(1 for _, acts in picked[3] for kind, _ in acts if kind != ActivityType.PICKUP.value)


def _to_rounds(built: _Built, picked: _Picked) -> dict[str, list[Action]]:
    """Each nurse's ordered actions in a picked solution (bags collected together form one pick-up)."""
    pools = [list(g) for g in built.groups]
    routes: dict[str, list[Action]] = {}
    for vt, acts in picked[3]:
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
    return routes
