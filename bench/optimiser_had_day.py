"""HAD-day benchmark: a synthetic Paris day (850 visits, ≈ 40 % with bags, 150 nurses, 2 pharmacies).

Measures, through the public pure API (the same path as ``parcours plan``):

1. the plan within a wall budget (default 60 s, 2 parallel searches): wall time, visits placed, travel,
   checker verdict;
2. optionally the same solver given ``--reference-seconds`` (e.g. 600) for the travel gap;
3. re-planning at ``--now`` after one cancellation (time, visits moved, frozen stops unchanged) and after
   one nurse falls sick.

    .venv/bin/python bench/optimiser_had_day.py [--time-limit 60] [--workers 2] [--reference-seconds 600]
        [--engine pyvrp|ortools] [--seed 0] [--day 0] [--cpu-time] [--balance 0.05] [--json FILE]

The generated instance is written to ``bench/data/optimiser/had_day_850.json`` (deterministic, seed 0);
``--day N`` plans another synthetic day of the same shape (``generate_day(seed=N)``, not written).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parcours.optimiser.check import check_plan  # noqa: E402
from parcours.optimiser.model import Plan, Stop, VisitStop  # noqa: E402
from parcours.optimiser.parse import parse_instance, plan_to_json  # noqa: E402
from parcours.optimiser.replan import ReplanRequest, replan  # noqa: E402
from parcours.optimiser.solver import SolveOptions, solve  # noqa: E402
from parcours.optimiser.synthetic import generate_day  # noqa: E402
from parcours.optimiser.workload import workload  # noqa: E402

DATA = ROOT / "bench" / "data" / "optimiser"


def _started(stop: Stop, now: float) -> bool:
    return (stop.start if isinstance(stop, VisitStop) else stop.arrive) <= now


def run_plan(
    raw: dict[str, Any],
    time_limit: float,
    workers: int,
    engine: str,
    seed: int,
    balance: float = 0.0,
    cpu_time: bool = False,
) -> tuple[Plan, float]:
    t0 = time.perf_counter()
    c0 = _cpu()
    instance = parse_instance(raw)
    plan = solve(
        instance,
        SolveOptions(
            time_limit=time_limit,
            seed=seed,
            engine=engine,  # type: ignore[arg-type]
            workers=workers,
            balance=balance,
            cpu_time=cpu_time,
        ),
    )
    global LAST_CPU
    LAST_CPU = _cpu() - c0
    return plan, time.perf_counter() - t0


LAST_CPU = 0.0


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the parallel workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def describe(label: str, raw: dict[str, Any], plan: Plan, wall: float) -> dict[str, Any]:
    check = check_plan(raw, plan_to_json(plan))
    placed = check.visits_placed
    row = {
        "run": label,
        "wall_s": round(wall, 1),
        "cpu_s": round(LAST_CPU, 1),
        "placed": placed,
        "unassigned": len(plan.unassigned),
        "travel_min": round(plan.total_travel_min, 1),
        "routes": len(plan.routes),
        "checker_ok": check.ok,
    }
    n_visits = [sum(isinstance(s, VisitStop) for s in r.stops) for r in plan.routes]
    row["visits_per_nurse_min_max"] = [min(n_visits, default=0), max(n_visits, default=0)]
    wl = workload(plan, parse_instance(raw))
    row["workload"] = {
        "nurses_idle": wl.nurses_idle,
        "work_min_mean": round(wl.work_min_mean, 1),
        "work_min_min_max": [round(wl.work_min_min, 1), round(wl.work_min_max, 1)],
        "work_min_sd": round(wl.work_min_sd, 1),
        "share_sd_pct": round(100 * wl.share_sd, 1),
        "overload_min": round(wl.overload_min, 1),
    }
    row["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--time-limit", type=float, default=58.0, help="solver budget (s); wall ≈ +1 s of parsing"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", choices=("pyvrp", "ortools"), default="pyvrp")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reference-seconds", type=float, default=0.0, help="also run this long (e.g. 600)")
    ap.add_argument("--now", default="11:00", help="re-planning time HH:MM (default 11:00)")
    ap.add_argument(
        "--balance", type=float, default=0.0, help="workload-balance weight (0: travel only; page: 0.05)"
    )
    ap.add_argument(
        "--cpu-time",
        action="store_true",
        help="budgets in CPU seconds per worker (simulates an idle machine when the cores are shared)",
    )
    ap.add_argument(
        "--day", type=int, default=0, help="synthetic day: generate_day(seed=DAY) (0: the benchmark day)"
    )
    ap.add_argument("--json", type=Path, help="write the results to this JSON file")
    args = ap.parse_args(argv)

    raw = generate_day(seed=args.day)
    if args.day == 0:
        DATA.mkdir(parents=True, exist_ok=True)
        (DATA / "had_day_850.json").write_text(json.dumps(raw, indent=1) + "\n")
    n_bags = sum("bag" in v for v in raw["visits"])
    print(
        f"instance (day {args.day}): {len(raw['visits'])} visits ({n_bags} with bags), {len(raw['nurses'])} nurses, "
        f"{len(raw['depots'])} pharmacies",
        flush=True,
    )

    results: dict[str, Any] = {}
    print(f"load average before: {os.getloadavg()}", flush=True)
    mode = " cpu-time" if args.cpu_time else ""
    plan, wall = run_plan(
        raw, args.time_limit, args.workers, args.engine, args.seed, args.balance, args.cpu_time
    )
    results["plan"] = describe(
        f"{args.engine} {args.time_limit:g}s{mode} x{args.workers} balance {args.balance:g}", raw, plan, wall
    )
    if args.reference_seconds > 0:
        ref, ref_wall = run_plan(
            raw, args.reference_seconds, args.workers, args.engine, args.seed, args.balance, args.cpu_time
        )
        results["reference"] = describe(
            f"{args.engine} {args.reference_seconds:g}s{mode} x{args.workers} balance {args.balance:g}",
            raw,
            ref,
            ref_wall,
        )
        gap = (plan.total_travel_min / ref.total_travel_min - 1) * 100
        results["gap_to_reference_pct"] = round(gap, 2)
        print(f"travel gap to the {args.reference_seconds:g}-s run: {gap:.2f} %", flush=True)

    instance = parse_instance(raw)
    h, m = args.now.split(":")
    now = int(h) * 60 + int(m)
    later = [s.visit for r in plan.routes for s in r.stops if isinstance(s, VisitStop) and s.start > now + 30]
    cancel = later[len(later) // 2]
    t0 = time.perf_counter()
    res = replan(instance, plan, ReplanRequest(now=now, cancel=frozenset({cancel})))
    dt = time.perf_counter() - t0
    old = {r.nurse: r.stops for r in plan.routes}
    new = {r.nurse: r.stops for r in res.plan.routes}
    frozen_kept = all(
        tuple(new.get(n, ()))[: len(kept)] == kept
        for n, stops in old.items()
        for kept in [tuple(s for s in stops if _started(s, now))]
    )
    ok = check_plan(raw, plan_to_json(res.plan)).ok
    results["replan_cancel"] = {
        "cancelled": cancel,
        "seconds": round(dt, 3),
        "moved": len(res.moved),
        "started_stops_unchanged": frozen_kept,
        "checker_ok": ok,
        "travel_min": round(res.plan.total_travel_min, 1),
    }
    print(json.dumps(results["replan_cancel"]), flush=True)

    busiest = max(plan.routes, key=lambda r: sum(isinstance(s, VisitStop) and s.start > now for s in r.stops))
    t0 = time.perf_counter()
    res = replan(instance, plan, ReplanRequest(now=now, sick=frozenset({busiest.nurse})))
    dt = time.perf_counter() - t0
    ok = check_plan(raw, plan_to_json(res.plan)).ok
    orphans = sum(isinstance(s, VisitStop) and not _started(s, now) for s in busiest.stops)
    results["replan_sick"] = {
        "nurse": busiest.nurse,
        "visits_to_reassign": orphans,
        "seconds": round(dt, 3),
        "moved": len(res.moved),
        "unassigned": len(res.plan.unassigned),
        "checker_ok": ok,
    }
    print(json.dumps(results["replan_sick"]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
