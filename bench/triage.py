"""Benchmark: toxicity-triage assessments per second on one core, batch path (target >= 20,000/s).

Method: build N random but realistic assessments (seeded): a weekly PRO-CTCAE questionnaire of the 16
irAE-relevant terms of clinical-rules §1.4 answered with the electronic branching (a first answer of 0 skips
the term's later items; 5 % of later items left unanswered, so some terms are incomplete), 2 presence items,
a lab panel of 8 values (ALT, AST, bilirubin, creatinine, neutrophils, platelets, haemoglobin, TSH; 60 % of
assessments carry labs) and both vitals; the regimen among the six ICIs of A.1. The documents are plain
parsed JSON (dicts, floats). Then, for about ``--seconds`` each, on one core:

* ``triage_document(docs)`` — the batch path of the CLI without I/O: validation of the whole array, grading,
  output dicts;
* the same with JSON text in and out: ``loads_strict`` + ``triage_document`` + ``json.dumps`` (compact);
* what ``parcours triage FILE`` did by default before the fused path (indented output through
  ``cli.dumps_indented``);
* **the batch CLI path** — ``cli.triage_text``, what ``parcours triage FILE`` does now: JSON text in, JSON text
  out, byte-identical to the reference path (checked here before timing), compact and indented (the default);
* ``triage(assessment)`` alone on pre-validated assessments (what a Django service calls after its own
  validation).

Each method is measured ``--repeats`` times (garbage collector on) and the best, median and worst rates are
printed: on a shared machine the best is the least disturbed figure. Prints to stdout only.

    .venv/bin/python bench/triage.py [--seconds 5] [--repeats 5] [--assessments 2000] [--seed 1] [--severe]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parcours.monitoring.cli import _fast_text, dumps_indented, reference_text, triage_text
from parcours.monitoring.triage import load_policy, loads_strict, parse_assessments, triage, triage_document

IRAE_TERMS = (16, 17, 18, 9, 10, 8, 19, 20, 21, 28, 25, 3, 53, 49, 51, 23)
PRESENCE = ("PROCTCAE_24A_IND", "PROCTCAE_29A_IND")
REGIMENS = ("pembrolizumab", "nivolumab", "ipilimumab", "atezolizumab", "durvalumab", "cemiplimab")


def random_assessment(rng: random.Random, severe: bool = False) -> dict[str, Any]:
    """A weekly assessment of a patient on an ICI; ``severe`` shifts every answer and lab towards toxicity."""
    terms = load_policy().library.terms
    first_weights = (30, 20, 20, 15, 15) if severe else (80, 11, 5, 3, 1)
    later_weights = (15, 25, 25, 20, 15) if severe else (25, 35, 22, 12, 6)
    spread = 2.0 if severe else 1.0
    pro: dict[str, int | None] = {}
    for number in IRAE_TERMS:
        items = terms[number].items
        first = rng.choices(range(5), weights=first_weights)[0]
        pro[items[0]] = first
        if first:
            for var in items[1:]:
                pro[var] = None if rng.random() < 0.03 else rng.choices(range(5), weights=later_weights)[0]
    for var in PRESENCE:
        pro[var] = int(rng.random() < 0.1)
    doc: dict[str, Any] = {"regimen": rng.choice(REGIMENS), "pro": pro}
    if rng.random() < 0.6:
        doc["labs"] = [
            {"code": "ALT", "value": round(rng.lognormvariate(math.log(25), 0.45 * spread), 1), "uln": 40},
            {"code": "AST", "value": round(rng.lognormvariate(math.log(24), 0.4 * spread), 1), "uln": 35},
            {
                "code": "BILIRUBIN",
                "value": round(rng.lognormvariate(math.log(9), 0.4 * spread), 1),
                "uln": 17,
            },
            {
                "code": "CREATININE",
                "value": round(rng.lognormvariate(math.log(80), 0.2 * spread)),
                "uln": 104,
            },
            {
                "code": "NEUTROPHILS",
                "value": round(rng.lognormvariate(math.log(3.5), 0.4 * spread), 2),
                "lln": 1.8,
            },
            {
                "code": "PLATELETS",
                "value": round(rng.lognormvariate(math.log(240), 0.3 * spread)),
                "lln": 150,
            },
            {"code": "HEMOGLOBIN", "value": round(max(rng.gauss(12.8, 1.4 * spread), 4.0), 1), "lln": 12},
            {
                "code": "TSH",
                "value": round(rng.lognormvariate(math.log(1.8), 0.7), 2),
                "lln": 0.4,
                "uln": 4.0,
            },
        ]
    doc["vitals"] = {
        "temperature_c": round(min(max(rng.gauss(36.9, 0.45 * spread), 35.0), 41.5), 1),
        "spo2_percent": min(100, round(rng.gauss(96.5, 1.6 * spread))),
    }
    return doc


CLOCK = time.perf_counter


def timed(seconds: float, body: Callable[[], int]) -> tuple[int, float]:
    """Run ``body`` (returns work units done) until ``seconds`` elapse; return (units, elapsed)."""
    units = 0
    start = CLOCK()
    while True:
        units += body()
        elapsed = CLOCK() - start
        if elapsed >= seconds:
            return units, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each method (all repeats)")
    parser.add_argument("--assessments", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--severe", action="store_true", help="a much sicker population (stress case)")
    parser.add_argument("--repeats", type=int, default=5, help="measurements per method (best/median/worst)")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="measure CPU time of this process instead of wall time (fairer on a machine shared with other jobs)",
    )
    ns = parser.parse_args()
    if ns.cpu_time:
        global CLOCK
        CLOCK = time.process_time

    rng = random.Random(ns.seed)
    docs = [random_assessment(rng, severe=ns.severe) for _ in range(ns.assessments)]
    text = json.dumps(docs)
    assessments = parse_assessments(docs)
    policy = load_policy()
    results = triage_document(docs)
    assert isinstance(results, list)
    levels = {
        level: sum(1 for r in results if r["level"] == level)
        for level in ("urgent", "same_day", "routine", "none")
    }
    print(
        f"python {platform.python_version()} on {platform.machine()}; {len(docs)} assessments "
        f"({sum(len(d['pro']) for d in docs) / len(docs):.1f} PRO answers, "
        f"{sum(len(d.get('labs', [])) for d in docs) / len(docs):.1f} labs on average; levels {levels})"
    )

    def batch() -> int:
        triage_document(docs, policy=policy)
        return len(docs)

    def batch_json() -> int:
        json.dumps(triage_document(loads_strict(text), policy=policy))
        return len(docs)

    def cli_default() -> int:
        dumps_indented(triage_document(loads_strict(text), policy=policy))
        return len(docs)

    for compact in (True, False):  # the fused path must be taken and give the reference bytes
        assert _fast_text(text, compact, policy) == reference_text(text, compact=compact, policy=policy)

    def cli_compact() -> int:
        triage_text(text, compact=True, policy=policy)
        return len(docs)

    def cli_indented() -> int:
        triage_text(text, compact=False, policy=policy)
        return len(docs)

    def engine_only() -> int:
        for assessment in assessments:
            triage(assessment, policy=policy)
        return len(assessments)

    for name, body in (
        ("triage_document (validate + grade + output dicts), batch", batch),
        ("loads_strict + triage_document + json.dumps, batch", batch_json),
        ("CLI default (indented output): loads_strict + triage_document + dumps_indented", cli_default),
        ("batch CLI path, cli.triage_text (fused), --compact", cli_compact),
        ("batch CLI path, cli.triage_text (fused), indented (CLI default)", cli_indented),
        ("triage() on validated assessments", engine_only),
    ):
        rates = []
        for _ in range(ns.repeats):
            done, elapsed = timed(ns.seconds / ns.repeats, body)
            rates.append(done / elapsed)
        print(
            f"{name}: best {max(rates):,.0f}, median {statistics.median(rates):,.0f}, "
            f"worst {min(rates):,.0f} assessments/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
