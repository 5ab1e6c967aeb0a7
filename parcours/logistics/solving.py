"""The one place where the logistics app calls the pure optimiser (JSON contract in, JSON plan out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parcours.optimiser.parse import parse_instance, parse_plan, plan_to_json
from parcours.optimiser.replan import ReplanRequest, replan
from parcours.optimiser.solver import BALANCE_DEFAULT, SolveOptions, solve


def solve_instance(
    instance: dict[str, Any],
    *,
    time_limit_s: float,
    seed: int,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    parsed = parse_instance(instance)
    plan = solve(
        parsed,
        SolveOptions(
            time_limit=float(time_limit_s), seed=seed, should_stop=should_stop, balance=BALANCE_DEFAULT
        ),
    )
    return plan_to_json(plan)


def replan_instance(
    instance: dict[str, Any],
    previous_plan: dict[str, Any],
    *,
    now_min: float,
    cancel: set[str],
    sick: set[str],
) -> dict[str, Any]:
    result = replan(
        parse_instance(instance),
        parse_plan(previous_plan),
        ReplanRequest(now=float(now_min), cancel=frozenset(cancel), sick=frozenset(sick)),
    )
    return {"plan": plan_to_json(result.plan), "moved": list(result.moved), "warnings": list(result.warnings)}
