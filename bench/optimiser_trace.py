"""Trace of the HAD-day search: total travel of the current rounds over wall time (one line every few seconds).

The piece-by-piece search stops each piece on patience, not on time, so one long traced run shows what a
run of any shorter budget would have reached (up to run-to-run spread): the shape of the convergence.

    .venv/bin/python bench/optimiser_trace.py [--time-limit 600] [--workers 2] [--seed 0] [--day 0]
        [--every 5] [--plan-out FILE]

Prints ``TRACE <wall s> <travel min>`` lines, then the final plan's figures as JSON (checker verdict
included) and the main process's own CPU seconds (the workers' are not counted there).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parcours.optimiser import solver_pyvrp  # noqa: E402
from parcours.optimiser.check import check_plan  # noqa: E402
from parcours.optimiser.parse import parse_instance, plan_to_json  # noqa: E402
from parcours.optimiser.schedule import Action, Context, time_route  # noqa: E402
from parcours.optimiser.solver import SolveOptions, solve  # noqa: E402
from parcours.optimiser.synthetic import generate_day  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--day", type=int, default=0)
    ap.add_argument("--every", type=float, default=5.0, help="seconds between trace lines")
    ap.add_argument("--plan-out", type=Path, help="write the final plan (JSON) here")
    args = ap.parse_args(argv)

    raw = generate_day(seed=args.day)
    instance = parse_instance(raw)
    ctx = Context(instance)
    t0 = time.perf_counter()
    last = [-args.every]

    def trace(rounds: dict[str, list[Action]]) -> None:
        t = time.perf_counter() - t0
        if t - last[0] < args.every:
            return
        last[0] = t
        travel = sum(time_route(ctx, n, acts).travel for n in instance.nurses if (acts := rounds.get(n.id)))
        print(f"TRACE {t:7.1f} {travel:9.1f}", flush=True)

    solver_pyvrp.TRACE_ROUNDS = trace
    plan = solve(instance, SolveOptions(time_limit=args.time_limit, seed=args.seed, workers=args.workers))
    wall = time.perf_counter() - t0
    out = plan_to_json(plan)
    row = {
        "day": args.day,
        "seed": args.seed,
        "time_limit": args.time_limit,
        "wall_s": round(wall, 1),
        "main_process_cpu_s": round(time.process_time(), 1),
        "travel_min": round(plan.total_travel_min, 1),
        "unassigned": len(plan.unassigned),
        "checker_ok": check_plan(raw, out).ok,
    }
    print(json.dumps(row), flush=True)
    if args.plan_out:
        args.plan_out.write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
