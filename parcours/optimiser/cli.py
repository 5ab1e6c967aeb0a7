"""``parcours plan`` and ``parcours plan-check``.

    parcours plan INSTANCE.json [--time-limit S] [--seed N] [--engine pyvrp|ortools]
    parcours plan INSTANCE.json --replan-from PLAN.json --now HH:MM [--cancel VISIT …] [--sick NURSE …]
    parcours plan-check INSTANCE.json PLAN.json

Exit status: 0 success (plan-check: the plan is valid), 1 plan-check found violations, 2 invalid input.
Also runnable as ``python -m parcours.optimiser.cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from parcours.optimiser.parse import InstanceError, load_instance, load_plan, parse_time, plan_to_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = subparsers.add_parser(
        "plan",
        help="plan a day of nurse rounds and infusion-bag pick-ups (prints the plan as JSON)",
        description="Plan a day of nurse rounds. Times in the plan are minutes from midnight.",
    )
    plan.add_argument("instance", help="instance JSON file ('-' for stdin)")
    plan.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="solver time budget in seconds (default 10)",
    )
    plan.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    plan.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="parallel searches, one process each (pyvrp engine; default 1)",
    )
    plan.add_argument(
        "--engine", choices=("pyvrp", "ortools"), default="pyvrp", help="solver engine (default pyvrp)"
    )
    plan.add_argument(
        "--balance",
        type=float,
        default=0.0,
        metavar="W",
        help="workload balance: minutes of travel a minute of work above the fair share costs "
        "(default 0: travel only; the planning page uses 0.05)",
    )
    plan.add_argument("--replan-from", metavar="PLAN", help="re-plan from this plan instead of from scratch")
    plan.add_argument("--now", help="current time HH:MM (with --replan-from)")
    plan.add_argument(
        "--cancel",
        nargs="+",
        action="extend",
        default=[],
        metavar="VISIT",
        help="cancelled visit ids (with --replan-from)",
    )
    plan.add_argument(
        "--sick",
        nargs="+",
        action="extend",
        default=[],
        metavar="NURSE",
        help="ids of nurses who stopped working (with --replan-from)",
    )
    plan.set_defaults(func=run_plan)

    check = subparsers.add_parser(
        "plan-check",
        help="verify a plan against its instance (exit 0 if valid, 1 listing every violation)",
    )
    check.add_argument("instance", help="instance JSON file")
    check.add_argument("plan", help="plan JSON file")
    check.set_defaults(func=run_check)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run_plan(ns: argparse.Namespace) -> int:
    try:
        text = _read(ns.instance)
    except OSError as exc:
        return _fail(f"{ns.instance}: {exc.strerror or exc}")
    try:
        instance = load_instance(text)
    except InstanceError as exc:
        return _fail(f"{ns.instance}: {exc}")
    if ns.time_limit <= 0:
        return _fail("--time-limit: must be positive")
    if ns.replan_from is None:
        if ns.now or ns.cancel or ns.sick:
            return _fail("--now/--cancel/--sick need --replan-from")
        from parcours.optimiser.solver import SolveOptions, solve

        plan = solve(
            instance,
            SolveOptions(
                time_limit=ns.time_limit,
                seed=ns.seed,
                engine=ns.engine,
                workers=max(1, ns.workers),
                balance=max(0.0, ns.balance),
            ),
        )
        out: dict[str, Any] = plan_to_json(plan)
    else:
        from parcours.optimiser.replan import ReplanError, ReplanRequest, replan

        if not ns.now:
            return _fail("--now is required with --replan-from")
        try:
            now = parse_time(ns.now, "--now")
            previous = load_plan(_read(ns.replan_from))
        except InstanceError as exc:
            return _fail(f"{ns.replan_from}: {exc}" if exc.path != "--now" else str(exc))
        except OSError as exc:
            return _fail(f"{ns.replan_from}: {exc.strerror or exc}")
        try:
            result = replan(
                instance,
                previous,
                ReplanRequest(now=now, cancel=frozenset(ns.cancel), sick=frozenset(ns.sick)),
            )
        except ReplanError as exc:
            return _fail(str(exc))
        for w in result.warnings:
            print(f"warning: {w}", file=sys.stderr)
        out = plan_to_json(result.plan)
        out["moved"] = list(result.moved)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def run_check(ns: argparse.Namespace) -> int:
    from parcours.optimiser.check import check_plan, summary

    try:
        instance_text = _read(ns.instance)
        plan_text = _read(ns.plan)
    except OSError as exc:
        return _fail(f"{exc.filename}: {exc.strerror or exc}")
    try:
        load_instance(instance_text)  # validation only; the checker reads the raw JSON itself
    except InstanceError as exc:
        return _fail(f"{ns.instance}: {exc}")
    try:
        plan_obj = json.loads(plan_text)
    except json.JSONDecodeError as exc:
        return _fail(f"{ns.plan}: malformed JSON: {exc}")
    if not isinstance(plan_obj, dict):
        return _fail(f"{ns.plan}: expected a JSON object")
    result = check_plan(json.loads(instance_text), plan_obj)
    if result.ok:
        print(summary(result))
        return 0
    for v in result.violations:
        print(v)
    print(summary(result))
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parcours", description="Parcours route optimiser.")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    ns = parser.parse_args(list(argv) if argv is not None else None)
    code: int = ns.func(ns)
    return code


if __name__ == "__main__":
    sys.exit(main())
