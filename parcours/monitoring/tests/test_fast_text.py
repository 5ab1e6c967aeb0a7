"""The fused batch text path (``cli.triage_text``) against the reference path (``cli.reference_text``:
``loads_strict`` → ``triage_document`` → ``json.dumps``/``dumps_indented``): the same bytes out, or the same
:class:`TriageInputError` (message and field) — on random valid and invalid documents, batches and objects."""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.monitoring import cli
from parcours.monitoring.cli import _fast_text, reference_text, triage_text
from parcours.monitoring.triage import TriageInputError, load_policy

POLICY = load_policy()
GRADED = sorted(v for v, item in POLICY.library.items.items() if item.graded)
NOT_GRADED = sorted(v for v, item in POLICY.library.items.items() if not item.graded)
TERMS = POLICY.library.terms
LABS = sorted(POLICY.grading.labs)
REGIMENS = [
    None,
    "pembrolizumab",
    "Nivolumab + Yervoy",
    "atezolizumab",
    "durvalumab / tremelimumab",
    "cemiplimab",
    "Keytruda",
    "other",
    "",
]


def outcome(fn: Any, text: str | bytes, compact: bool) -> tuple[str, str]:
    try:
        return ("ok", fn(text, compact=compact))
    except TriageInputError as exc:
        return ("error", f"{exc.field} | {exc}")


def assert_same(text: str | bytes) -> None:
    for compact in (True, False):
        assert outcome(triage_text, text, compact) == outcome(reference_text, text, compact)


# ------------------------------------------------------------------------------------ valid documents


@st.composite
def pro_answers(draw: st.DrawFn) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for number in draw(st.lists(st.sampled_from(sorted(TERMS)), max_size=10, unique=True)):
        items = TERMS[number].items
        first = draw(st.integers(0, 4))
        answers[items[0]] = first
        for var in items[1:]:
            # the branching of §1.1, broken on purpose sometimes (a later answer after a first 0; missing ones)
            if first or draw(st.booleans()):
                answers[var] = draw(st.one_of(st.integers(0, 4), st.none()))
    for var in draw(st.lists(st.sampled_from(NOT_GRADED), max_size=3, unique=True)):
        item = POLICY.library.items[var]
        answers[var] = draw(st.one_of(st.integers(0, item.max_value), st.none()))
    keys = list(answers)
    draw(st.randoms(use_true_random=False)).shuffle(keys)
    return {k: answers[k] for k in keys}


numbers = st.one_of(
    st.integers(0, 2000),
    st.decimals(0, 2000, places=1).map(float),
    st.decimals(0, 20, places=2).map(float),
)


@st.composite
def lab(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(LABS))
    requires = POLICY.grading.labs[code].requires
    out: dict[str, Any] = {"code": code, "value": draw(numbers)}
    if "uln" in requires or draw(st.booleans()):
        out["uln"] = draw(st.sampled_from([40, 35, 17, 104, 4.0, 0.7, 1.2]))
    if "lln" in requires or draw(st.booleans()):
        out["lln"] = draw(st.sampled_from([1.8, 150, 12, 0.4, 0.3]))
    if "uln" in out and "lln" in out and out["lln"] >= out["uln"]:
        del out["lln" if "uln" in requires else "uln"]
        if "uln" in requires and "lln" in requires:
            out["lln"], out["uln"] = 0.4, 4.0
    return out


vitals = st.fixed_dictionaries(
    {},
    optional={
        "temperature_c": st.one_of(st.decimals(35, 42, places=1).map(float), st.integers(36, 41), st.none()),
        "spo2_percent": st.one_of(st.integers(80, 100), st.none()),
    },
)


def assessments() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "regimen": st.sampled_from(REGIMENS),
            "pro": pro_answers(),
            "labs": st.lists(lab(), max_size=6),
            "vitals": vitals,
        },
    )


@settings(max_examples=300, deadline=None)
@given(docs=st.lists(assessments(), max_size=8), indent=st.sampled_from([None, 1, 2]))
def test_a_valid_batch_takes_the_fast_path_and_gives_the_reference_bytes(
    docs: list[dict[str, Any]], indent: int | None
) -> None:
    text = json.dumps(docs, indent=indent)
    for compact in (True, False):
        fast = _fast_text(text, compact, POLICY)
        assert fast is not None  # not a silent fallback: the fused path handled it
        assert fast == reference_text(text, compact=compact)
        assert triage_text(text.encode(), compact=compact) == fast


@settings(max_examples=200, deadline=None)
@given(doc=assessments())
def test_a_valid_single_object_takes_the_fast_path_and_gives_the_reference_bytes(doc: dict[str, Any]) -> None:
    text = json.dumps(doc)
    for compact in (True, False):
        fast = _fast_text(text, compact, POLICY)
        assert fast is not None
        assert fast == reference_text(text, compact=compact)


def test_a_large_realistic_and_a_severe_batch_give_the_reference_bytes() -> None:
    rng = random.Random(7)
    docs = []
    for severity in (1, 3) * 150:
        pro = {var: rng.choice([0, 0, 1, 2, 3, 4, None][: 4 + severity]) for var in rng.sample(GRADED, 25)}
        labs = [
            {"code": "ALT", "value": round(rng.uniform(5, 40 * 6 * severity), 1), "uln": 40},
            {"code": "BILIRUBIN", "value": round(rng.uniform(2, 17 * 4 * severity), 1), "uln": 17},
            {"code": "NEUTROPHILS", "value": round(rng.uniform(0.1, 6), 2), "lln": 1.8},
            {"code": "TSH", "value": round(rng.uniform(0.05, 9), 2), "lln": 0.4, "uln": 4.0},
        ]
        vital = {
            "temperature_c": round(rng.uniform(36, 39 + severity / 2), 1),
            "spo2_percent": rng.randint(85, 100),
        }
        docs.append({"regimen": rng.choice(REGIMENS), "pro": pro, "labs": labs, "vitals": vital})
    text = json.dumps(docs)
    for compact in (True, False):
        assert _fast_text(text, compact, POLICY) == reference_text(text, compact=compact)


# ---------------------------------------------------------------------------------- invalid documents

BAD_VALUES = st.sampled_from([5, -1, 2.0, 2.5, True, False, "2", [], {}, 1e400, 10**30])


@st.composite
def broken(draw: st.DrawFn) -> dict[str, Any]:
    """A valid assessment with one thing broken (or not: some 'odd' values are valid, e.g. an answer 2.0)."""
    doc = draw(assessments())
    where = draw(st.sampled_from(["pro", "pro_var", "lab", "lab_key", "lab_code", "vital", "top", "regimen"]))
    bad = draw(BAD_VALUES)
    if where == "pro" and doc.get("pro"):
        doc["pro"][draw(st.sampled_from(sorted(doc["pro"])))] = bad
    elif where == "pro_var":
        doc.setdefault("pro", {})[
            draw(st.sampled_from(["PROCTCAE_0A_SCL", "proctcae_16a_scl", "GP5", ""]))
        ] = 1
    elif where == "lab" and doc.get("labs"):
        entry = draw(st.sampled_from(doc["labs"]))
        entry[draw(st.sampled_from(["value", "uln", "lln"]))] = draw(
            st.one_of(BAD_VALUES, st.none(), numbers)
        )
    elif where == "lab_key" and doc.get("labs"):
        draw(st.sampled_from(doc["labs"]))["unit"] = "g/L"
    elif where == "lab_code":
        doc.setdefault("labs", []).append({"code": draw(st.sampled_from(["GGT", "alt", "", 3])), "value": 1})
    elif where == "vital":
        key = draw(st.sampled_from(["temperature_c", "spo2_percent", "pulse"]))
        doc["vitals"] = {key: draw(st.one_of(BAD_VALUES, st.sampled_from([101.3, 29.9, 45.1, 100.5, -1])))}
    elif where == "top":
        doc[draw(st.sampled_from(["vital", "Labs", "patient"]))] = {}
    else:
        doc["regimen"] = draw(st.sampled_from([3, ["pembrolizumab"], "nivolumab: 3 mg/kg", True]))
    return doc


@settings(max_examples=400, deadline=None)
@given(docs=st.lists(st.one_of(assessments(), broken()), min_size=1, max_size=5), single=st.booleans())
def test_invalid_or_odd_input_gives_the_reference_error_or_output(
    docs: list[dict[str, Any]], single: bool
) -> None:
    assert_same(json.dumps(docs[0] if single else docs))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "this is not JSON",
        '"a string"',
        "3",
        "null",
        "[1]",
        "[{}, []]",
        '{"pro": {"PROCTCAE_16A_SCL": NaN}}',
        '{"vitals": {"temperature_c": Infinity}}',
        '{"vitals": {"temperature_c": -Infinity}}',
        '{"labs": [{"code": "ALT", "value": 1e999999, "uln": 40}]}',
        '{"labs": [{"code": "ALT", "value": 50}]} trailing',
        '{"pro": {"PROCTCAE_16A_SCL": 1, "PROCTCAE_16A_SCL": 2}}',
        '[{}, {"labs": [{"code": "ALT", "value": 50, "uln": 40, "uln": 4}]}]',
        '{"regimen": "nivolumab", "regimen": "cemiplimab"}',
        '{"regimen": "a:b", "regimen": "x"}',
        '{"regimen": "\\u003a", "regimen": "\\u003a"}',
        '{"regimen": ":"}',
        '{"vitals": {"spo2_percent": 95, "spo2_percent": 80}}',
        '[{"labs": [{"code": "GGT", "value": 1}]}, {"pro": {"X": 1, "X": 2}}]',
        '{"labs": [{"code": "ALT", "value": -1, "uln": 40}]}',
        '{"labs": [{"code": "TSH", "value": 1, "lln": 4, "uln": 0.4}]}',
        '{"labs": [{"code": "PLATELETS", "value": 50, "lln": 0}]}',
        '{"labs": [{"code": "ALT", "value": null, "uln": 40}]}',
        '{"labs": {"code": "ALT"}}',
        '{"pro": [1]}',
        '{"vitals": {"temperature_c": 101.3}}',
        '{"pro": {"PROCTCAE_16A_SCL": 2.0, "PROCTCAE_19A_SCL": 3, "PROCTCAE_19B_SCL": 2}}',
        '{"pro": {"PROCTCAE_16A_SCL": 3.0e0}, "vitals": {"temperature_c": 38.60}}',
        '{"labs": [{"code": "BILIRUBIN", "value": 2.1, "uln": 0.7}], "regimen": "pembrolizumab"}',
        '{"labs": [{"code": "ALT", "value": 2E+2, "uln": 40}]}',
        '{"labs": [{"code": "ALT", "value": 200, "uln": 40, "lln": null}]}',
        '{"pro": null, "labs": null, "vitals": null, "regimen": null}',
        '{"vitals": {"temperature_c": null, "spo2_percent": null}}',
        '[{"regimen": "Libtayo"}, {}]',
        "[]",
        " [ ] ",
        "{}",
    ],
)
def test_edge_cases_give_the_reference_bytes_or_error(text: str) -> None:
    assert_same(text)
    assert_same(text.encode())


def test_encoded_bytes_bom_and_utf16_give_the_reference_result() -> None:
    text = '[{"pro": {"PROCTCAE_16A_SCL": 3}, "vitals": {"temperature_c": 38.2}}]'
    for raw in (text.encode("utf-8-sig"), text.encode("utf-16"), text.encode("utf-32"), b"\xff\xfe{"):
        assert_same(raw)


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        ('[{}, {"labs": [{"code": "PLATELETS", "value": 50}]}]', "[1].labs[0].lln"),
        ('{"pro": {"PROCTCAE_16A_SCL": 1, "PROCTCAE_16A_SCL": 2}}', "PROCTCAE_16A_SCL"),
        ('[{"pro": {"PROCTCAE_16A_SCL": 7}}]', "[0].pro.PROCTCAE_16A_SCL"),
        ('{"vitals": {"temperature_c": NaN}}', "input"),
        ('[{"regimen": 3}]', "[0].regimen"),
    ],
)
def test_the_cli_exits_2_naming_the_field_as_the_reference_does(
    stdin: str, field: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(TriageInputError) as reference:
        reference_text(stdin)
    path = tmp_path / "in.json"
    path.write_text(stdin, encoding="utf-8")
    for compact in (False, True):
        assert cli.run_triage(argparse.Namespace(file=str(path), compact=compact)) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == f"parcours triage: {reference.value}\n"
        assert captured.err.startswith(f"parcours triage: {field}: ")


def test_the_cli_prints_the_reference_text_and_a_newline(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(
        [
            {"pro": {"PROCTCAE_19A_SCL": 3, "PROCTCAE_19B_SCL": None}, "vitals": {"temperature_c": 38.4}},
            {"labs": [{"code": "NEUTROPHILS", "value": 0.8, "lln": 1.8}], "vitals": {"temperature_c": 38.6}},
        ]
    )
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    for compact in (False, True):
        assert cli.run_triage(argparse.Namespace(file=str(path), compact=compact)) == 0
        assert capsys.readouterr().out == reference_text(text, compact=compact) + "\n"
