"""Solomon VRPTW benchmark of the route optimiser, through our own instance format and solver path.

Each Solomon instance (VRPLIB format, read with ``vrplib``) is converted into a Parcours instance JSON:
``euclidean`` travel with ``rounding: "dimacs"`` (distance ×10 truncated, i.e. one decimal; travel time =
distance), one nurse per available vehicle starting/ending at the depot with shift = depot time window,
``capacity`` = vehicle capacity, visits with ``demand``, windows and durations as numbers of minutes. The
JSON is parsed by ``parcours.optimiser.parse``, solved by ``parcours.optimiser.solver.solve`` and the plan
is verified by the independent checker. Gap = total travel / best-known distance (``bks.csv``) − 1.

    .venv/bin/python bench/optimiser_solomon.py [--time-limit 30] [--instances C101 R2] [--engine pyvrp]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import vrplib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parcours.optimiser.check import check_plan  # noqa: E402
from parcours.optimiser.parse import parse_instance, plan_to_json  # noqa: E402
from parcours.optimiser.solver import SolveOptions, solve  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "vrptw"


def to_instance(path: Path) -> dict[str, Any]:
    """A Solomon ``.vrp`` file as a Parcours instance (decoded JSON)."""
    raw = vrplib.read_instance(str(path))
    coords = raw["node_coord"]
    tw = raw["time_window"]
    service = raw["service_time"]
    if not hasattr(service, "__len__"):
        service = [service] * len(coords)
    demand = raw["demand"]
    depot = int(raw["depot"][0]) if "depot" in raw else 0
    n_vehicles = int(raw.get("vehicles", len(coords) - 1))
    capacity = int(raw["capacity"])
    dx, dy = float(coords[depot][0]), float(coords[depot][1])
    nurses = [
        {
            "id": f"veh{k + 1}",
            "start": {"x": dx, "y": dy},
            "end": {"x": dx, "y": dy},
            "shift": [float(tw[depot][0]), float(tw[depot][1])],
            "skills": [],
            "capacity": capacity,
        }
        for k in range(n_vehicles)
    ]
    visits = [
        {
            "id": f"c{i}",
            "x": float(coords[i][0]),
            "y": float(coords[i][1]),
            "window": [float(tw[i][0]), float(tw[i][1])],
            "duration_min": float(service[i]),
            "skills": [],
            "demand": int(demand[i]),
        }
        for i in range(len(coords))
        if i != depot
    ]
    return {
        "date": "1987-01-01",
        "travel": {"kind": "euclidean", "rounding": "dimacs"},
        "depots": [],
        "nurses": nurses,
        "visits": visits,
    }


def load_bks(data_dir: Path) -> dict[str, float]:
    with open(data_dir / "bks.csv", newline="") as fh:
        return {row["instance"]: float(row["bks_distance_dimacs"]) for row in csv.DictReader(fh)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="VRPTW data dir (default ../shared/...)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance (default 30)")
    ap.add_argument(
        "--instances", nargs="*", default=[], help="name prefixes to run (e.g. C101 R2); all if empty"
    )
    ap.add_argument("--engine", choices=("pyvrp", "ortools"), default="pyvrp")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write per-instance results to this JSON file")
    args = ap.parse_args(argv)

    bks = load_bks(args.data)
    files = sorted((args.data / "solomon").glob("*.vrp"))
    if args.instances:
        files = [f for f in files if any(f.stem.upper().startswith(p.upper()) for p in args.instances)]
    rows: list[dict[str, Any]] = []
    print(f"{'instance':10} {'cost':>10} {'bks':>10} {'gap%':>7} {'routes':>6} {'feasible':>8} {'secs':>6}")
    for f in files:
        inst_json = to_instance(f)
        instance = parse_instance(inst_json)
        t0 = time.perf_counter()
        plan = solve(instance, SolveOptions(time_limit=args.time_limit, seed=args.seed, engine=args.engine))
        wall = time.perf_counter() - t0
        plan_json = plan_to_json(plan)
        check = check_plan(inst_json, plan_json)
        feasible = check.ok and not plan.unassigned
        best = bks[f.stem]
        gap = (plan.total_travel_min / best - 1) * 100
        rows.append(
            {
                "instance": f.stem,
                "cost": round(plan.total_travel_min, 1),
                "bks": best,
                "gap": gap,
                "routes": len(plan.routes),
                "feasible": feasible,
                "seconds": round(wall, 1),
                "unassigned": len(plan.unassigned),
                "violations": list(check.violations[:3]),
            }
        )
        print(
            f"{f.stem:10} {plan.total_travel_min:10.1f} {best:10.1f} {gap:7.2f} {len(plan.routes):6d} "
            f"{feasible!s:>8} {wall:6.1f}",
            flush=True,
        )
    if rows:
        gaps = [r["gap"] for r in rows]
        n_feasible = sum(r["feasible"] for r in rows)
        print(
            f"\n{len(rows)} instances, {n_feasible} feasible (checker OK, all visits placed); "
            f"mean gap {statistics.mean(gaps):.3f} %, median {statistics.median(gaps):.3f} %, "
            f"max {max(gaps):.3f} % ({args.engine}, {args.time_limit:g} s each)"
        )
        for fam in ("C1", "C2", "R1", "R2", "RC1", "RC2"):
            fam_rows = [
                r
                for r in rows
                if r["instance"].startswith(fam)
                and not (fam in ("C1", "C2", "R1", "R2") and r["instance"].startswith("RC"))
            ]
            if fam_rows:
                print(
                    f"  {fam:4} n={len(fam_rows):2d} mean gap {statistics.mean(r['gap'] for r in fam_rows):.3f} %"
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
