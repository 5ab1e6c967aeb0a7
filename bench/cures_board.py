"""Benchmark: the "today" cure board (/cures/aujourdhui/) for an HAD with --per-day home cures a day and
--professionals users, through Django's full stack (middleware, audit write, template) with the test client.

    .venv/bin/python bench/cures_board.py                       # SQLite file under var/bench-cures-board/
    .venv/bin/python bench/cures_board.py --database-url postgresql://postgres@127.0.0.1:5432/parcours_cures

Prints a Markdown table (p50/p95/max in ms and SQL queries per request) per role.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cures_common import build, existing_users, rebuild, setup


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-day", type=int, default=850)
    parser.add_argument("--professionals", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reuse", action="store_true", help="reuse the database built by a previous run")
    args = parser.parse_args()
    setup(args.database_url, "cures-board")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parcours.cures.models import Cure

    if args.reuse:
        users = existing_users()
    else:
        rebuild()
        t0 = time.perf_counter()
        world = build(per_day=args.per_day, professionals=args.professionals)
        print(
            f"built in {time.perf_counter() - t0:.0f} s: {world['patients']} patients, {Cure.objects.count()} cures"
        )
        users = world["users"]
    rows = []
    for label, user in (
        ("IDEC of the HAD (whole HAD)", users["idec"][0]),
        ("HAD nurse (whole HAD)", users["had_nurse"][0]),
        ("pharmacist (whole PUI)", users["pharmacist"][0]),
        ("logistician (whole HAD)", users["logistician"][0]),
        ("oncologist (own care teams)", users["oncologist"][0]),
        ("IDEL (own care teams)", users["idel"][0]),
    ):
        client = Client()
        client.force_login(user)
        times: list[float] = []
        queries: set[int] = set()
        size = 0
        for i in range(args.samples + 5):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get("/cures/aujourdhui/")
                ms = (time.perf_counter() - t) * 1000
            assert response.status_code == 200
            if i >= 5:
                times.append(ms)
                queries.add(len(ctx.captured_queries))
                size = len(response.content)
        times.sort()
        rows.append(
            (
                label,
                statistics.median(times),
                times[int(0.95 * (len(times) - 1))],
                times[-1],
                sorted(queries),
                size,
            )
        )
    print()
    print(
        f"Database: {connection.vendor}; {args.per_day} home cures a day, {args.professionals} professionals; "
        f"{args.samples} requests per row."
    )
    print()
    print("| role | p50 (ms) | p95 (ms) | max (ms) | SQL queries | page size (kB) |")
    print("|---|---:|---:|---:|---|---:|")
    for label, p50, p95, mx, q, size in rows:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {q} | {size / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
