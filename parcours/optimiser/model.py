"""Immutable data model of the route optimiser: the day to plan (`Instance`) and its plan (`Plan`).

All times are **minutes from midnight** as floats (a day-long instance lives in ``[0, 1440)``, benchmark
instances may go beyond). Durations are minutes. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TravelKind = Literal["haversine", "euclidean", "matrix"]
Rounding = Literal["none", "dimacs"]


@dataclass(frozen=True, slots=True)
class TravelModel:
    """How travel times are computed.

    * ``haversine``: great-circle distance (R = 6371.0 km) × ``detour_factor`` at ``speed_kmh``;
      minutes = km × detour_factor / speed_kmh × 60.
    * ``euclidean``: minutes = Euclidean distance between ``(x, y)`` points; with ``rounding="dimacs"``
      the distance is truncated to one decimal (``floor(10·d) / 10``, the DIMACS VRPTW convention).
    * ``matrix``: ``minutes[i][j]`` between the points named ``ids[i]`` and ``ids[j]``.
    """

    kind: TravelKind
    speed_kmh: float = 30.0
    detour_factor: float = 1.3
    rounding: Rounding = "none"
    ids: tuple[str, ...] = ()
    minutes: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Point:
    """A place. ``key`` names it in a ``matrix`` travel model; ``x``/``y`` are lat/lon (haversine) or x/y."""

    key: str
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True, slots=True)
class Depot:
    """A hospital pharmacy where infusion bags are collected; each pick-up stop lasts ``pickup_min``."""

    id: str
    point: Point
    pickup_min: float = 0.0


@dataclass(frozen=True, slots=True)
class Bag:
    """An infusion bag prepared at ``depot``, collectable from ``ready``, to give by ready + stability."""

    depot: str
    ready: float
    stability_min: float

    @property
    def expiry(self) -> float:
        return self.ready + self.stability_min


@dataclass(frozen=True, slots=True)
class Nurse:
    id: str
    start: Point
    end: Point
    shift_start: float
    shift_end: float
    skills: frozenset[str] = frozenset()
    max_visits: int | None = None
    capacity: float | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    id: str
    point: Point
    window_start: float
    window_end: float
    duration_min: float
    skills: frozenset[str] = frozenset()
    demand: float = 0.0
    bag: Bag | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    date: str
    travel: TravelModel
    depots: tuple[Depot, ...]
    nurses: tuple[Nurse, ...]
    visits: tuple[Visit, ...]

    def depot(self, depot_id: str) -> Depot:
        for d in self.depots:
            if d.id == depot_id:
                return d
        raise KeyError(depot_id)

    def visit_by_id(self) -> dict[str, Visit]:
        return {v.id: v for v in self.visits}

    def nurse_by_id(self) -> dict[str, Nurse]:
        return {n.id: n for n in self.nurses}


@dataclass(frozen=True, slots=True)
class PickupStop:
    """A stop at a pharmacy: the nurse arrives at ``arrive``, collects ``bags`` and leaves at ``depart``.

    The collection itself takes the depot's ``pickup_min`` and ends at ``depart``; it must start no earlier
    than every listed bag's ready time (the nurse may wait in between).
    """

    depot: str
    bags: tuple[str, ...]
    arrive: float
    depart: float
    type: Literal["pickup"] = "pickup"


@dataclass(frozen=True, slots=True)
class VisitStop:
    visit: str
    arrive: float
    start: float
    end: float
    type: Literal["visit"] = "visit"


Stop = PickupStop | VisitStop


@dataclass(frozen=True, slots=True)
class Route:
    nurse: str
    stops: tuple[Stop, ...]
    travel_min: float


@dataclass(frozen=True, slots=True)
class Unassigned:
    visit: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    total_travel_min: float
    solve_seconds: float
    engine: str = ""
