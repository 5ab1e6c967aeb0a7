"""Timing of one nurse's round: turn an ordered list of actions into timed stops, or say why it is infeasible.

Used by the solver (to time its routes exactly and repair them), by re-planning and by insertion. The
schedule is "as soon as possible": the nurse leaves each stop as soon as she is done and waits on site
when early; only the first leg from home is delayed so that she does not wait at her first stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parcours.optimiser.model import Instance, Nurse, PickupStop, Stop, Visit, VisitStop
from parcours.optimiser.travel import TravelTable

EPS = 1e-7


@dataclass(frozen=True, slots=True)
class PickupAction:
    depot: str
    bags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VisitAction:
    visit: str


Action = PickupAction | VisitAction


@dataclass(frozen=True, slots=True)
class Head:
    """The fixed beginning of a round (already done or under way when re-planning)."""

    stops: tuple[Stop, ...]
    point: int
    time: float
    visits: int
    load: float
    carried: frozenset[str]
    travel: float
    done: float | None = None  # when the frozen stops end (the nurse may go home from then)


@dataclass(frozen=True, slots=True)
class Timed:
    stops: tuple[Stop, ...]
    travel: float
    error: str | None
    culprit: str | None = None  # the visit at which the round breaks (to drop it when repairing)

    @property
    def ok(self) -> bool:
        return self.error is None


class Context:
    """Everything the timing needs about an instance, precomputed once."""

    def __init__(self, instance: Instance, table: TravelTable | None = None) -> None:
        self.instance = instance
        self.table = table if table is not None else TravelTable(instance)
        self.visits = instance.visit_by_id()
        self.nurses = instance.nurse_by_id()
        self.depots = {d.id: d for d in instance.depots}

    def empty_head(self, nurse: Nurse, not_before: float = 0.0) -> Head:
        return Head(
            stops=(),
            point=self.table.start_index[nurse.id],
            time=max(nurse.shift_start, not_before),
            visits=0,
            load=0.0,
            carried=frozenset(),
            travel=0.0,
        )

    def stop_point(self, stop: Stop | Action) -> int:
        if isinstance(stop, PickupStop | PickupAction):
            return self.table.depot_index[stop.depot]
        return self.table.visit_index[stop.visit]

    def head_from_stops(self, nurse: Nurse, stops: Sequence[Stop], not_before: float) -> Head:
        """A head made of already-timed stops (kept as they are); the nurse is free from ``not_before``."""
        if not stops:
            return self.empty_head(nurse, not_before)
        rows = self.table.rows
        point = self.table.start_index[nurse.id]
        travel = 0.0
        visits = 0
        load = 0.0
        carried: set[str] = set()
        for s in stops:
            nxt = self.stop_point(s)
            travel += rows[point][nxt]
            point = nxt
            if isinstance(s, PickupStop):
                carried.update(s.bags)
            else:
                visits += 1
                load += self.visits[s.visit].demand if s.visit in self.visits else 0.0
                carried.discard(s.visit)
        last = stops[-1]
        time = last.depart if isinstance(last, PickupStop) else last.end
        return Head(
            stops=tuple(stops),
            point=point,
            time=max(time, not_before),
            visits=visits,
            load=load,
            carried=frozenset(carried),
            travel=travel,
            done=time,
        )


def time_route(ctx: Context, nurse: Nurse, actions: Sequence[Action], head: Head | None = None) -> Timed:
    """Time ``actions`` after ``head`` (default: leaving home at shift start) for ``nurse``."""
    if head is None:
        head = ctx.empty_head(nurse)
    rows = ctx.table.rows
    point, t, travel = head.point, head.time, head.travel
    count, load = head.visits, head.load
    carried = set(head.carried)
    stops: list[Stop] = list(head.stops)
    first_leg = not head.stops
    for a in actions:
        if isinstance(a, PickupAction):
            depot = ctx.depots.get(a.depot)
            if depot is None:
                return Timed((), 0.0, f"unknown depot {a.depot}")
            ready = 0.0
            for b in a.bags:
                v = ctx.visits.get(b)
                if v is None or v.bag is None or v.bag.depot != a.depot:
                    return Timed((), 0.0, f"visit {b} has no bag at depot {a.depot}", b)
                ready = max(ready, v.bag.ready)
            nxt = ctx.table.depot_index[a.depot]
            leg = rows[point][nxt]
            arrive = t + leg
            service = max(arrive, ready)
            if first_leg:
                arrive = service
            depart = service + depot.pickup_min
            stops.append(PickupStop(depot=a.depot, bags=tuple(a.bags), arrive=arrive, depart=depart))
            carried.update(a.bags)
            t = depart
        else:
            visit = ctx.visits.get(a.visit)
            if visit is None:
                return Timed((), 0.0, f"unknown visit {a.visit}", a.visit)
            if not visit.skills <= nurse.skills:
                return Timed((), 0.0, f"nurse {nurse.id} lacks skills for {visit.id}", visit.id)
            nxt = ctx.table.visit_index[a.visit]
            leg = rows[point][nxt]
            arrive = t + leg
            start = max(arrive, visit.window_start)
            if first_leg:
                arrive = start
            if start > visit.window_end + EPS:
                return Timed((), 0.0, f"{visit.id} starts after its window", visit.id)
            if visit.bag is not None:
                if visit.id not in carried:
                    return Timed((), 0.0, f"{visit.id} has no bag collected", visit.id)
                if start > visit.bag.expiry + EPS:
                    return Timed((), 0.0, f"{visit.id} starts after its bag's stability limit", visit.id)
                carried.discard(visit.id)
            end = start + visit.duration_min
            stops.append(VisitStop(visit=visit.id, arrive=arrive, start=start, end=end))
            count += 1
            load += visit.demand
            t = end
        travel += leg
        point = nxt
        first_leg = False
    leg = rows[point][ctx.table.end_index[nurse.id]]
    travel += leg
    if not actions and head.done is not None:
        t = head.done  # nothing new: she goes home as soon as the frozen part is done
    last = next((s.visit for s in reversed(stops[len(head.stops) :]) if isinstance(s, VisitStop)), None)
    if t + leg > nurse.shift_end + EPS:
        return Timed((), 0.0, f"nurse {nurse.id} back after shift end", last)
    if nurse.max_visits is not None and count > nurse.max_visits:
        return Timed((), 0.0, f"nurse {nurse.id} over max_visits", last)
    if nurse.capacity is not None and load > nurse.capacity + EPS:
        return Timed((), 0.0, f"nurse {nurse.id} over capacity", last)
    return Timed(tuple(stops), travel, None)


def actions_of(stops: Sequence[Stop]) -> list[Action]:
    out: list[Action] = []
    for s in stops:
        if isinstance(s, PickupStop):
            out.append(PickupAction(s.depot, s.bags))
        else:
            out.append(VisitAction(s.visit))
    return out


def bag_visits(visits: Sequence[Visit]) -> list[Visit]:
    return [v for v in visits if v.bag is not None]
