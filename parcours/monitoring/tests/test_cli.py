"""``triage FILE|-``: the CLI contract of clinical-rules A.1, through a subprocess."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from parcours.monitoring import cli

ROOT = Path(__file__).resolve().parents[3]


def triage_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parcours.monitoring.cli", "triage", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


SINGLE = {"pro": {"PROCTCAE_16A_SCL": 3}, "vitals": {"temperature_c": 37.2}}
BATCH: list[dict[str, Any]] = [
    {"pro": {"PROCTCAE_16A_SCL": 4}},
    {},
    {"labs": [{"code": "ALT", "value": 250, "uln": 40}], "regimen": "nivolumab"},
    {"pro": {"PROCTCAE_28A_SCL": 1}},
]


def test_a_single_object_gives_a_single_object_on_stdout() -> None:
    proc = triage_cli("-", stdin=json.dumps(SINGLE))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert isinstance(out, dict)
    assert out["policy"] == "parcours-triage-1"
    assert (out["max_grade"], out["level"], out["hold_treatment"]) == (2, "same_day", True)
    assert proc.stderr == ""


def test_an_array_gives_one_result_per_item_in_the_same_order() -> None:
    proc = triage_cli("-", stdin=json.dumps(BATCH))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert isinstance(out, list) and len(out) == len(BATCH)
    assert [o["level"] for o in out] == ["urgent", "none", "urgent", "routine"]
    assert [o["discontinuation_review"] for o in out] == [False, False, True, False]


def test_an_empty_array_gives_an_empty_array() -> None:
    proc = triage_cli("-", stdin="[]")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_reads_a_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "assessment.json"
    path.write_text(json.dumps(SINGLE), encoding="utf-8")
    proc = triage_cli(str(path), "--compact")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1
    assert json.loads(proc.stdout)["max_grade"] == 2


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        ('{"labs": [{"code": "ALT", "value": 50}]}', "labs[0].uln"),
        ('{"pro": {"PROCTCAE_16A_SCL": 7}}', "pro.PROCTCAE_16A_SCL"),
        ('{"pro": {"PROCTCAE_0A_SCL": 1}}', "pro.PROCTCAE_0A_SCL"),
        ('{"labs": [{"code": "GGT", "value": 50, "uln": 40}]}', "labs[0].code"),
        ('[{}, {"labs": [{"code": "PLATELETS", "value": 50}]}]', "[1].labs[0].lln"),
        ("this is not JSON", "input"),
        ('"a string"', "input"),
    ],
)
def test_invalid_input_exits_2_naming_the_field_on_stderr_and_prints_nothing(stdin: str, field: str) -> None:
    proc = triage_cli("-", stdin=stdin)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"parcours triage: {field}: ")


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    proc = triage_cli(str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr and proc.stdout == ""


def test_non_ascii_output_is_written_as_utf8() -> None:
    proc = triage_cli("-", stdin='{"vitals": {"temperature_c": 38.2}}')
    assert proc.returncode == 0 and "\\u" not in proc.stdout


def test_register_adds_the_triage_subcommand_whose_func_returns_the_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="parcours")
    cli.register(parser.add_subparsers(dest="command"))
    path = tmp_path / "a.json"
    path.write_text(json.dumps(BATCH), encoding="utf-8")
    ns = parser.parse_args(["triage", str(path)])
    assert ns.func(ns) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(BATCH)
    path.write_text('{"vitals": {"pulse": 80}}', encoding="utf-8")
    assert ns.func(ns) == 2
    assert "vitals.pulse" in capsys.readouterr().err


def test_the_fast_indented_output_is_byte_for_byte_json_dumps_indent_2() -> None:
    import json
    import random

    from parcours.monitoring.cli import dumps_indented
    from parcours.monitoring.triage import triage_document

    rng = random.Random(3)
    docs = [
        {
            "pro": {
                "PROCTCAE_16A_SCL": rng.randint(0, 4),
                "PROCTCAE_19A_SCL": rng.randint(0, 4),
                "PROCTCAE_19B_SCL": 2,
            },
            "labs": [{"code": "ALT", "value": rng.randint(5, 900), "uln": 40}],
            "vitals": {"temperature_c": 38.5},
        }
        for _ in range(50)
    ]
    out = triage_document(docs)
    assert dumps_indented(out) == json.dumps(out, ensure_ascii=False, indent=2)
    for odd in ({}, [], {'é\n"': [1, True, None, False, "x", {"b": {}}]}, 0, "s", [[[]]]):
        assert dumps_indented(odd) == json.dumps(odd, ensure_ascii=False, indent=2)
