"""The day plan as an OR-Tools routing problem (alternative engine, kept for comparison; see the ADR).

Nodes: one start and one end node per nurse, one node per visit, one pick-up node per bag (at its
pharmacy). Pick-up and delivery are paired (same nurse, pick-up first); a time dimension carries
windows, shifts, bag release and stability; max_visits and capacity are exact cumulative dimensions;
skills restrict the allowed vehicles; every visit is optional with a large penalty. Warm-started with
the same greedy plan as the PyVRP engine, then guided local search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from parcours.optimiser.construct import greedy_rounds
from parcours.optimiser.model import Visit
from parcours.optimiser.precheck import Feasibility
from parcours.optimiser.schedule import Action, Context, PickupAction, VisitAction
from parcours.optimiser.solver_pyvrp import EngineResult


def solve_ortools(
    ctx: Context, feas: Feasibility, visits: Sequence[Visit], *, time_limit: float, seed: int
) -> EngineResult:
    del seed  # OR-Tools' local search is deterministic
    travel = ctx.instance.travel
    scale = 10 if travel.kind == "euclidean" and travel.rounding == "dimacs" else 60
    table = ctx.table
    rows = table.rows
    nurses = list(ctx.instance.nurses)
    nv = len(nurses)
    # node → (location index in the travel table, service duration, kind, visit id)
    loc: list[int] = []
    service: list[int] = []
    pickup_depot: list[str | None] = []
    node_visit: list[str | None] = []
    for n in nurses:
        loc.append(table.start_index[n.id])
        service.append(0)
        pickup_depot.append(None)
        node_visit.append(None)
    for n in nurses:
        loc.append(table.end_index[n.id])
        service.append(0)
        pickup_depot.append(None)
        node_visit.append(None)
    visit_node: dict[str, int] = {}
    pickup_node: dict[str, int] = {}
    for v in visits:
        visit_node[v.id] = len(loc)
        loc.append(table.visit_index[v.id])
        service.append(math.ceil(v.duration_min * scale - 1e-6))
        pickup_depot.append(None)
        node_visit.append(v.id)
    for v in visits:
        if v.bag is not None:
            pickup_node[v.id] = len(loc)
            loc.append(table.depot_index[v.bag.depot])
            service.append(0)
            pickup_depot.append(v.bag.depot)
            node_visit.append(v.id)
    n_nodes = len(loc)
    pad = {d.id: math.ceil(d.pickup_min * scale - 1e-6) for d in ctx.instance.depots}

    manager = pywrapcp.RoutingIndexManager(n_nodes, nv, list(range(nv)), list(range(nv, 2 * nv)))
    routing = pywrapcp.RoutingModel(manager)

    dist = [[round(rows[loc[i]][loc[j]] * scale) for j in range(n_nodes)] for i in range(n_nodes)]

    def time_of(i: int, j: int) -> int:
        t = service[i] + math.ceil(rows[loc[i]][loc[j]] * scale - 1e-6)
        dep = pickup_depot[j]
        if dep is not None and pickup_depot[i] != dep:
            t += pad[dep]
        return t

    def cost_cb(a: int, b: int) -> int:
        return int(dist[manager.IndexToNode(a)][manager.IndexToNode(b)])

    def time_cb(a: int, b: int) -> int:
        return time_of(manager.IndexToNode(a), manager.IndexToNode(b))

    cost_idx = routing.RegisterTransitCallback(cost_cb)
    time_idx = routing.RegisterTransitCallback(time_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(cost_idx)
    horizon = int(max(n.shift_end for n in nurses) * scale) + 1
    routing.AddDimension(time_idx, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for k, n in enumerate(nurses):
        tdim.CumulVar(routing.Start(k)).SetRange(math.ceil(n.shift_start * scale - 1e-6), horizon)
        tdim.CumulVar(routing.End(k)).SetRange(0, math.floor(n.shift_end * scale + 1e-6))
    max_edge = max((max(r) for r in dist), default=1)
    penalty = 10 * max(max_edge, 1) + 1
    solver = routing.solver()
    for v in visits:
        vn = manager.NodeToIndex(visit_node[v.id])
        latest = v.window_end if v.bag is None else min(v.window_end, v.bag.expiry)
        tdim.CumulVar(vn).SetRange(
            math.ceil(v.window_start * scale - 1e-6), math.floor(latest * scale + 1e-6)
        )
        allowed = [k for k, n in enumerate(nurses) if v.skills <= n.skills]
        if len(allowed) < nv:
            routing.VehicleVar(vn).SetValues([-1, *allowed])
        if v.bag is None:
            routing.AddDisjunction([vn], penalty)
            continue
        pn = manager.NodeToIndex(pickup_node[v.id])
        pmin = ctx.depots[v.bag.depot].pickup_min
        tdim.CumulVar(pn).SetRange(math.ceil((v.bag.ready + pmin) * scale - 1e-6), horizon)
        if len(allowed) < nv:
            routing.VehicleVar(pn).SetValues([-1, *allowed])
        routing.AddPickupAndDelivery(pn, vn)
        solver.Add(routing.VehicleVar(pn) == routing.VehicleVar(vn))
        solver.Add(tdim.CumulVar(pn) <= tdim.CumulVar(vn))
        routing.AddDisjunction([pn, vn], penalty, 2)
    if any(n.max_visits is not None for n in nurses):
        count_idx = routing.RegisterUnaryTransitCallback(
            lambda a: (
                1
                if node_visit[manager.IndexToNode(a)] is not None
                and pickup_depot[manager.IndexToNode(a)] is None
                else 0
            )
        )
        routing.AddDimensionWithVehicleCapacity(
            count_idx,
            0,
            [n.max_visits if n.max_visits is not None else 10**6 for n in nurses],
            True,
            "visits",
        )
    if any(n.capacity is not None for n in nurses):
        demand = {visit_node[v.id]: math.ceil(v.demand * 1000 - 1e-9) for v in visits}
        dem_idx = routing.RegisterUnaryTransitCallback(lambda a: demand.get(manager.IndexToNode(a), 0))
        routing.AddDimensionWithVehicleCapacity(
            dem_idx,
            0,
            [math.floor(n.capacity * 1000 + 1e-9) if n.capacity is not None else 10**12 for n in nurses],
            True,
            "demand",
        )

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(int(time_limit * 1000), 10))

    greedy = greedy_rounds(ctx, feas, visits)
    initial: list[list[int]] = []
    for n in nurses:
        seq: list[int] = []
        for a in greedy.get(n.id, []):
            if isinstance(a, PickupAction):
                seq += [manager.NodeToIndex(pickup_node[b]) for b in a.bags]
            else:
                seq.append(manager.NodeToIndex(visit_node[a.visit]))
        initial.append(seq)
    routing.CloseModelWithParameters(params)
    start: Any = routing.ReadAssignmentFromRoutes(initial, True)
    solution: Any = (
        routing.SolveFromAssignmentWithParameters(start, params)
        if start is not None
        else routing.SolveWithParameters(params)
    )
    routes: dict[str, list[Action]] = {}
    if solution is None:
        return EngineResult(routes=routes, objective=math.inf)
    for k, n in enumerate(nurses):
        idx = routing.Start(k)
        actions: list[Action] = []
        idx = solution.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            vid = node_visit[node]
            dep = pickup_depot[node]
            if vid is not None and dep is not None:
                prev = actions[-1] if actions else None
                if isinstance(prev, PickupAction) and prev.depot == dep:
                    actions[-1] = PickupAction(dep, (*prev.bags, vid))
                else:
                    actions.append(PickupAction(dep, (vid,)))
            elif vid is not None:
                actions.append(VisitAction(vid))
            idx = solution.Value(routing.NextVar(idx))
        if actions:
            routes[n.id] = actions
    return EngineResult(routes=routes, objective=float(solution.ObjectiveValue()) / scale)
