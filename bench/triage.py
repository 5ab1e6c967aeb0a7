"""Benchmark: toxicity-triage assessments per second on one core, batch path (target >= 20,000/s).

Method: build N random but realistic assessments (seeded): a weekly PRO-CTCAE questionnaire of the 16
irAE-relevant terms of clinical-rules §1.4 answered with the electronic branching (a first answer of 0 skips
the term's later items; 5 % of later items left unanswered, so some terms are incomplete), 2 presence items,
a lab panel of 8 values (ALT, AST, bilirubin, creatinine, neutrophils, platelets, haemoglobin, TSH; 60 % of
assessments carry labs) and both vitals; the regimen among the six ICIs of A.1. The documents are plain
parsed JSON (dicts, floats). Then, for about ``--seconds`` each, on one core:

* ``triage_document(docs)`` — the batch path of the CLI without I/O: validation of the whole array, grading,
  output dicts;
* the same with JSON text in and out: ``loads_strict`` + ``triage_document`` + ``json.dumps``;
* ``triage(assessment)`` alone on pre-validated assessments (what a Django service calls after its own
  validation).

Prints to stdout only.

    .venv/bin/python bench/triage.py [--seconds 3] [--assessments 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parcours.monitoring.triage import load_policy, loads_strict, parse_assessments, triage, triage_document

IRAE_TERMS = (16, 17, 18, 9, 10, 8, 19, 20, 21, 28, 25, 3, 53, 49, 51, 23)
PRESENCE = ("PROCTCAE_24A_IND", "PROCTCAE_29A_IND")
REGIMENS = ("pembrolizumab", "nivolumab", "ipilimumab", "atezolizumab", "durvalumab", "cemiplimab")


def random_assessment(rng: random.Random) -> dict[str, Any]:
    terms = load_policy().library.terms
    pro: dict[str, int | None] = {}
    for number in IRAE_TERMS:
        items = terms[number].items
        first = rng.choices(range(5), weights=(55, 20, 12, 8, 5))[0]
        pro[items[0]] = first
        if first:
            for var in items[1:]:
                pro[var] = (
                    None if rng.random() < 0.05 else rng.choices(range(5), weights=(30, 30, 20, 12, 8))[0]
                )
    for var in PRESENCE:
        pro[var] = rng.randint(0, 1)
    doc: dict[str, Any] = {"regimen": rng.choice(REGIMENS), "pro": pro}
    if rng.random() < 0.6:
        doc["labs"] = [
            {"code": "ALT", "value": round(rng.lognormvariate(3.5, 0.7), 1), "uln": 40},
            {"code": "AST", "value": round(rng.lognormvariate(3.4, 0.6), 1), "uln": 35},
            {"code": "BILIRUBIN", "value": round(rng.lognormvariate(2.5, 0.6), 1), "uln": 17},
            {"code": "CREATININE", "value": round(rng.lognormvariate(4.4, 0.3)), "uln": 104},
            {"code": "NEUTROPHILS", "value": round(rng.lognormvariate(1.2, 0.6), 2), "lln": 1.8},
            {"code": "PLATELETS", "value": round(rng.lognormvariate(5.3, 0.4)), "lln": 150},
            {"code": "HEMOGLOBIN", "value": round(rng.gauss(12.5, 1.8), 1), "lln": 12},
            {"code": "TSH", "value": round(rng.lognormvariate(0.5, 0.8), 2), "lln": 0.4, "uln": 4.0},
        ]
    doc["vitals"] = {
        "temperature_c": round(min(max(rng.gauss(37.1, 0.7), 35.0), 41.5), 1),
        "spo2_percent": min(100, round(rng.gauss(96, 2.5))),
    }
    return doc


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
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    parser.add_argument("--assessments", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    ns = parser.parse_args()

    rng = random.Random(ns.seed)
    docs = [random_assessment(rng) for _ in range(ns.assessments)]
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

    def engine_only() -> int:
        for assessment in assessments:
            triage(assessment, policy=policy)
        return len(assessments)

    for name, body in (
        ("triage_document (validate + grade + output dicts), batch", batch),
        ("loads_strict + triage_document + json.dumps, batch", batch_json),
        ("triage() on validated assessments", engine_only),
    ):
        done, elapsed = timed(ns.seconds, body)
        print(f"{name}: {done / elapsed:,.0f} assessments/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
