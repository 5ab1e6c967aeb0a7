"""Benchmark: "my patients" list and patient page, server-side, on a large database.

Builds a database with --patients patients and about --events timeline events (defaults: 10,000 and
500,000) using the demo generator, then times in-process GETs through Django's full stack (middleware,
access gates, audit writes, templates) with the test client, and counts SQL queries per page.

    .venv/bin/python bench/pages.py                                   # SQLite file under var/bench/
    .venv/bin/python bench/pages.py --database-url postgresql://postgres@127.0.0.1:5432/parcours_bench

Prints a Markdown table for docs/benchmarks.md. The database is rebuilt unless --reuse is given.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="reuse the database built by a previous run")
    args = parser.parse_args()

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["PARCOURS_VAR_DIR"] = str(ROOT / "var" / "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parcours.patients.models import Patient, TimelineEvent
    from parcours.web.demo import load_demo

    vendor = connection.vendor
    if not args.reuse:
        if vendor == "sqlite":
            db = Path(str(settings.DATABASES["default"]["NAME"]))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        else:
            with connection.cursor() as cur:
                cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        load_demo(
            patients=args.patients,
            events=args.events,
            scale=4,
            progress=lambda m: print("  …", m, flush=True),
        )
        print(f"loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        if vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        else:
            with connection.cursor() as cur:
                cur.execute("ANALYZE")

    n_patients = Patient.objects.count()
    n_events = TimelineEvent.objects.count()
    client = Client()
    from parcours.accounts.models import User

    idec = User.objects.get(username="idec")
    client.force_login(idec)
    mine = list(
        Patient.objects.filter(care_team__user=idec, care_team__until__isnull=True).values_list(
            "external_id", flat=True
        )
    )
    rng = random.Random(7)

    def timed(url: str) -> tuple[float, int]:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed, len(ctx.captured_queries)

    pages = max(1, len(mine) // 50)
    results: dict[str, tuple[list[float], set[int]]] = {}
    for _ in range(5):  # warm-up
        timed("/patients/")
    for name, make_url in (
        ("my patients (page n)", lambda: f"/patients/?page={rng.randint(1, pages)}"),
        ("my patients (search)", lambda: f"/patients/?q={rng.choice(['mar', 'ber', 'dup', 'lef', 'ro'])}"),
        ("patient page", lambda: f"/patients/{rng.choice(mine)}/"),
        ("API patient list", lambda: f"/api/v1/patients?offset={rng.randint(0, max(0, len(mine) - 50))}"),
        ("API timeline", lambda: f"/api/v1/patients/{rng.choice(mine)}/timeline"),
    ):
        times: list[float] = []
        queries: set[int] = set()
        for _ in range(args.samples):
            ms, q = timed(make_url())
            times.append(ms)
            queries.add(q)
        results[name] = (times, queries)

    print()
    print(
        f"Database: {vendor}; {n_patients:,} patients, {n_events:,} timeline events; "
        f"user 'idec' sees {len(mine):,} patients; {args.samples} requests per row."
    )
    print()
    print("| page | p50 (ms) | p95 (ms) | max (ms) | SQL queries per request |")
    print("|---|---:|---:|---:|---|")
    for name, (times, queries) in results.items():
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f} | {sorted(queries)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
