"""Independent plan checker: verifies every hard constraint of a plan against its instance.

Deliberately shares no code with the solver: it reads the raw JSON (already validated by the instance
parser), computes travel times itself and re-derives every rule. Times in the plan may be minutes from
midnight (numbers) or ``"HH:MM[:SS]"`` strings.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TOL = 1e-5  # minutes (plans are written rounded to 1e-6)
TRAVEL_TOL = 1e-3


@dataclass(frozen=True, slots=True)
class CheckResult:
    violations: tuple[str, ...]
    routes: int
    visits_placed: int
    visits_unassigned: int
    total_travel_min: float

    @property
    def ok(self) -> bool:
        return not self.violations


def _minutes(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        parts = [int(p) for p in value.split(":")]
        if len(parts) == 2:
            return parts[0] * 60.0 + parts[1]
        if len(parts) == 3:
            return parts[0] * 60.0 + parts[1] + parts[2] / 60.0
    raise ValueError(f"not a time: {value!r}")


def _fmt(t: float) -> str:
    sec = round(t * 60)
    return f"{sec // 3600:02d}:{sec % 3600 // 60:02d}:{sec % 60:02d}"


class _Travel:
    def __init__(self, travel: Mapping[str, Any]) -> None:
        self.kind = travel["kind"]
        self.speed = float(travel.get("speed_kmh", 30.0))
        self.detour = float(travel.get("detour_factor", 1.0))
        self.dimacs = travel.get("rounding") == "dimacs"
        if self.kind == "matrix":
            self.index = {k: i for i, k in enumerate(travel["ids"])}
            self.matrix: list[list[float]] = [[float(x) for x in row] for row in travel["minutes"]]

    def minutes(self, a: tuple[str, float, float], b: tuple[str, float, float]) -> float:
        if self.kind == "matrix":
            return self.matrix[self.index[a[0]]][self.index[b[0]]]
        if self.kind == "euclidean":
            d = math.sqrt((a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2)
            return math.floor(d * 10.0) / 10.0 if self.dimacs else d
        if a[1:] == b[1:]:
            return 0.0
        p1, p2 = math.radians(a[1]), math.radians(b[1])
        dp, dl = p2 - p1, math.radians(b[2] - a[2])
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        km = 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))
        return km * self.detour / self.speed * 60.0


def _place(obj: Mapping[str, Any], kind: str, default_id: str) -> tuple[str, float, float]:
    if kind == "matrix":
        return (str(obj.get("id", default_id)), 0.0, 0.0)
    if kind == "haversine":
        return (default_id, float(obj["lat"]), float(obj["lon"]))
    return (default_id, float(obj["x"]), float(obj["y"]))


def check_plan(instance: Mapping[str, Any], plan: Mapping[str, Any]) -> CheckResult:
    """All violations of ``plan`` for ``instance`` (both decoded JSON; the instance must be valid)."""
    v_out: list[str] = []
    travel = _Travel(instance["travel"])
    kind = travel.kind
    depots = {d["id"]: d for d in instance["depots"]}
    nurses = {n["id"]: n for n in instance["nurses"]}
    visits = {v["id"]: v for v in instance["visits"]}
    seen_visits: dict[str, str] = {}
    seen_nurses: set[str] = set()
    # bag (visit id) → its collections (where, route, time) and the route that gives it: a bag is collected
    # once, or again only after a collection by a round that did not give it (re-planning: bags left with a
    # nurse off sick are collected anew by a colleague)
    bag_collections: dict[str, list[tuple[str, int, float]]] = {}
    bag_given_in: dict[str, int] = {}
    total = 0.0
    placed = 0

    routes = plan.get("routes")
    if not isinstance(routes, list):
        return CheckResult(("plan.routes: missing or not a list",), 0, 0, 0, 0.0)
    for ri, route in enumerate(routes):
        where_r = f"routes[{ri}]"
        nid = route.get("nurse")
        nurse = nurses.get(nid)
        if nurse is None:
            v_out.append(f"{where_r}: unknown nurse {nid!r}")
            continue
        if nid in seen_nurses:
            v_out.append(f"{where_r}: nurse {nid} has more than one route")
        seen_nurses.add(nid)
        skills = set(nurse.get("skills", []))
        shift0, shift1 = _minutes(nurse["shift"][0]), _minutes(nurse["shift"][1])
        here = _place(nurse["start"], kind, f"{nid}:start")
        home = _place(nurse["end"], kind, f"{nid}:end")
        t_free = shift0  # earliest moment the nurse may leave her current place
        route_travel = 0.0
        n_visits = 0
        demand = 0.0
        collected: dict[str, float] = {}  # bag (visit id) → time its collection started
        for si, stop in enumerate(route.get("stops", [])):
            where = f"{where_r}.stops[{si}]"
            try:
                arrive = _minutes(stop["arrive"])
                if stop.get("type") == "pickup":
                    depart = _minutes(stop["depart"])
                else:
                    start, end = _minutes(stop["start"]), _minutes(stop["end"])
            except (KeyError, ValueError, TypeError) as exc:
                v_out.append(f"{where}: missing or invalid time field ({exc})")
                continue
            if stop.get("type") == "pickup":
                depot = depots.get(stop.get("depot"))
                if depot is None:
                    v_out.append(f"{where}: unknown depot {stop.get('depot')!r}")
                    continue
                dest = _place(depot, kind, depot["id"])
                leg = travel.minutes(here, dest)
                if arrive < t_free + leg - TOL:
                    v_out.append(
                        f"{where}: arrives at {depot['id']} at {_fmt(arrive)}, but cannot be there "
                        f"before {_fmt(t_free + leg)} (travel {leg:.2f} min)"
                    )
                pickup = float(depot.get("pickup_min", 0))
                if depart - arrive < pickup - TOL:
                    v_out.append(
                        f"{where}: pick-up lasts {depart - arrive:.2f} min, less than pickup_min {pickup:g}"
                    )
                service_start = depart - pickup
                for bag_vid in stop.get("bags", []):
                    bv = visits.get(bag_vid)
                    if bv is None or bv.get("bag") is None:
                        v_out.append(f"{where}: {bag_vid!r} is not a visit with a bag")
                        continue
                    bag = bv["bag"]
                    if bag["depot"] != depot["id"]:
                        v_out.append(
                            f"{where}: bag of {bag_vid} is prepared at {bag['depot']}, not at {depot['id']}"
                        )
                        continue
                    ready = _minutes(bag["ready"])
                    if service_start < ready - TOL:
                        v_out.append(
                            f"{where}: bag of {bag_vid} collected from {_fmt(service_start)}, "
                            f"before it is ready at {_fmt(ready)}"
                        )
                        continue
                    if bag_vid in collected:
                        first = next(w for w, r, _ in bag_collections[bag_vid] if r == ri)
                        v_out.append(f"{where}: bag of {bag_vid} is collected twice (already at {first})")
                        continue
                    bag_collections.setdefault(bag_vid, []).append((where, ri, service_start))
                    collected[bag_vid] = service_start
                t_free, here = depart, dest
                route_travel += leg
                continue
            if stop.get("type") != "visit":
                v_out.append(f"{where}: unknown stop type {stop.get('type')!r}")
                continue
            vid = stop.get("visit")
            visit = visits.get(vid)
            if visit is None:
                v_out.append(f"{where}: unknown visit {vid!r}")
                continue
            if vid in seen_visits:
                v_out.append(f"{where}: visit {vid} is already planned at {seen_visits[vid]}")
            seen_visits[vid] = where
            placed += 1
            n_visits += 1
            demand += float(visit.get("demand", 0))
            dest = _place(visit, kind, vid)
            leg = travel.minutes(here, dest)
            if arrive < t_free + leg - TOL:
                v_out.append(
                    f"{where}: arrives at {vid} at {_fmt(arrive)}, but cannot be there before "
                    f"{_fmt(t_free + leg)} (travel {leg:.2f} min) — overlap or travel too short"
                )
            if start < arrive - TOL:
                v_out.append(
                    f"{where}: {vid} starts at {_fmt(start)}, before the nurse arrives at {_fmt(arrive)}"
                )
            w0, w1 = _minutes(visit["window"][0]), _minutes(visit["window"][1])
            if start < w0 - TOL or start > w1 + TOL:
                v_out.append(
                    f"{where}: {vid} starts at {_fmt(start)}, outside its window {_fmt(w0)}–{_fmt(w1)}"
                )
            duration = float(visit["duration_min"])
            if end - start < duration - TOL:
                v_out.append(
                    f"{where}: {vid} lasts {end - start:.2f} min, less than its {duration:g} min duration"
                )
            missing = set(visit.get("skills", [])) - skills
            if missing:
                v_out.append(f"{where}: nurse {nid} lacks skills {sorted(missing)} for {vid}")
            bag = visit.get("bag")
            if bag is not None:
                bag_given_in[vid] = ri
                if vid not in collected:
                    v_out.append(
                        f"{where}: {vid} needs a bag from {bag['depot']}, not collected earlier in this route"
                    )
                limit = _minutes(bag["ready"]) + float(bag["stability_min"])
                if start > limit + TOL:
                    v_out.append(
                        f"{where}: {vid} starts at {_fmt(start)}, after its bag's stability "
                        f"limit {_fmt(limit)}"
                    )
            t_free, here = end, dest
            route_travel += leg
        leg = travel.minutes(here, home)
        route_travel += leg
        if t_free + leg > shift1 + TOL:
            v_out.append(
                f"{where_r}: nurse {nid} is back at {_fmt(t_free + leg)}, after her shift ends "
                f"at {_fmt(shift1)}"
            )
        max_visits = nurse.get("max_visits")
        if max_visits is not None and n_visits > int(max_visits):
            v_out.append(f"{where_r}: nurse {nid} has {n_visits} visits, more than max_visits {max_visits}")
        capacity = nurse.get("capacity")
        if capacity is not None and demand > float(capacity) + TOL:
            v_out.append(f"{where_r}: nurse {nid} carries demand {demand:g}, more than capacity {capacity:g}")
        reported = route.get("travel_min")
        if isinstance(reported, int | float) and abs(float(reported) - route_travel) > TRAVEL_TOL:
            v_out.append(f"{where_r}: travel_min {reported} differs from the recomputed {route_travel:.4f}")
        total += route_travel

    for bag_vid, coll in bag_collections.items():
        coll.sort(key=lambda c: c[2])
        for (first, ri, _), (where, _, _) in itertools.pairwise(coll):
            if bag_given_in.get(bag_vid) == ri:
                v_out.append(f"{where}: bag of {bag_vid} is collected twice (already at {first})")

    unassigned = plan.get("unassigned", [])
    n_unassigned = 0
    for ui, u in enumerate(unassigned if isinstance(unassigned, list) else []):
        vid = u.get("visit")
        if vid not in visits:
            v_out.append(f"unassigned[{ui}]: unknown visit {vid!r}")
            continue
        if vid in seen_visits:
            v_out.append(f"unassigned[{ui}]: {vid} is unassigned but planned at {seen_visits[vid]}")
        seen_visits[vid] = f"unassigned[{ui}]"
        n_unassigned += 1
        if not str(u.get("reason", "")).strip():
            v_out.append(f"unassigned[{ui}]: {vid} has no reason")
    for vid in visits:
        if vid not in seen_visits:
            v_out.append(f"visit {vid} is neither planned nor unassigned")
    reported_total = plan.get("total_travel_min")
    if isinstance(reported_total, int | float) and abs(float(reported_total) - total) > TRAVEL_TOL * max(
        1, len(routes)
    ):
        v_out.append(f"total_travel_min {reported_total} differs from the recomputed {total:.4f}")
    return CheckResult(tuple(v_out), len(routes), placed, n_unassigned, total)


def summary(result: CheckResult) -> str:
    head = "OK" if result.ok else f"{len(result.violations)} violation(s)"
    return (
        f"{head}: {result.routes} routes, {result.visits_placed} visits placed, "
        f"{result.visits_unassigned} unassigned, total travel {result.total_travel_min:.1f} min"
    )
