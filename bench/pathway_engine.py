"""Benchmark: guard evaluations per second of the pure pathway engine (target >= 50,000/s).

Method: build N random fact sets over the facts the CLB definition reads (booleans, None, missing,
day counts), then call ``check_transitions`` for each state of interest over all fact sets, repeatedly, for
about ``--seconds`` seconds. Every call evaluates every guard of every outgoing transition (no short-cut), so
guard evaluations = calls x guards on the state's outgoing transitions. Also times ``attempt`` and raw
``evaluate_guard``. Prints to stdout only.

    .venv/bin/python bench/pathway_engine.py [--seconds 2] [--fact-sets 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parcours.pathways.engine import (
    PathwayDefinition,
    attempt,
    check_transitions,
    evaluate_guard,
    load_builtin_definitions,
    required_facts,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def random_facts(defn: PathwayDefinition, rng: random.Random, count: int) -> list[dict[str, object]]:
    names = sorted(required_facts(defn))
    sets = []
    for _ in range(count):
        facts: dict[str, object] = {}
        for name in names:
            roll = rng.random()
            if roll < 0.15:
                continue  # missing
            if name == "state.days_in_state":
                facts[name] = rng.randint(0, 400)
            elif name == "referent.oncologist":
                facts[name] = None if roll < 0.3 else f"dr-{rng.randint(1, 50)}"
            else:
                facts[name] = roll < 0.7
        sets.append(facts)
    return sets


def timed(seconds: float, body: Callable[[], int]) -> tuple[int, float]:
    """Run ``body`` (returns work units done) until ``seconds`` elapse; return (units, elapsed)."""
    units = 0
    start = time.perf_counter()
    while True:
        units += body()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return units, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each measurement")
    parser.add_argument("--fact-sets", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    ns = parser.parse_args()

    defn = load_builtin_definitions()[("clb_home_immunotherapy", 1)]
    rng = random.Random(ns.seed)
    fact_sets = random_facts(defn, rng, ns.fact_sets)
    print(f"python {platform.python_version()} on {platform.machine()}; {len(fact_sets)} random fact sets")

    for state in ("s1", "s2", "hdj"):
        guards_per_call = sum(len(t.guards) for t in defn.outgoing(state))

        def run(state: str = state, guards_per_call: int = guards_per_call) -> int:
            for facts in fact_sets:
                check_transitions(defn, state, facts, NOW)
            return len(fact_sets) * guards_per_call

        guards, elapsed = timed(ns.seconds, run)
        calls = guards // guards_per_call
        print(
            f"check_transitions({state}): {guards_per_call} guards/call, {calls / elapsed:,.0f} calls/s, "
            f"{guards / elapsed:,.0f} guard evaluations/s"
        )

    transition = defn.transition("to_s2")

    def run_attempt() -> int:
        for facts in fact_sets:
            attempt(defn, "s1", transition.id, facts, NOW)
        return len(fact_sets) * len(transition.guards)

    guards, elapsed = timed(ns.seconds, run_attempt)
    print(f"attempt(s1, to_s2): {guards / elapsed:,.0f} guard evaluations/s")

    guard_ids = list(defn.guards)

    def run_raw() -> int:
        for facts in fact_sets:
            for guard_id in guard_ids:
                evaluate_guard(defn, guard_id, facts, NOW)
        return len(fact_sets) * len(guard_ids)

    guards, elapsed = timed(ns.seconds, run_raw)
    print(f"evaluate_guard (all {len(guard_ids)} CLB guards): {guards / elapsed:,.0f} guard evaluations/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
