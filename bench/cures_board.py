"""Benchmark: the "today" cure board (/cures/aujourdhui/) for an HAD with --per-day home cures a day and
--professionals users, through Django's full stack (middleware, audit write, template) with the test client.

    .venv/bin/python bench/cures_board.py                       # SQLite file under var/bench-cures-board/
    .venv/bin/python bench/cures_board.py --database-url postgresql://postgres@127.0.0.1:5432/parcours_cures

Prints a Markdown table per role: wall time p50/p95/max and CPU time p50/p95 (ms; the CPU time of this process,
which is also the database's with SQLite), SQL queries per request and the load average during the role's run.
"""

from __future__ import annotations

import argparse
import os
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
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # e.g. a new index
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
        cpu: list[float] = []
        queries: set[int] = set()
        size = 0
        loads = [os.getloadavg()[0]]
        for i in range(args.samples + 5):
            with CaptureQueriesContext(connection) as ctx:
                t, c = time.perf_counter(), time.process_time()
                response = client.get("/cures/aujourdhui/")
                ms = (time.perf_counter() - t) * 1000
                cpu_ms = (time.process_time() - c) * 1000
            assert response.status_code == 200
            if i >= 5:
                times.append(ms)
                cpu.append(cpu_ms)
                queries.add(len(ctx.captured_queries))
                size = len(response.content)
        loads.append(os.getloadavg()[0])
        times.sort()
        cpu.sort()
        rows.append(
            (
                label,
                statistics.median(times),
                times[int(0.95 * (len(times) - 1))],
                times[-1],
                statistics.median(cpu),
                cpu[int(0.95 * (len(cpu) - 1))],
                sorted(queries),
                size,
                f"{min(loads):.1f}–{max(loads):.1f}",
            )
        )
    print()
    print(
        f"Database: {connection.vendor}; {args.per_day} home cures a day, {args.professionals} professionals; "
        f"{args.samples} requests per row."
    )
    print()
    print(
        "| role | p50 (ms) | p95 (ms) | max (ms) | CPU p50 (ms) | CPU p95 (ms) | SQL queries | page (kB) | load |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for label, p50, p95, mx, c50, c95, q, size, load in rows:
        print(
            f"| {label} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {c50:.1f} | {c95:.1f} | {q} | {size / 1024:.0f} | {load} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
