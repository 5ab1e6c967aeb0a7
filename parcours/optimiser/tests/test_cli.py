"""The CLI contract, through a subprocess (``python -m parcours.optimiser.cli``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parcours.optimiser.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def write(tmp_path: Path, name: str, obj: Any) -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


def test_plan_prints_a_json_plan_that_plan_check_accepts(tmp_path: Path, instance: dict[str, Any]) -> None:
    inst = write(tmp_path, "inst.json", instance)
    out = run("plan", inst, "--time-limit", "0.5", "--seed", "3")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["unassigned"] == [] and plan["time_unit"] == "minutes from midnight"
    assert plan["routes"][0]["stops"][0]["type"] == "pickup"  # optimum: PH, B, A (40 min)
    checked = run("plan-check", inst, write(tmp_path, "plan.json", out.stdout))
    assert checked.returncode == 0
    assert checked.stdout.startswith("OK")


def test_plan_check_exits_1_listing_every_violation(
    tmp_path: Path, instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    instance["nurses"][0]["skills"] = []
    instance["nurses"][0]["max_visits"] = 1
    out = run("plan-check", write(tmp_path, "i.json", instance), write(tmp_path, "p.json", plan))
    assert out.returncode == 1
    assert "lacks skills" in out.stdout and "max_visits" in out.stdout
    assert "2 violation(s)" in out.stdout


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda i: i["visits"][1]["bag"].update(depot="NOPE"), "visits[1].bag.depot: unknown depot 'NOPE'"),
        (
            lambda i: i["visits"][0].update(window=["14:00", "09:00"]),
            "visits[0].window: start 14:00 is after end 09:00",
        ),
        (lambda i: i["visits"][0].update(duration_min=-5), "visits[0].duration_min: must be ≥ 0"),
        (lambda i: i["travel"].update(kind="teleport"), "travel.kind: unknown travel kind 'teleport'"),
        (lambda i: i["nurses"][0].pop("shift"), "nurses[0].shift: missing field"),
        (lambda i: i["nurses"][0].update(shift=["8h", "12:00"]), "nurses[0].shift[0]: expected a time"),
        (lambda i: i["visits"].append(dict(i["visits"][0])), "visits[2].id: duplicate visit id 'A'"),
        (lambda i: i.pop("travel"), "travel: missing field"),
    ],
    ids=[
        "unknown-depot",
        "window-reversed",
        "negative-duration",
        "unknown-travel-kind",
        "missing-shift",
        "bad-time",
        "duplicate-id",
        "missing-travel",
    ],
)
def test_invalid_instance_exits_2_naming_the_field(
    tmp_path: Path, instance: dict[str, Any], mutate: Any, message: str
) -> None:
    mutate(instance)
    path = write(tmp_path, "bad.json", instance)
    for args in (("plan", path), ("plan-check", path, path)):
        out = run(*args)
        assert out.returncode == 2
        assert message in out.stderr
        assert out.stdout == ""


def test_malformed_json_exits_2(tmp_path: Path) -> None:
    out = run("plan", write(tmp_path, "bad.json", "{not json"))
    assert out.returncode == 2 and "malformed JSON" in out.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    out = run("plan", str(tmp_path / "nope.json"))
    assert out.returncode == 2 and "nope.json" in out.stderr


def test_matrix_instance_names_nurse_points_by_id_or_default(
    tmp_path: Path, instance: dict[str, Any]
) -> None:
    ids = ["home", "PH", "A", "B", "N1:end"]
    m = [
        [0, 10, 10, 20, 0],
        [10, 0, 20, 10, 10],
        [10, 20, 0, 10, 10],
        [20, 10, 10, 0, 20],
        [0, 10, 10, 20, 0],
    ]
    instance["travel"] = {"kind": "matrix", "ids": ids, "minutes": m}
    instance["nurses"][0]["start"] = {"id": "home"}
    instance["nurses"][0]["end"] = {}
    inst = write(tmp_path, "m.json", instance)
    out = run("plan", inst, "--time-limit", "0.3")
    assert out.returncode == 0, out.stderr
    assert run("plan-check", inst, write(tmp_path, "p.json", out.stdout)).returncode == 0
    instance["nurses"][0]["start"] = {"id": "elsewhere"}
    bad = run("plan", write(tmp_path, "m2.json", instance))
    assert (
        bad.returncode == 2 and "nurses[0].start.id: point id 'elsewhere' is not in travel.ids" in bad.stderr
    )


def test_replan_cancellation_keeps_started_stops_and_passes_the_check(
    tmp_path: Path, instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    inst = write(tmp_path, "inst.json", instance)
    prev = write(tmp_path, "plan.json", plan)
    out = run("plan", inst, "--replan-from", prev, "--now", "09:10", "--cancel", "A")
    assert out.returncode == 0, out.stderr
    new = json.loads(out.stdout)
    assert new["routes"][0]["stops"] == plan["routes"][0]["stops"][:2]
    assert {"visit": "A", "reason": "cancelled"} in new["unassigned"]
    assert run("plan-check", inst, write(tmp_path, "new.json", out.stdout)).returncode == 0


def test_replan_refuses_unknown_visit_and_missing_now(
    tmp_path: Path, instance: dict[str, Any], plan: dict[str, Any]
) -> None:
    inst = write(tmp_path, "inst.json", instance)
    prev = write(tmp_path, "plan.json", plan)
    out = run("plan", inst, "--replan-from", prev, "--now", "09:10", "--cancel", "ZZZ")
    assert out.returncode == 2 and "unknown visit 'ZZZ'" in out.stderr
    out = run("plan", inst, "--replan-from", prev)
    assert out.returncode == 2 and "--now" in out.stderr


def test_lead_cli_module_registers_plan_and_plan_check() -> None:
    import argparse

    from parcours.optimiser import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    ns = parser.parse_args(["plan-check", "i.json", "p.json"])
    assert ns.func is cli.run_check
    assert parser.parse_args(["plan", "i.json", "--time-limit", "5"]).time_limit == 5.0


def test_plan_balance_option_shares_the_work_and_the_plan_reports_it(tmp_path: Path) -> None:
    from parcours.optimiser.tests.test_pieces_and_balance import _split_instance

    inst = write(tmp_path, "inst.json", _split_instance())
    out = run("plan", inst, "--time-limit", "1", "--balance", "0.5")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert len(plan["routes"]) == 2
    assert plan["workload"]["visits"] == {"min": 2, "max": 2}
    assert all(r["work_min"] > 0 for r in plan["routes"])
    assert run("plan-check", inst, write(tmp_path, "plan.json", out.stdout)).returncode == 0
