"""JSON ↔ model. Validation errors name the offending field (``visits[3].window: …``).

Instance times are ``"HH:MM"`` / ``"HH:MM:SS"`` strings or numbers of minutes from midnight (numbers are
accepted for benchmark instances whose horizon exceeds a day). Plans are written with times as minutes
from midnight (floats, rounded to 1e-6); plans read back accept both floats and ``"HH:MM[:SS]"`` strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from parcours.optimiser.model import (
    Bag,
    Depot,
    Instance,
    Nurse,
    PickupStop,
    Plan,
    Point,
    Route,
    Stop,
    TravelModel,
    Unassigned,
    Visit,
    VisitStop,
)
from parcours.optimiser.workload import working_minutes, workload


class InstanceError(ValueError):
    """An invalid instance or plan; ``str(err)`` is ``"<field path>: <message>"``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


_MISSING = object()


def parse_time(value: object, path: str) -> float:
    """``"HH:MM"``, ``"HH:MM:SS"`` or a number of minutes → minutes from midnight."""
    if isinstance(value, bool):
        raise InstanceError(path, f"expected a time 'HH:MM' or minutes, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise InstanceError(path, f"time must be a non-negative number of minutes, got {value!r}")
        return float(value)
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
            hours, minutes = int(parts[0]), int(parts[1])
            seconds = int(parts[2]) if len(parts) == 3 else 0
            if minutes < 60 and seconds < 60:
                return hours * 60.0 + minutes + seconds / 60.0
    raise InstanceError(path, f"expected a time 'HH:MM' or minutes, got {value!r}")


def format_time(minutes: float) -> str:
    """Minutes from midnight → ``"HH:MM"`` (or ``"HH:MM:SS"`` when not a whole minute)."""
    total = round(minutes * 60)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


class _Reader:
    def __init__(self, obj: object, path: str) -> None:
        self.obj = obj
        self.path = path

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.obj, Mapping):
            raise InstanceError(self.path, f"expected an object, got {type(self.obj).__name__}")
        return self.obj

    def get(self, key: str, default: object = _MISSING) -> object:
        m = self.mapping()
        if key not in m:
            if default is _MISSING:
                raise InstanceError(self.sub(key), "missing field")
            return default
        return m[key]

    def string(self, key: str) -> str:
        v = self.get(key)
        if not isinstance(v, str) or not v:
            raise InstanceError(self.sub(key), f"expected a non-empty string, got {v!r}")
        return v

    def number(self, key: str, default: object = _MISSING, minimum: float | None = None) -> float:
        v = self.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InstanceError(self.sub(key), f"expected a number, got {v!r}")
        if minimum is not None and v < minimum:
            raise InstanceError(self.sub(key), f"must be ≥ {minimum:g}, got {v!r}")
        return float(v)

    def optional_number(self, key: str, minimum: float) -> float | None:
        if self.get(key, None) is None:
            return None
        return self.number(key, minimum=minimum)

    def items(self, key: str) -> list[_Reader]:
        v = self.get(key)
        if not isinstance(v, list):
            raise InstanceError(self.sub(key), f"expected a list, got {type(v).__name__}")
        return [_Reader(x, f"{self.sub(key)}[{i}]") for i, x in enumerate(v)]

    def skills(self, key: str) -> frozenset[str]:
        v = self.get(key, [])
        if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
            raise InstanceError(self.sub(key), f"expected a list of skill names, got {v!r}")
        return frozenset(v)

    def interval(self, key: str) -> tuple[float, float]:
        v = self.get(key)
        p = self.sub(key)
        if not isinstance(v, list) or len(v) != 2:
            raise InstanceError(p, f"expected [start, end], got {v!r}")
        start, end = parse_time(v[0], f"{p}[0]"), parse_time(v[1], f"{p}[1]")
        if start > end:
            raise InstanceError(p, f"start {_show(v[0])} is after end {_show(v[1])}")
        return start, end


def _show(v: object) -> str:
    return v if isinstance(v, str) else format_time(float(v))  # type: ignore[arg-type]


def _parse_travel(r: _Reader) -> TravelModel:
    kind = r.get("kind")
    if kind == "haversine":
        return TravelModel(
            kind="haversine",
            speed_kmh=r.number("speed_kmh", 30.0, minimum=1e-9),
            detour_factor=r.number("detour_factor", 1.0, minimum=1e-9),
        )
    if kind == "euclidean":
        rounding = r.get("rounding", "none")
        if rounding not in ("none", "dimacs"):
            raise InstanceError(r.sub("rounding"), f"expected 'none' or 'dimacs', got {rounding!r}")
        return TravelModel(kind="euclidean", rounding="dimacs" if rounding == "dimacs" else "none")
    if kind == "matrix":
        ids_raw = r.get("ids")
        if not isinstance(ids_raw, list) or not all(isinstance(i, str) and i for i in ids_raw):
            raise InstanceError(r.sub("ids"), "expected a list of point ids (strings)")
        if len(set(ids_raw)) != len(ids_raw):
            raise InstanceError(r.sub("ids"), "duplicate point id")
        rows = r.items("minutes")
        if len(rows) != len(ids_raw):
            raise InstanceError(r.sub("minutes"), f"expected {len(ids_raw)} rows, got {len(rows)}")
        matrix: list[tuple[float, ...]] = []
        for i, row in enumerate(rows):
            if not isinstance(row.obj, list) or len(row.obj) != len(ids_raw):
                raise InstanceError(row.path, f"expected a row of {len(ids_raw)} numbers")
            vals: list[float] = []
            for j, x in enumerate(row.obj):
                if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x) or x < 0:
                    raise InstanceError(f"{row.path}[{j}]", f"expected a non-negative number, got {x!r}")
                vals.append(float(x))
            if vals[i] != 0:
                raise InstanceError(f"{row.path}[{i}]", "travel from a point to itself must be 0")
            matrix.append(tuple(vals))
        return TravelModel(kind="matrix", ids=tuple(ids_raw), minutes=tuple(matrix))
    raise InstanceError(
        r.sub("kind"), f"unknown travel kind {kind!r} (expected haversine, euclidean, matrix)"
    )


def _parse_point(r: _Reader, travel: TravelModel, default_key: str) -> Point:
    r.mapping()
    if travel.kind == "matrix":
        key = r.get("id", default_key)
        if not isinstance(key, str) or not key:
            raise InstanceError(r.sub("id"), f"expected a point id, got {key!r}")
        if key not in travel.ids:
            raise InstanceError(
                r.sub("id") if "id" in r.mapping() else r.path, f"point id {key!r} is not in travel.ids"
            )
        return Point(key=key)
    if travel.kind == "haversine":
        lat = r.number("lat")
        lon = r.number("lon")
        if not -90 <= lat <= 90:
            raise InstanceError(r.sub("lat"), f"latitude out of range: {lat:g}")
        if not -180 <= lon <= 180:
            raise InstanceError(r.sub("lon"), f"longitude out of range: {lon:g}")
        return Point(key=default_key, x=lat, y=lon)
    return Point(key=default_key, x=r.number("x"), y=r.number("y"))


def _unique(ids: Sequence[str], paths: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for i, p in zip(ids, paths, strict=True):
        if i in seen:
            raise InstanceError(p, f"duplicate {what} id {i!r}")
        seen.add(i)


def parse_instance(obj: object) -> Instance:
    """Validate a decoded JSON instance and build the model; raises :class:`InstanceError`."""
    root = _Reader(obj, "")
    date = root.get("date")
    if not isinstance(date, str):
        raise InstanceError("date", f"expected a string, got {date!r}")
    travel = _parse_travel(_Reader(root.get("travel"), "travel"))

    depots: list[Depot] = []
    depot_readers = root.items("depots")
    for r in depot_readers:
        did = r.string("id")
        depots.append(
            Depot(
                id=did, point=_parse_point(r, travel, did), pickup_min=r.number("pickup_min", 0.0, minimum=0)
            )
        )
    _unique([d.id for d in depots], [r.sub("id") for r in depot_readers], "depot")
    depot_ids = {d.id for d in depots}

    nurses: list[Nurse] = []
    nurse_readers = root.items("nurses")
    for r in nurse_readers:
        nid = r.string("id")
        start = _parse_point(_Reader(r.get("start"), r.sub("start")), travel, f"{nid}:start")
        end = _parse_point(_Reader(r.get("end"), r.sub("end")), travel, f"{nid}:end")
        s0, s1 = r.interval("shift")
        mv = r.get("max_visits", None)
        if mv is not None and (isinstance(mv, bool) or not isinstance(mv, int) or mv < 0):
            raise InstanceError(r.sub("max_visits"), f"expected a non-negative integer, got {mv!r}")
        nurses.append(
            Nurse(
                id=nid,
                start=start,
                end=end,
                shift_start=s0,
                shift_end=s1,
                skills=r.skills("skills"),
                max_visits=mv,
                capacity=r.optional_number("capacity", 0),
            )
        )
    _unique([n.id for n in nurses], [r.sub("id") for r in nurse_readers], "nurse")

    visits: list[Visit] = []
    visit_readers = root.items("visits")
    for r in visit_readers:
        vid = r.string("id")
        w0, w1 = r.interval("window")
        bag: Bag | None = None
        braw = r.get("bag", None)
        if braw is not None:
            br = _Reader(braw, r.sub("bag"))
            dep = br.string("depot")
            if dep not in depot_ids:
                raise InstanceError(br.sub("depot"), f"unknown depot {dep!r}")
            bag = Bag(
                depot=dep,
                ready=parse_time(br.get("ready"), br.sub("ready")),
                stability_min=br.number("stability_min", minimum=0),
            )
        visits.append(
            Visit(
                id=vid,
                point=_parse_point(r, travel, vid),
                window_start=w0,
                window_end=w1,
                duration_min=r.number("duration_min", minimum=0),
                skills=r.skills("skills"),
                demand=r.number("demand", 0.0, minimum=0),
                bag=bag,
            )
        )
    _unique([v.id for v in visits], [r.sub("id") for r in visit_readers], "visit")
    return Instance(
        date=date, travel=travel, depots=tuple(depots), nurses=tuple(nurses), visits=tuple(visits)
    )


def load_instance(text: str) -> Instance:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError("", f"malformed JSON: {exc}") from exc
    return parse_instance(obj)


# ---------------------------------------------------------------------------------------------- plans


def _r6(x: float) -> float:
    return round(x, 6)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    routes: list[dict[str, Any]] = []
    for route in plan.routes:
        stops: list[dict[str, Any]] = []
        for s in route.stops:
            if isinstance(s, PickupStop):
                stops.append(
                    {
                        "type": "pickup",
                        "depot": s.depot,
                        "bags": list(s.bags),
                        "arrive": _r6(s.arrive),
                        "depart": _r6(s.depart),
                    }
                )
            else:
                stops.append(
                    {
                        "type": "visit",
                        "visit": s.visit,
                        "arrive": _r6(s.arrive),
                        "start": _r6(s.start),
                        "end": _r6(s.end),
                    }
                )
        routes.append(
            {
                "nurse": route.nurse,
                "stops": stops,
                "travel_min": _r6(route.travel_min),
                "work_min": _r6(working_minutes(route.stops, route.travel_min)),
            }
        )
    out: dict[str, Any] = {
        "routes": routes,
        "unassigned": [{"visit": u.visit, "reason": u.reason} for u in plan.unassigned],
        "total_travel_min": _r6(plan.total_travel_min),
        "solve_seconds": round(plan.solve_seconds, 3),
        "time_unit": "minutes from midnight",
    }
    if plan.engine:
        out["engine"] = plan.engine
    if plan.routes:
        wl = workload(plan)
        out["workload"] = {
            "nurses_used": wl.nurses_used,
            "work_min": {
                "mean": _r6(wl.work_min_mean),
                "min": _r6(wl.work_min_min),
                "max": _r6(wl.work_min_max),
                "sd": _r6(wl.work_min_sd),
            },
            "visits": {"min": wl.visits_min, "max": wl.visits_max},
        }
    return out


def parse_plan(obj: object) -> Plan:
    """Read a plan (e.g. for re-planning); raises :class:`InstanceError` naming the field."""
    root = _Reader(obj, "")
    routes: list[Route] = []
    for rr in root.items("routes"):
        stops: list[Stop] = []
        for sr in rr.items("stops"):
            kind = sr.get("type")
            if kind == "pickup":
                bags = sr.get("bags")
                if not isinstance(bags, list) or not all(isinstance(b, str) for b in bags):
                    raise InstanceError(sr.sub("bags"), "expected a list of visit ids")
                stops.append(
                    PickupStop(
                        depot=sr.string("depot"),
                        bags=tuple(bags),
                        arrive=parse_time(sr.get("arrive"), sr.sub("arrive")),
                        depart=parse_time(sr.get("depart"), sr.sub("depart")),
                    )
                )
            elif kind == "visit":
                stops.append(
                    VisitStop(
                        visit=sr.string("visit"),
                        arrive=parse_time(sr.get("arrive"), sr.sub("arrive")),
                        start=parse_time(sr.get("start"), sr.sub("start")),
                        end=parse_time(sr.get("end"), sr.sub("end")),
                    )
                )
            else:
                raise InstanceError(sr.sub("type"), f"expected 'pickup' or 'visit', got {kind!r}")
        routes.append(
            Route(nurse=rr.string("nurse"), stops=tuple(stops), travel_min=rr.number("travel_min", 0.0))
        )
    unassigned = tuple(
        Unassigned(visit=u.string("visit"), reason=str(u.get("reason", ""))) for u in root.items("unassigned")
    )
    return Plan(
        routes=tuple(routes),
        unassigned=unassigned,
        total_travel_min=root.number("total_travel_min", 0.0),
        solve_seconds=root.number("solve_seconds", 0.0),
    )


def load_plan(text: str) -> Plan:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError("", f"malformed JSON: {exc}") from exc
    return parse_plan(obj)
