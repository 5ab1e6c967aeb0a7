"""Reads of the fast-track pathway: the coordinator's queue, availability, RCP list, indicators (in SQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import NotFound
from parcours.fasttrack.enums import (
    OPEN_STATUSES,
    EventKind,
    PathologyStatus,
    RcpStatus,
    ReferralStatus,
    SlotStatus,
)
from parcours.fasttrack.models import (
    Booking,
    CoordinatorTask,
    PathologyRequest,
    RcpCase,
    Referral,
    Resource,
    ScreeningRecord,
    Slot,
)


def queue(
    *, user: User, statuses: tuple[str, ...] = tuple(OPEN_STATUSES), pathway: str = ""
) -> list[Referral]:
    """Open requests, most urgent first then the longest waiting; audited (they hold patient data)."""
    qs = (
        Referral.objects.filter(status__in=statuses)
        .select_related("assigned_to", "duplicate_of")
        .annotate(n_documents=Count("documents"))
        .order_by("priority", "received_at")
    )
    if pathway:
        qs = qs.filter(pathway=pathway)
    rows: list[Referral] = list(qs[:500])
    audit_record(actor=user, action="read", object_type="referral_queue", detail={"count": len(rows)})
    return rows


def recent_handled(*, limit: int = 30) -> list[Referral]:
    return list(
        Referral.objects.exclude(status__in=OPEN_STATUSES)
        .select_related("patient", "assigned_to")
        .order_by("-decided_at", "-received_at")[:limit]
    )


def referral_for(*, user: User, referral_id: uuid.UUID | str) -> Referral:
    referral = (
        Referral.objects.select_related("patient", "assigned_to", "duplicate_of", "decided_by")
        .filter(external_id=referral_id)
        .first()
    )
    if referral is None:
        raise NotFound(_("Demande introuvable."))
    audit_record(
        actor=user,
        action="read",
        object_type="referral",
        object_id=str(referral.external_id),
        patient_id=referral.patient_id,
    )
    return referral


def live_bookings(referral: Referral) -> list[Booking]:
    return list(
        Booking.objects.filter(referral=referral, cancelled_at__isnull=True)
        .select_related("slot__resource")
        .order_by("slot__start")
    )


def open_tasks(*, limit: int = 100) -> list[CoordinatorTask]:
    return list(
        CoordinatorTask.objects.filter(done_at__isnull=True)
        .select_related("referral", "patient")
        .order_by("due_at")[:limit]
    )


# ---------------------------------------------------------------- availability ----


@dataclass
class DayCell:
    day: dt.date
    free: int = 0
    sanctuarised: int = 0
    emergency: int = 0
    booked: int = 0
    released: int = 0

    @property
    def text(self) -> str:
        """``free/sanctuarised/emergency — booked`` (empty when the resource has no slot that day)."""
        if not (self.free or self.sanctuarised or self.emergency or self.booked or self.released):
            return ""
        return f"{self.free}/{self.sanctuarised}/{self.emergency} — {self.booked}"


@dataclass
class ResourceRow:
    resource: Resource
    cells: list[DayCell] = field(default_factory=list)


@dataclass
class Availability:
    first_day: dt.date
    days: list[dt.date]
    rows: list[ResourceRow]


def availability(*, first_day: dt.date, weeks: int = 8, kind: str = "", pathway: str = "") -> Availability:
    """Free/sanctuarised/emergency/booked counts per resource and day, aggregated in one SQL query."""
    days = [first_day + dt.timedelta(days=i) for i in range(7 * weeks)]
    last = first_day + dt.timedelta(days=7 * weeks - 1)
    resources = Resource.objects.filter(active=True).order_by("kind", "name")
    if kind:
        resources = resources.filter(kind=kind)
    res_list = list(resources)
    slots = Slot.objects.filter(day__gte=first_day, day__lte=last, resource__in=res_list)
    if pathway:
        slots = slots.filter(Q(pathway="") | Q(pathway=pathway))
    now = clock.now()

    def counts(qs: QuerySet[Any], prefix: str) -> dict[tuple[int, dt.date], dict[str, int]]:
        """Slots per resource and day by category (the same filters on the slots or on their bookings)."""

        def f(**lookups: object) -> Q:
            return Q(**{f"{prefix}{k}": v for k, v in lookups.items()})

        is_free = f(status=SlotStatus.OPEN, start__gt=now)
        rows = (
            qs.values(f"{prefix}resource_id", f"{prefix}day")
            .annotate(
                n_all=Count("pk"),
                n_released=Count("pk", filter=f(status=SlotStatus.RELEASED)),
                n_emergency=Count("pk", filter=is_free & f(emergency=True)),
                n_sanctuarised=Count("pk", filter=is_free & f(emergency=False) & ~f(pathway="")),
                n_free=Count("pk", filter=is_free & f(emergency=False, pathway="")),
            )
            .order_by()
        )
        return {(r[f"{prefix}resource_id"], r[f"{prefix}day"]): r for r in rows}

    all_slots = counts(slots, "")
    booked = counts(
        Booking.objects.filter(
            cancelled_at__isnull=True,
            slot__day__gte=first_day,
            slot__day__lte=last,
            slot__resource__in=res_list,
        ).filter(Q(slot__pathway="") | Q(slot__pathway=pathway) if pathway else Q()),
        "slot__",
    )
    index: dict[int, dict[dt.date, DayCell]] = defaultdict(dict)
    for (resource_id, day), row in all_slots.items():
        b = booked.get((resource_id, day), {})
        index[resource_id][day] = DayCell(
            day=day,
            free=row["n_free"] - b.get("n_free", 0),
            sanctuarised=row["n_sanctuarised"] - b.get("n_sanctuarised", 0),
            emergency=row["n_emergency"] - b.get("n_emergency", 0),
            booked=b.get("n_all", 0),
            released=row["n_released"] - b.get("n_released", 0),
        )
    out = [ResourceRow(r, [index[r.pk].get(d) or DayCell(d) for d in days]) for r in res_list]
    return Availability(first_day=first_day, days=days, rows=out)


def free_slots(*, resource: Resource, day: dt.date) -> list[Slot]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    live = Exists(Booking.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True))
    return list(
        Slot.objects.filter(resource=resource, start__gte=start, start__lt=start + dt.timedelta(days=1))
        .annotate(is_booked=live)
        .order_by("start")
    )


# ---------------------------------------------------------------- RCP ----


@dataclass
class RcpRow:
    case: RcpCase
    checks: list[tuple[str, bool]]

    @property
    def complete(self) -> bool:
        return all(ok for _label, ok in self.checks)


def rcp_cases(*, statuses: tuple[str, ...] = (RcpStatus.TO_PRESENT, RcpStatus.DECIDED)) -> list[RcpRow]:
    """Cases to present, each with its completeness check (pathology, imaging, screening, question)."""
    final = PathologyRequest.objects.filter(referral=OuterRef("referral"), status=PathologyStatus.FINAL)
    imaging = Booking.objects.filter(
        referral=OuterRef("referral"),
        cancelled_at__isnull=True,
        slot__resource__kind__in=["ct", "mri", "pet", "eus"],
    )
    screened = ScreeningRecord.objects.filter(patient=OuterRef("patient"))
    cases = (
        RcpCase.objects.filter(status__in=statuses)
        .select_related("referral", "patient")
        .annotate(has_final=Exists(final), has_imaging=Exists(imaging), has_screening=Exists(screened))
        .order_by("meeting_date", "id")
    )
    out = []
    for c in cases:
        out.append(
            RcpRow(
                c,
                [
                    (_("Anatomopathologie définitive"), bool(c.has_final)),
                    (_("Imagerie réalisée"), bool(c.has_imaging)),
                    (_("Dépistage soins de support"), bool(c.has_screening)),
                    (_("Question posée à la RCP"), bool(c.question)),
                ],
            )
        )
    return out


def pathology_requests(*, referral: Referral) -> QuerySet[PathologyRequest]:
    return PathologyRequest.objects.filter(referral=referral).order_by("-created_at")


# ---------------------------------------------------------------- indicators ----

# (key, start event, end event, French label, English label)
DELAYS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "referral_first_visit",
        EventKind.RECEIVED,
        EventKind.FIRST_VISIT,
        "Demande → première consultation",
        "Referral → first visit",
    ),
    (
        "reception_imaging",
        EventKind.RECEIVED,
        EventKind.IMAGING,
        "Réception → imagerie",
        "Reception → imaging",
    ),
    ("reception_biopsy", EventKind.RECEIVED, EventKind.BIOPSY, "Réception → biopsie", "Reception → biopsy"),
    ("reception_rcp", EventKind.RECEIVED, EventKind.RCP, "Réception → RCP", "Reception → tumour board"),
    (
        "rcp_treatment",
        EventKind.RCP,
        EventKind.TREATMENT_START,
        "RCP → premier traitement",
        "Tumour board → first treatment",
    ),
    (
        "biopsy_pathology",
        EventKind.BIOPSY,
        EventKind.PATHOLOGY_RESULT,
        "Biopsie → résultat d'anatomopathologie",
        "Biopsy → pathology result",
    ),
)


@dataclass
class IndicatorRow:
    pathway: str
    month: str
    referrals: int
    delays: dict[str, tuple[int, float | None, float | None]]  # key -> (n, median days, p90 days)
    supportive_share: float | None
    er_share: float | None


def _sql_parts() -> tuple[str, str]:
    if connection.vendor == "postgresql":
        return (
            "to_char(f.received_at AT TIME ZONE 'UTC', 'YYYY-MM')",
            "(CAST(EXTRACT(EPOCH FROM ({b} - {a})) AS double precision) / 86400.0)",
        )
    return ("strftime('%%Y-%%m', f.received_at)", "(julianday({b}) - julianday({a}))")


def indicators(
    *, since: dt.date | None = None, until: dt.date | None = None, pathway: str = ""
) -> list[IndicatorRow]:
    """Per pathway and month of reception: count, median and p90 of each delay (days), shares.

    One SQL statement, the same on SQLite and PostgreSQL: a pivot per referral (conditional MIN over its
    events), the delays in days (negative ones dropped), then window functions (ROW_NUMBER and COUNT over
    pathway, month and "has a value") pick the nearest-rank median (rank ceil(n/2)) and 90th percentile
    (rank ceil(0.9 n)). Months are calendar months in UTC.
    """
    month_sql, diff_tpl = _sql_parts()
    kinds = sorted({str(k) for _key, a, b, _fr, _en in DELAYS for k in (a, b)})
    pivot_cols = ", ".join(f"MIN(CASE WHEN e.kind = '{k}' THEN e.at END) AS t_{k}" for k in kinds)
    params: list[Any] = []
    where = []
    if since is not None:
        where.append("f.received_at >= %s")
        params.append(dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC))
    if until is not None:
        where.append("f.received_at < %s")
        params.append(dt.datetime.combine(until, dt.time.min, tzinfo=dt.UTC))
    if pathway:
        where.append("f.pathway = %s")
        params.append(pathway)
    where_sql = ("WHERE " + " AND ".join(where)) if where else ""
    keys = [key for key, *_r in DELAYS]
    diffs = {key: diff_tpl.format(a=f"p.t_{a!s}", b=f"p.t_{b!s}") for key, a, b, _fr, _en in DELAYS}
    raw_cols = ", ".join(f"{diffs[k]} AS r_{k}" for k in keys)
    delay_cols = ", ".join(f"CASE WHEN r_{k} >= 0 THEN r_{k} END AS d_{k}" for k in keys)
    window_cols = ", ".join(
        f"ROW_NUMBER() OVER (PARTITION BY pathway, month, d_{k} IS NULL ORDER BY d_{k}) AS rn_{k}, "
        f"COUNT(d_{k}) OVER (PARTITION BY pathway, month) AS n_{k}"
        for k in keys
    )
    select_cols = ", ".join(
        f"MAX(n_{k}), "
        f"MAX(CASE WHEN d_{k} IS NOT NULL AND rn_{k} = CAST((n_{k} + 1) / 2 AS INTEGER) THEN d_{k} END), "
        f"MAX(CASE WHEN d_{k} IS NOT NULL AND rn_{k} = CAST((9 * n_{k} + 9) / 10 AS INTEGER) THEN d_{k} END)"
        for k in keys
    )
    sql = f"""
        WITH pivot AS (
            SELECT e.referral_id AS referral_id, {pivot_cols},
                   MAX(CASE WHEN e.kind = 'supportive_assessment' THEN 1 ELSE 0 END) AS has_support,
                   MAX(CASE WHEN e.kind = 'er_readmission' THEN 1 ELSE 0 END) AS has_er
            FROM fasttrack_pathwayevent e
            GROUP BY e.referral_id
        ),
        raw AS (
            SELECT f.pathway AS pathway, {month_sql} AS month, p.has_support AS has_support,
                   p.has_er AS has_er, {raw_cols}
            FROM fasttrack_referral f JOIN pivot p ON p.referral_id = f.id
            {where_sql}
        ),
        d AS (SELECT pathway, month, has_support, has_er, {delay_cols} FROM raw),
        w AS (SELECT d.*, {window_cols} FROM d)
        SELECT pathway, month, COUNT(*), AVG(has_support * 1.0), AVG(has_er * 1.0), {select_cols}
        FROM w GROUP BY pathway, month ORDER BY pathway, month
    """  # noqa: S608 (identifiers from constants; values are bound parameters)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        fetched = cur.fetchall()
    out = []
    for pw, month, count, support, er, *stats in fetched:
        delays: dict[str, tuple[int, float | None, float | None]] = {}
        for i, key in enumerate(keys):
            n, med, p90 = stats[3 * i : 3 * i + 3]
            delays[key] = (
                int(n or 0),
                None if med is None else round(float(med), 2),
                None if p90 is None else round(float(p90), 2),
            )
        out.append(
            IndicatorRow(
                pathway=pw,
                month=month,
                referrals=int(count),
                delays=delays,
                supportive_share=None if support is None else round(float(support), 3),
                er_share=None if er is None else round(float(er), 3),
            )
        )
    return out


def referral_status_counts() -> dict[str, int]:
    return {
        row["status"]: row["n"]
        for row in Referral.objects.values("status").annotate(n=Count("id")).order_by()
    }


__all__ = ["DELAYS", "ReferralStatus"]
