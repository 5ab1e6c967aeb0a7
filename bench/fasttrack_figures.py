"""Benchmark of the fast-track pathway (issue 5): availability view, indicators, concurrent booking.

    .venv/bin/python bench/fasttrack_figures.py                     # SQLite file under var/bench-fasttrack/
    .venv/bin/python bench/fasttrack_figures.py --database-url postgresql://postgres@127.0.0.1:5432/parcours_fasttrack

Builds its own database (migrations, then synthetic rows in bulk) and measures:

1. availability over 50 resources x 8 weeks (16,000 slots, a fifth booked): the selector, the JSON API and
   the HTML page through Django's full stack; p50/p95 over --samples requests (target p95 < 200 ms);
2. indicators over 100,000 pathway events (15,000 referrals): median/p90 of six delays per pathway and
   month, computed in SQL (target < 1 s);
3. PostgreSQL only: 200 concurrent bookings (40 threads) on the same 20 slots: bookings made, refusals,
   double bookings (target 0).

Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pcts(times: list[float]) -> tuple[float, float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], times[-1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["PARCOURS_VAR_DIR"] = str(ROOT / "var" / "bench-fasttrack")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("PARCOURS_TASKS_IMMEDIATE", "true")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    vendor = connection.vendor
    if vendor == "sqlite":
        db = Path(str(settings.DATABASES["default"]["NAME"]))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)

    from parcours.accounts.models import Role, User
    from parcours.fasttrack import selectors
    from parcours.fasttrack.enums import ResourceKind
    from parcours.fasttrack.models import Booking, PathwayEvent, Referral, Resource, Slot
    from parcours.fasttrack.pathways import PATHWAYS

    coordinator = User.objects.create(username="idec", role=Role.objects.get(code="idec"))
    rng = random.Random(5)
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())

    # ---- 1. availability ----
    kinds = list(ResourceKind.values)
    resources = Resource.objects.bulk_create(
        Resource(name=f"Ressource {i:02d}", kind=kinds[i % len(kinds)]) for i in range(50)
    )
    slots = []
    for res in resources:
        for d in range(56):
            day = monday + dt.timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for h in (8, 9, 10, 11, 13, 14, 15, 16):
                start = dt.datetime.combine(day, dt.time(h), tzinfo=tz)
                slots.append(
                    Slot(
                        resource=res,
                        start=start,
                        day=day,
                        end=start + dt.timedelta(minutes=45),
                        pathway=rng.choice(["", "", "", "pancreas", "lung"]),
                        emergency=h == 8,
                    )
                )
    Slot.objects.bulk_create(slots, batch_size=5000)
    holder = Referral.objects.create(
        pathway="lung",
        status="scheduled",
        received_at=timezone.now(),
        referrer_name="Dr",
        patient_birth_name="B",
        patient_given_names="B",
        patient_birth_date=dt.date(1950, 1, 1),
    )
    ids = list(Slot.objects.values_list("pk", flat=True))
    Booking.objects.bulk_create(
        (
            Booking(slot_id=pk, referral=holder, booked_by=coordinator)
            for pk in rng.sample(ids, len(ids) // 5)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    client = Client()
    client.force_login(coordinator)
    measures: dict[str, list[float]] = {"selector": [], "API (JSON)": [], "HTML page": []}
    cpu: dict[str, list[float]] = {k: [] for k in measures}
    for _ in range(3):
        selectors.availability(first_day=monday, weeks=8)
    for _ in range(args.samples):
        t, c = time.perf_counter(), time.process_time()
        view = selectors.availability(first_day=monday, weeks=8)
        measures["selector"].append((time.perf_counter() - t) * 1000)
        cpu["selector"].append((time.process_time() - c) * 1000)
        t, c = time.perf_counter(), time.process_time()
        resp = client.get("/api/v1/fasttrack/availability", {"first_day": monday.isoformat(), "weeks": "8"})
        measures["API (JSON)"].append((time.perf_counter() - t) * 1000)
        cpu["API (JSON)"].append((time.process_time() - c) * 1000)
        assert resp.status_code == 200
        t, c = time.perf_counter(), time.process_time()
        resp = client.get("/parcours-rapide/disponibilites/", {"du": monday.isoformat(), "semaines": "8"})
        measures["HTML page"].append((time.perf_counter() - t) * 1000)
        cpu["HTML page"].append((time.process_time() - c) * 1000)
        assert resp.status_code == 200
    assert len(view.rows) == 50 and len(view.days) == 56
    print(
        f"\nDatabase: {vendor}. Availability: 50 resources x 8 weeks, {len(slots):,} slots, "
        f"{len(ids) // 5:,} booked; {args.samples} requests per row.\n"
    )
    print(f"Load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n")
    print(
        "| availability, 50 resources x 8 weeks | p50 (ms) | p95 (ms) | max (ms) | CPU p50 / p95 (ms, this process) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, times in measures.items():
        p50, p95, mx = _pcts(times)
        c50, c95, _cmax = _pcts(cpu[name])
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {c50:.1f} / {c95:.1f} |")

    # ---- 2. indicators over 100,000 events ----
    Booking.objects.all().delete()
    Referral.objects.all().delete()
    start = timezone.now() - dt.timedelta(days=365)
    per = 20_000 // 3
    pathways = list(PATHWAYS)
    refs = Referral.objects.bulk_create(
        (
            Referral(
                pathway=rng.choice(pathways),
                status="scheduled",
                received_at=start + dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
                referrer_name="Dr",
                patient_birth_name=f"P{i}",
                patient_given_names="X",
                patient_birth_date=dt.date(1950, 1, 1),
            )
            for i in range(per * 3)
        ),
        batch_size=5000,
    )
    events: list[PathwayEvent] = []
    for r in refs:
        if len(events) >= args.events:
            break
        t0 = r.received_at
        visit = t0 + dt.timedelta(days=rng.uniform(0.5, 5))
        biopsy = visit + dt.timedelta(days=rng.uniform(0.5, 5))
        rcp = biopsy + dt.timedelta(days=rng.uniform(2, 12))
        chain = [
            ("received", t0),
            ("first_visit", visit),
            ("imaging", visit + dt.timedelta(hours=3)),
            ("biopsy", biopsy),
            ("pathology_result", biopsy + dt.timedelta(days=rng.uniform(3, 14))),
            ("rcp", rcp),
            ("treatment_start", rcp + dt.timedelta(days=rng.uniform(5, 20))),
        ]
        if rng.random() < 0.6:
            chain.append(("supportive_assessment", visit))
        for kind, at in chain[: rng.randint(4, len(chain))]:
            events.append(PathwayEvent(referral=r, pathway=r.pathway, kind=kind, at=at))
    events = events[: args.events]
    PathwayEvent.objects.bulk_create(events, batch_size=10_000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    n_ref = len({e.referral_id for e in events})
    times, cpus = [], []
    for _ in range(7):
        t, c = time.perf_counter(), time.process_time()
        rows = selectors.indicators()
        times.append((time.perf_counter() - t) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    p50, _p95, mx = _pcts(times)
    print(
        f"\nIndicators: {len(events):,} pathway events, {n_ref:,} referrals, {len(rows)} pathway-months "
        f"x 6 delays (median + p90) + 2 shares; 7 runs.\n"
    )
    print(f"Load average: {os.getloadavg()[0]:.1f}.\n")
    print("| indicators, 100,000 events | median (ms) | max (ms) | CPU median (ms, this process) |")
    print("|---|---:|---:|---:|")
    print(f"| all pathways, all months | {p50:.0f} | {mx:.0f} | {statistics.median(cpus):.0f} |")
    t = time.perf_counter()
    client.get("/parcours-rapide/indicateurs.xlsx")
    print(f"| XLSX export (HTTP) | {(time.perf_counter() - t) * 1000:.0f} | |")

    # ---- 3. concurrent bookings (PostgreSQL) ----
    if vendor == "postgresql":
        from parcours.fasttrack.tests.test_concurrency import book_concurrently, make_contention

        slot_ids, referrals = make_contention(20, 200)
        t = time.perf_counter()
        ok, refused = book_concurrently(coordinator.pk, slot_ids, referrals, workers=40)
        elapsed = time.perf_counter() - t
        from django.db.models import Count

        doubles = (
            Booking.objects.filter(slot_id__in=slot_ids, cancelled_at__isnull=True)
            .values("slot")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        print(
            "\n| 200 concurrent bookings, 20 slots, 40 threads | bookings made | refused | double bookings | time (s) |"
        )
        print("|---|---:|---:|---:|---:|")
        print(f"| PostgreSQL | {ok} | {refused} | {doubles} | {elapsed:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
