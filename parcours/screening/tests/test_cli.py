"""The ``parcours score INSTRUMENT FILE|-`` contract (clinical-rules.md A.2), through a real subprocess."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from parcours.screening import cli

ROOT = Path(__file__).resolve().parents[3]
G8_135 = {"A": 2, "B": 3, "C": 2, "D": 2, "E": 3, "F": 0, "G": 0.5, "H": 1}  # 13.5


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parcours.screening.cli", "score", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )


def test_g8_file_prints_the_a2_output_object(tmp_path: Path) -> None:
    path = tmp_path / "g8.json"
    path.write_text(json.dumps(G8_135), encoding="utf-8")
    done = run("g8", str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["instrument"] == "g8"
    assert out["score"] == 13.5
    assert out["positive"] is True
    assert "gériatrique" in out["recommendation"]
    assert out["route_to"] == "geriatric_oncology"
    assert done.stderr == ""


def test_dash_reads_stdin() -> None:
    done = run("distress", "-", stdin='{"score": 4}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["positive"] is True


def test_an_array_of_answers_gives_an_array_of_results_in_the_same_order() -> None:
    done = run("distress", "-", stdin='[{"score": 3}, {"score": 4}, {"score": 10}]')
    assert done.returncode == 0, done.stderr
    assert [r["positive"] for r in json.loads(done.stdout)] == [False, True, True]


def test_pallia10_not_applicable_and_surprise_question_through_the_cli() -> None:
    done = run("pallia10", "-", stdin=json.dumps({"answers": [False] + [True] * 9}))
    out = json.loads(done.stdout)
    assert (done.returncode, out["applicable"], out["score"], out["positive"]) == (0, False, None, False)
    done = run("surprise", "-", stdin='{"surprised_if_dies_within_12_months": false}')
    assert json.loads(done.stdout)["route_to"] == "palliative_care"


def test_threshold_and_bmi_band_options() -> None:
    done = run("distress", "-", "--threshold", "3", stdin='{"score": 3}')
    assert json.loads(done.stdout)["positive"] is True
    answers = {**G8_135, "E": {"bmi": 18.7}}
    bellera = json.loads(run("g8", "-", stdin=json.dumps(answers)).stdout)
    inca = json.loads(run("g8", "-", "--bmi-bands", "inca_fr", stdin=json.dumps(answers)).stdout)
    assert (bellera["score"], inca["score"]) == (10.5, 11.5)


@pytest.mark.parametrize(
    ("instrument", "payload", "named"),
    [
        ("g8", {**G8_135, "B": 4}, "g8: B: 4 is not an allowed value"),
        ("g8", {**G8_135, "E": {"bmi": -2}}, "g8: E.bmi:"),
        ("distress", {"score": 11}, "distress: score:"),
        ("pallia10", {"answers": [True, "yes"] + [False] * 8}, "pallia10: answers[1] (question 2):"),
        ("surprise", {}, "surprise: surprised_if_dies_within_12_months: missing"),
        ("distress", [{"score": 1}, {"score": -1}], "distress: [1].score:"),
        ("distress", [{"score": 1}, 7], "distress: [1] (answers):"),
    ],
)
def test_invalid_input_exits_2_naming_the_item_and_prints_nothing_on_stdout(
    instrument: str, payload: Any, named: str
) -> None:
    done = run(instrument, "-", stdin=json.dumps(payload))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("parcours score: ")
    assert named in done.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("hads", "-"), "{}", "unknown instrument 'hads'"),
        (("g8", "-"), "{not json", "not valid JSON"),
        (("g8", "-"), '{"A": NaN}', "not valid JSON"),
        (("g8", "/nonexistent/answers.json"), None, "cannot read"),
        (("g8", "-", "--threshold", "15"), json.dumps(G8_135), "not configurable"),
        (("distress", "-", "--threshold", "0"), '{"score": 1}', "threshold:"),
    ],
)
def test_bad_instrument_file_json_or_setting_exits_2(
    args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    done = run(*args, stdin=stdin)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_register_adds_the_score_subcommand_with_a_callable_returning_an_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    parser = argparse.ArgumentParser(prog="parcours")
    cli.register(parser.add_subparsers(dest="command"))
    path = tmp_path / "dt.json"
    path.write_text('{"score": 2}', encoding="utf-8")
    ns = parser.parse_args(["score", "distress", str(path)])
    assert ns.func(ns) == 0
    assert json.loads(capsys.readouterr().out)["positive"] is False
