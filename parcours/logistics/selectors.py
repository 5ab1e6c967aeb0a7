"""Reads for the planning pages: the day, the run in progress, and a plan turned into map and timelines."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import ngettext

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.logistics.enums import RunStatus
from parcours.logistics.models import HomeVisit, NurseShift, PlanRun

# Colour-blind-safe palette (Okabe–Ito + Tol), dark enough for white text.
PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#882255",
    "#117733",
    "#332288",
    "#AA4499",
    "#44AA99",
    "#999933",
    "#661100",
    "#6699CC",
    "#B8860B",
    "#4B0082",
    "#2F4F4F",
    "#8B4513",
]


def hhmm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def planner_had(user: User) -> Organisation | None:
    org = user.organisation
    return org if org is not None and org.kind == OrganisationKind.HAD else None


@dataclass
class DayView:
    had: Organisation
    date: dt.date
    shifts: list[NurseShift]
    visits: list[HomeVisit]
    running: PlanRun | None
    latest: PlanRun | None
    runs: list[PlanRun]


def day_view(*, had: Organisation, date: dt.date) -> DayView:
    runs = list(
        PlanRun.objects.filter(had=had, date=date).select_related("requested_by").order_by("-created_at")[:10]
    )
    running = next((r for r in runs if r.status in {RunStatus.QUEUED, RunStatus.RUNNING}), None)
    latest = next((r for r in runs if r.plan is not None), None)
    return DayView(
        had=had,
        date=date,
        shifts=list(
            NurseShift.objects.filter(had=had, date=date).select_related("nurse").order_by("nurse__last_name")
        ),
        visits=list(
            HomeVisit.objects.filter(had=had, date=date)
            .select_related("patient", "pinned_nurse", "bag_pharmacy")
            .order_by("window_start", "id")
        ),
        running=running,
        latest=latest,
        runs=runs,
    )


@dataclass
class StopView:
    kind: str  # "visit" | "pickup"
    arrive: str
    start: str
    end: str
    title: str
    detail: str
    visit: HomeVisit | None = None
    x: float = 0.0
    y: float = 0.0
    left: float = 0.0  # % of the day, for the timeline
    width: float = 0.0


@dataclass
class RouteView:
    nurse: User | None
    nurse_key: str
    colour: str
    stops: list[StopView]
    travel_min: float
    visits: int
    work_min: float = 0.0  # leaving home to being back (travel + time at the stops)
    start: str = ""
    end: str = ""
    points: str = ""  # SVG polyline
    home: tuple[float, float] = (0.0, 0.0)


@dataclass
class PlanView:
    run: PlanRun
    routes: list[RouteView]
    unassigned: list[tuple[HomeVisit | None, str]]
    total_travel_min: float
    placed: int
    depots: list[tuple[str, float, float]] = field(default_factory=list)
    hours: list[tuple[str, float]] = field(default_factory=list)

    @property
    def work_min_min(self) -> float:
        return min((r.work_min for r in self.routes), default=0.0)

    @property
    def work_min_max(self) -> float:
        return max((r.work_min for r in self.routes), default=0.0)

    @property
    def work_min_mean(self) -> float:
        return sum(r.work_min for r in self.routes) / len(self.routes) if self.routes else 0.0


def _projector(
    points: list[tuple[float, float]], width: float = 1000, height: float = 700, pad: float = 30
) -> Any:
    """Equirectangular projection of (lat, lon) into an SVG box, keeping the aspect ratio."""
    lats = [p[0] for p in points] or [0.0]
    lons = [p[1] for p in points] or [0.0]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    min_x, max_x = min(lons) * k, max(lons) * k
    min_y, max_y = min(lats), max(lats)
    scale = min((width - 2 * pad) / max(max_x - min_x, 1e-6), (height - 2 * pad) / max(max_y - min_y, 1e-6))
    off_x = (width - (max_x - min_x) * scale) / 2  # centre the drawing in the box
    off_y = (height - (max_y - min_y) * scale) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (round(off_x + (lon * k - min_x) * scale, 1), round(height - off_y - (lat - min_y) * scale, 1))

    return project


def _work_min(route: dict[str, Any]) -> float:
    """Working time of a plan route: its ``work_min`` (plans since the balance term), else computed."""
    if "work_min" in route:
        return float(route["work_min"])
    at_stops = sum(
        (s["depart"] - s["arrive"]) if s["type"] == "pickup" else (s["end"] - s["arrive"])
        for s in route["stops"]
    )
    return float(route["travel_min"]) + at_stops if route["stops"] else 0.0


def plan_view(*, run: PlanRun) -> PlanView:
    plan = run.plan or {}
    instance = run.instance
    visit_ids = [v["id"] for v in instance.get("visits", [])]
    visits = {
        str(v.external_id): v
        for v in HomeVisit.objects.filter(external_id__in=visit_ids).select_related("patient", "bag_pharmacy")
    }
    nurse_keys = [n["id"] for n in instance.get("nurses", [])]
    nurses = {str(u.external_id): u for u in User.objects.filter(external_id__in=nurse_keys)}
    depots = {d["id"]: d for d in instance.get("depots", [])}
    pharmacy_names = {
        str(o.external_id): o.name for o in Organisation.objects.filter(external_id__in=list(depots))
    }
    inst_nurses = {n["id"]: n for n in instance.get("nurses", [])}
    points = [(v["lat"], v["lon"]) for v in instance.get("visits", [])]
    points += [(d["lat"], d["lon"]) for d in depots.values()]
    points += [(n["start"]["lat"], n["start"]["lon"]) for n in inst_nurses.values()]
    project = _projector(points)
    starts = [int(n["shift"][0][:2]) * 60 + int(n["shift"][0][3:]) for n in inst_nurses.values()] or [480]
    ends = [int(n["shift"][1][:2]) * 60 + int(n["shift"][1][3:]) for n in inst_nurses.values()] or [1080]
    day0, day1 = min(starts), max(ends)
    span = max(day1 - day0, 1)

    def pct(t: float) -> float:
        return round(100 * (t - day0) / span, 2)

    routes = []
    for i, r in enumerate(
        sorted(plan.get("routes", []), key=lambda r: str(nurses.get(r["nurse"], r["nurse"])))
    ):
        n = inst_nurses.get(r["nurse"], {})
        home = project(n["start"]["lat"], n["start"]["lon"]) if n else (0.0, 0.0)
        stops: list[StopView] = []
        for s in r["stops"]:
            if s["type"] == "pickup":
                d = depots.get(s["depot"], {})
                x, y = project(d.get("lat", 0), d.get("lon", 0))
                stops.append(
                    StopView(
                        "pickup",
                        hhmm(s["arrive"]),
                        hhmm(s["arrive"]),
                        hhmm(s["depart"]),
                        pharmacy_names.get(s["depot"], "PUI"),
                        ngettext("%(n)s poche", "%(n)s poches", len(s["bags"])) % {"n": len(s["bags"])},
                        None,
                        x,
                        y,
                        pct(s["arrive"]),
                        max(pct(s["depart"]) - pct(s["arrive"]), 0.4),
                    )
                )
            else:
                v = visits.get(s["visit"])
                lat = v.patient.latitude if v else 0.0
                lon = v.patient.longitude if v else 0.0
                x, y = project(lat or 0.0, lon or 0.0)
                stops.append(
                    StopView(
                        "visit",
                        hhmm(s["arrive"]),
                        hhmm(s["start"]),
                        hhmm(s["end"]),
                        v.patient.display_name if v else s["visit"],
                        f"{v.get_kind_display()} — {v.patient.address}, {v.patient.city}" if v else "",
                        v,
                        x,
                        y,
                        pct(s["start"]),
                        max(pct(s["end"]) - pct(s["start"]), 0.4),
                    )
                )
        end = project(n["end"]["lat"], n["end"]["lon"]) if n else home
        polyline = " ".join(f"{x},{y}" for x, y in [home, *[(s.x, s.y) for s in stops], end])
        routes.append(
            RouteView(
                nurse=nurses.get(r["nurse"]),
                nurse_key=r["nurse"],
                colour=PALETTE[i % len(PALETTE)],
                stops=stops,
                travel_min=r["travel_min"],
                visits=sum(1 for s in stops if s.kind == "visit"),
                work_min=_work_min(r),
                start=stops[0].arrive if stops else "",
                end=stops[-1].end if stops else "",
                points=polyline,
                home=home,
            )
        )
    unassigned = [(visits.get(u["visit"]), u["reason"]) for u in plan.get("unassigned", [])]
    hours = [(f"{h:02d}h", pct(h * 60)) for h in range(math.ceil(day0 / 60), day1 // 60 + 1)]
    return PlanView(
        run=run,
        routes=routes,
        unassigned=unassigned,
        total_travel_min=plan.get("total_travel_min", 0.0),
        placed=sum(r.visits for r in routes),
        depots=[(pharmacy_names.get(k, "PUI"), *project(d["lat"], d["lon"])) for k, d in depots.items()],
        hours=hours,
    )


def nurse_round(*, nurse: User, date: dt.date) -> tuple[PlanRun | None, RouteView | None]:
    """The nurse's own round in the latest plan of the HAD she works for that day."""
    shift = NurseShift.objects.filter(nurse=nurse, date=date).select_related("had").first()
    if shift is None:
        return None, None
    run = (
        PlanRun.objects.filter(had=shift.had, date=date, plan__isnull=False)
        .exclude(status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED])
        .order_by("-created_at", "-id")
        .first()
    )
    if run is None:
        return None, None
    view = plan_view(run=run)
    key = str(nurse.external_id)
    return run, next((r for r in view.routes if r.nurse_key == key), None)
