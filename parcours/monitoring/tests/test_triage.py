"""Policy parcours-triage-1 (clinical-rules A.1): findings, red flags, levels, hold, discontinuation, input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from parcours.monitoring.common import read_data
from parcours.monitoring.triage import (
    TriageInputError,
    load_policy,
    loads_strict,
    parse_assessment,
    result_to_json,
    triage,
    triage_document,
)

POLICY = load_policy()
POLICY_DATA: dict[str, Any] = read_data("parcours-triage-1.json")


def run(doc: dict[str, Any]) -> dict[str, Any]:
    out = triage_document(doc)
    assert isinstance(out, dict)
    return out


def sob(severity: int, interference: int) -> dict[str, Any]:
    return {"pro": {"PROCTCAE_19A_SCL": severity, "PROCTCAE_19B_SCL": interference}}


def lab(code: str, value: Any, **refs: Any) -> dict[str, Any]:
    return {"code": code, "value": value, **refs}


A1_EXAMPLE: dict[str, Any] = {
    "regimen": "pembrolizumab",
    "pro": {
        "PROCTCAE_16A_SCL": 3,
        "PROCTCAE_17A_SCL": 2,
        "PROCTCAE_17B_SCL": 1,
        "PROCTCAE_17C_SCL": 0,
        "PROCTCAE_24A_IND": 1,
    },
    "labs": [
        {"code": "ALT", "value": 180, "uln": 40},
        {"code": "NEUTROPHILS", "value": 0.8, "lln": 1.8},
        {"code": "TSH", "value": 6.2, "lln": 0.4, "uln": 4.0},
    ],
    "vitals": {"temperature_c": 38.6, "spo2_percent": 95},
}

# ------------------------------------------------------------------------------------- whole output


def test_the_a1_example_input_is_triaged_by_the_rules() -> None:
    out = run(A1_EXAMPLE)
    assert out["policy"] == "parcours-triage-1"
    assert out["findings"] == [
        {"source": "pro", "code": "PROCTCAE_16", "label": "Diarrhea", "grade": 2},
        {"source": "pro", "code": "PROCTCAE_17", "label": "Pain in Abdomen", "grade": 1},
        {"source": "lab", "code": "ALT", "label": "Alanine aminotransferase increased", "grade": 2},
        {"source": "lab", "code": "NEUTROPHILS", "label": "Neutrophil count decreased", "grade": 3},
        {"source": "lab", "code": "TSH", "label": "Thyroid function abnormal", "grade": 1},
        {"source": "vital", "code": "temperature_c", "label": "Fever", "grade": 1},
    ]
    assert out["max_grade"] == 3
    assert out["level"] == "urgent"
    assert out["hold_treatment"] is True
    assert out["discontinuation_review"] is False  # ALT 4.5 x ULN < 5 x ULN (pembrolizumab)
    # A.1's example output shows [] but rule 4 applies: 38.6 °C with neutrophils 0.8
    assert out["red_flags"] == ["febrile_neutropenia"]
    assert out["reported"] == [{"source": "pro", "code": "PROCTCAE_24A_IND", "label": "Rash", "value": 1}]


def test_output_has_the_a1_keys_first_and_the_policy_version() -> None:
    out = run({})
    assert list(out)[:7] == [
        "policy",
        "max_grade",
        "level",
        "hold_treatment",
        "discontinuation_review",
        "red_flags",
        "findings",
    ]
    assert out["policy"] == POLICY.id == POLICY_DATA["policy"] == "parcours-triage-1"


def test_an_empty_assessment_is_level_none_with_no_findings() -> None:
    out = run({"pro": {}, "labs": [], "vitals": {}})
    assert (out["max_grade"], out["level"], out["hold_treatment"], out["discontinuation_review"]) == (
        0,
        "none",
        False,
        False,
    )
    assert out["findings"] == [] and out["red_flags"] == []


def test_null_sections_count_as_absent() -> None:
    assert run({"regimen": None, "pro": None, "labs": None, "vitals": None})["level"] == "none"


def test_normal_values_and_zero_composites_are_not_findings() -> None:
    out = run(
        {
            "pro": {"PROCTCAE_16A_SCL": 0, "PROCTCAE_53A_SCL": 0, "PROCTCAE_53B_SCL": 0},
            "labs": [lab("ALT", 40, uln=40), lab("PLATELETS", 150, lln=150)],
            "vitals": {"temperature_c": 37.9, "spo2_percent": 92},
        }
    )
    assert out["findings"] == [] and out["level"] == "none"


def test_findings_are_pro_by_term_number_then_labs_in_input_order_then_vitals() -> None:
    out = run(
        {
            "vitals": {"spo2_percent": 87, "temperature_c": 38.5},
            "labs": [lab("PLATELETS", 70, lln=150), lab("ALT", 50, uln=40)],
            "pro": {"PROCTCAE_53A_SCL": 2, "PROCTCAE_53B_SCL": 2, "PROCTCAE_16A_SCL": 1},
        }
    )
    assert [f["code"] for f in out["findings"]] == [
        "PROCTCAE_16",
        "PROCTCAE_53",
        "PLATELETS",
        "ALT",
        "temperature_c",
        "spo2_percent",
    ]


def test_every_lab_value_is_graded_when_a_code_is_repeated() -> None:
    out = run({"labs": [lab("ALT", 50, uln=40), lab("ALT", 300, uln=40)]})
    assert [(f["code"], f["grade"]) for f in out["findings"]] == [("ALT", 1), ("ALT", 3)]
    assert out["max_grade"] == 3


def test_the_engine_api_returns_bilingual_labels() -> None:
    result = triage(parse_assessment({"pro": {"PROCTCAE_16A_SCL": 4}}))
    assert result.findings[0].label.fr == "Diarrhée"
    assert result.findings[0].label.en == "Diarrhea"
    assert result_to_json(result)["findings"][0]["label"] == "Diarrhea"


# ------------------------------------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("frequency", "grade", "level"),
    [(0, 0, "none"), (1, 1, "routine"), (2, 1, "routine"), (3, 2, "same_day"), (4, 3, "urgent")],
)
def test_level_follows_max_grade(frequency: int, grade: int, level: str) -> None:
    out = run({"pro": {"PROCTCAE_16A_SCL": frequency}})
    assert (out["max_grade"], out["level"]) == (grade, level)


def test_a_grade_4_lab_is_urgent() -> None:
    out = run({"labs": [lab("NEUTROPHILS", 0.3, lln=1.8)]})
    assert (out["max_grade"], out["level"]) == (4, "urgent")


def test_the_highest_grade_wins_across_sources() -> None:
    out = run({"pro": {"PROCTCAE_16A_SCL": 1}, "labs": [lab("CREATININE", 200, uln=100)]})
    assert (out["max_grade"], out["level"]) == (2, "same_day")


# ---------------------------------------------------------------------------------------- red flags


@pytest.mark.parametrize(
    ("temperature", "neutrophils", "flag"),
    [
        (38.0, 0.99, True),
        (38.0, 1.0, False),
        (37.9, 0.5, False),
        (39.5, 0.1, True),
        (38.2, 1.2, False),
    ],
)
def test_febrile_neutropenia_needs_38_degrees_and_neutrophils_below_1(
    temperature: float, neutrophils: float, flag: bool
) -> None:
    out = run({"labs": [lab("NEUTROPHILS", neutrophils, lln=1.8)], "vitals": {"temperature_c": temperature}})
    assert ("febrile_neutropenia" in out["red_flags"]) is flag
    if flag:
        assert out["level"] == "urgent" and out["hold_treatment"] is True


def test_febrile_neutropenia_needs_both_a_temperature_and_a_neutrophil_count() -> None:
    assert run({"vitals": {"temperature_c": 39}})["red_flags"] == []
    assert run({"labs": [lab("NEUTROPHILS", 0.2, lln=1.8)]})["red_flags"] == []


def test_febrile_neutropenia_with_any_of_several_neutrophil_values() -> None:
    doc = {
        "labs": [lab("NEUTROPHILS", 2.0, lln=1.8), lab("NEUTROPHILS", 0.9, lln=1.8)],
        "vitals": {"temperature_c": 38.1},
    }
    assert run(doc)["red_flags"] == ["febrile_neutropenia"]


@pytest.mark.parametrize(("spo2", "flag"), [(92, False), (91.9, True), (89, True), (99, False)])
def test_spo2_below_92_is_a_red_flag_even_without_a_grade(spo2: float, flag: bool) -> None:
    out = run({"vitals": {"spo2_percent": spo2}})
    assert (out["red_flags"] == ["low_spo2"]) is flag
    assert out["level"] == ("urgent" if flag else "none")
    assert out["hold_treatment"] is flag
    assert out["max_grade"] == 0  # 88-92 %: a red flag, not a CTCAE hypoxia grade


@pytest.mark.parametrize(
    ("severity", "interference", "composite", "flag"),
    [(1, 0, 1, False), (1, 3, 2, True), (2, 2, 2, True), (4, 0, 2, True), (3, 3, 3, True), (2, 1, 1, False)],
)
def test_shortness_of_breath_composite_2_or_more_is_a_red_flag(
    severity: int, interference: int, composite: int, flag: bool
) -> None:
    out = run(sob(severity, interference))
    assert out["max_grade"] == composite
    assert ("shortness_of_breath" in out["red_flags"]) is flag
    assert out["level"] == ("urgent" if flag else "routine")


def test_red_flags_are_listed_in_policy_order() -> None:
    doc = {
        **sob(3, 3),
        "labs": [lab("NEUTROPHILS", 0.4, lln=1.8)],
        "vitals": {"temperature_c": 38.4, "spo2_percent": 90},
    }
    assert run(doc)["red_flags"] == ["febrile_neutropenia", "low_spo2", "shortness_of_breath"]


# --------------------------------------------------------------------------------------------- hold


def test_grade_1_does_not_hold_and_grade_2_holds() -> None:
    assert run({"pro": {"PROCTCAE_16A_SCL": 2}})["hold_treatment"] is False
    out = run({"pro": {"PROCTCAE_16A_SCL": 3}})
    assert out["hold_treatment"] is True
    assert out["reasons"]["hold_treatment"] == ["PROCTCAE_16"]


@pytest.mark.parametrize(("term", "var"), [(28, "PROCTCAE_28A_SCL"), (25, "PROCTCAE_25A_SCL")])
def test_itchy_or_dry_skin_up_to_grade_2_does_not_hold_but_grade_3_does(term: int, var: str) -> None:
    grade2 = run({"pro": {var: 2}})
    assert (grade2["max_grade"], grade2["level"], grade2["hold_treatment"]) == (2, "same_day", False)
    grade3 = run({"pro": {var: 3}})
    assert (grade3["max_grade"], grade3["hold_treatment"]) == (3, True)
    assert grade3["reasons"]["hold_treatment"] == [f"PROCTCAE_{term}"]


def test_other_skin_terms_are_not_exempt() -> None:
    assert run({"pro": {"PROCTCAE_30A_SCL": 2}})["hold_treatment"] is True  # hand-foot syndrome


def test_the_tsh_finding_never_holds() -> None:
    out = run({"labs": [lab("TSH", 60, lln=0.4, uln=4.0)]})
    assert (out["max_grade"], out["level"], out["hold_treatment"]) == (1, "routine", False)


def test_a_grade_2_lab_or_vital_holds() -> None:
    assert run({"labs": [lab("HEMOGLOBIN", 9.5, lln=12)]})["hold_treatment"] is True
    assert run({"vitals": {"temperature_c": 39.2}})["hold_treatment"] is True


def test_hold_exemptions_in_the_data_are_those_of_a1() -> None:
    assert dict(POLICY.hold_exempt_up_to) == {"PROCTCAE_28": 2, "PROCTCAE_25": 2, "TSH": None}
    assert POLICY.hold_min_grade == 2 and POLICY.hold_on_red_flag is True


# ------------------------------------------------------------------------------- discontinuation


def _regimen_cases() -> list[Any]:
    cases = []
    limit = POLICY_DATA["discontinuation_review"]["lab_limits"][0]
    for regimen, multiple in [
        *limit["by_regimen"].items(),
        ("tremelimumab", limit["above_uln_multiple"]),
        (None, "5"),
    ]:
        for code in limit["codes"]:
            cases.append(pytest.param(regimen, code, Decimal(multiple), id=f"{regimen}-{code}"))
    return cases


@pytest.mark.parametrize(("regimen", "code", "multiple"), _regimen_cases())
def test_liver_enzyme_discontinuation_threshold_by_regimen(
    regimen: str | None, code: str, multiple: Decimal
) -> None:
    uln = Decimal(40)
    at = run({"regimen": regimen, "labs": [lab(code, multiple * uln, uln=uln)]})
    above = run({"regimen": regimen, "labs": [lab(code, multiple * uln + Decimal("0.1"), uln=uln)]})
    assert at["discontinuation_review"] is False
    assert above["discontinuation_review"] is True
    assert above["reasons"]["discontinuation_review"] == [code]


def test_a1_regimen_thresholds_are_in_the_data() -> None:
    limit = POLICY_DATA["discontinuation_review"]["lab_limits"][0]
    assert set(limit["codes"]) == {"ALT", "AST"}
    assert limit["above_uln_multiple"] == "5"
    assert {k: Decimal(v) for k, v in limit["by_regimen"].items()} == {
        "pembrolizumab": 5,
        "nivolumab": 5,
        "ipilimumab": 5,
        "atezolizumab": 8,
        "durvalumab": 8,
        "cemiplimab": 10,
    }


@pytest.mark.parametrize(
    ("regimen", "value", "review"),
    [
        ("Atezolizumab", 300, False),  # 7.5 x ULN < 8
        ("  TECENTRIQ ", 300, False),  # brand name, case and spaces
        ("atezolizumab + ipilimumab", 300, True),  # combination: the lowest threshold (5)
        ("nivolumab/ipilimumab", 201, True),
        ("durvalumab et trémélimumab", 201, True),  # unknown component: 5 x ULN
        ("cemiplimab", 399, False),
        ("cemiplimab", 401, True),
        ("", 201, True),
        ("unknown-drug", 201, True),
    ],
)
def test_regimen_matching_is_lenient_and_conservative(regimen: str, value: int, review: bool) -> None:
    out = run({"regimen": regimen, "labs": [lab("ALT", value, uln=40)]})
    assert out["discontinuation_review"] is review


def test_bilirubin_above_3_uln_triggers_review_whatever_the_regimen() -> None:
    for regimen in ("cemiplimab", "atezolizumab", None):
        assert (
            run({"regimen": regimen, "labs": [lab("BILIRUBIN", 51, uln=17)]})["discontinuation_review"]
            is False
        )
        out = run({"regimen": regimen, "labs": [lab("BILIRUBIN", 51.1, uln=17)]})
        assert out["discontinuation_review"] is True


def test_any_grade_4_finding_triggers_review() -> None:
    out = run({"labs": [lab("PLATELETS", 20, lln=150)]})
    assert (out["max_grade"], out["discontinuation_review"]) == (4, True)
    assert out["reasons"]["discontinuation_review"] == ["PLATELETS"]


def test_a_grade_3_pro_finding_does_not_trigger_review() -> None:
    assert run({"pro": {"PROCTCAE_16A_SCL": 4}})["discontinuation_review"] is False


def test_red_flags_alone_do_not_trigger_review() -> None:
    assert run({"vitals": {"spo2_percent": 90}})["discontinuation_review"] is False


# ------------------------------------------------------------------- partial and non-graded answers


def test_a_partly_answered_term_is_not_graded_and_listed_as_incomplete() -> None:
    out = run({"pro": {"PROCTCAE_17A_SCL": 3, "PROCTCAE_17B_SCL": 3, "PROCTCAE_17C_SCL": None}})
    assert out["findings"] == [] and out["level"] == "none" and out["max_grade"] == 0
    assert out["incomplete"] == [
        {
            "source": "pro",
            "code": "PROCTCAE_17",
            "label": "Pain in Abdomen",
            "missing": ["PROCTCAE_17C_SCL"],
            "grade_at_least": 2,
        }
    ]


def test_an_absent_item_counts_as_missing() -> None:
    out = run({"pro": {"PROCTCAE_17A_SCL": 2}})
    assert out["incomplete"][0]["missing"] == ["PROCTCAE_17B_SCL", "PROCTCAE_17C_SCL"]


def test_partial_shortness_of_breath_is_not_a_red_flag_but_is_shown() -> None:
    out = run({"pro": {"PROCTCAE_19A_SCL": 4}})
    assert out["red_flags"] == [] and out["level"] == "none"
    assert out["incomplete"][0]["code"] == "PROCTCAE_19" and out["incomplete"][0]["grade_at_least"] == 2


def test_zero_first_answer_with_missing_later_items_is_graded_zero_not_incomplete() -> None:
    out = run({"pro": {"PROCTCAE_17A_SCL": 0}})
    assert out["incomplete"] == [] and out["findings"] == []


def test_only_null_answers_are_neither_graded_nor_incomplete() -> None:
    out = run({"pro": {"PROCTCAE_17A_SCL": None, "PROCTCAE_17B_SCL": None}})
    assert out["incomplete"] == [] and out["findings"] == []


def test_presence_items_and_gp5_are_reported_never_graded() -> None:
    out = run({"pro": {"PROCTCAE_24A_IND": 1, "PROCTCAE_29A_IND": 0, "GP5": 4, "PROCTCAE_73A_IND": None}})
    assert out["findings"] == [] and out["max_grade"] == 0
    assert [(r["code"], r["value"]) for r in out["reported"]] == [
        ("PROCTCAE_24A_IND", 1),
        ("PROCTCAE_29A_IND", 0),
        ("GP5", 4),
    ]


# ------------------------------------------------------------------------------------ invalid input

INVALID = [
    ("neither an object nor an array", "hello", "input"),
    ("array item not an object", [{}, 3], "[1]"),
    ("unknown top-level field", {"vital": {}}, "vital"),
    ("unknown PRO variable", {"pro": {"PROCTCAE_99A_SCL": 1}}, "pro.PROCTCAE_99A_SCL"),
    ("PRO variable in lower case", {"pro": {"proctcae_16a_scl": 1}}, "pro.proctcae_16a_scl"),
    ("answer above the scale", {"pro": {"PROCTCAE_16A_SCL": 5}}, "pro.PROCTCAE_16A_SCL"),
    ("negative answer", {"pro": {"PROCTCAE_16A_SCL": -1}}, "pro.PROCTCAE_16A_SCL"),
    ("presence answer 2", {"pro": {"PROCTCAE_24A_IND": 2}}, "pro.PROCTCAE_24A_IND"),
    ("fractional answer", {"pro": {"PROCTCAE_16A_SCL": 2.5}}, "pro.PROCTCAE_16A_SCL"),
    ("boolean answer", {"pro": {"PROCTCAE_24A_IND": True}}, "pro.PROCTCAE_24A_IND"),
    ("string answer", {"pro": {"PROCTCAE_16A_SCL": "3"}}, "pro.PROCTCAE_16A_SCL"),
    ("pro not an object", {"pro": [1, 2]}, "pro"),
    ("labs not an array", {"labs": {"code": "ALT"}}, "labs"),
    ("lab not an object", {"labs": [3]}, "labs[0]"),
    ("unknown lab code", {"labs": [lab("GGT", 50, uln=40)]}, "labs[0].code"),
    ("missing ULN", {"labs": [lab("ALT", 50)]}, "labs[0].uln"),
    ("null ULN", {"labs": [lab("BILIRUBIN", 50, uln=None)]}, "labs[0].uln"),
    ("missing LLN", {"labs": [lab("NEUTROPHILS", 1.0)]}, "labs[0].lln"),
    ("TSH without ULN", {"labs": [lab("TSH", 3, lln=0.4)]}, "labs[0].uln"),
    ("TSH without LLN", {"labs": [lab("TSH", 3, uln=4)]}, "labs[0].lln"),
    ("LLN above ULN", {"labs": [lab("TSH", 3, lln=5, uln=4)]}, "labs[0].lln"),
    ("zero ULN", {"labs": [lab("ALT", 3, uln=0)]}, "labs[0].uln"),
    ("negative value", {"labs": [lab("ALT", -3, uln=40)]}, "labs[0].value"),
    ("missing value", {"labs": [{"code": "ALT", "uln": 40}]}, "labs[0].value"),
    ("string value", {"labs": [lab("ALT", "50", uln=40)]}, "labs[0].value"),
    ("unknown lab field", {"labs": [{**lab("ALT", 50, uln=40), "unit": "U/L"}]}, "labs[0].unit"),
    ("missing code", {"labs": [{"value": 50, "uln": 40}]}, "labs[0].code"),
    ("unknown vital", {"vitals": {"heart_rate": 80}}, "vitals.heart_rate"),
    ("Fahrenheit temperature", {"vitals": {"temperature_c": 101.3}}, "vitals.temperature_c"),
    ("SpO2 above 100", {"vitals": {"spo2_percent": 101}}, "vitals.spo2_percent"),
    ("infinite temperature", {"vitals": {"temperature_c": float("inf")}}, "vitals.temperature_c"),
    ("regimen not a string", {"regimen": 3}, "regimen"),
]


@pytest.mark.parametrize(("doc", "field"), [pytest.param(d, f, id=i) for i, d, f in INVALID])
def test_invalid_input_is_refused_naming_the_field(doc: Any, field: str) -> None:
    with pytest.raises(TriageInputError) as info:
        triage_document(doc)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_an_invalid_item_refuses_the_whole_batch_naming_its_index() -> None:
    with pytest.raises(TriageInputError) as info:
        triage_document([{}, {}, {"labs": [lab("ALT", 50)]}])
    assert info.value.field == "[2].labs[0].uln"


def test_a_lower_case_lab_code_is_refused_with_a_suggestion() -> None:
    with pytest.raises(TriageInputError, match="did you mean 'ALT'"):
        triage_document({"labs": [lab("alt", 50, uln=40)]})


def test_whole_number_floats_are_accepted_as_answers() -> None:
    assert run({"pro": {"PROCTCAE_16A_SCL": 3.0}})["max_grade"] == 2


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("{", "input"),
        ('{"vitals": {"temperature_c": NaN}}', "input"),
        ('{"pro": {"PROCTCAE_16A_SCL": 1, "PROCTCAE_16A_SCL": 3}}', "PROCTCAE_16A_SCL"),
    ],
)
def test_loads_strict_refuses_bad_json_nan_and_repeated_keys(text: str, field: str) -> None:
    with pytest.raises(TriageInputError) as info:
        loads_strict(text)
    assert info.value.field == field


def test_loads_strict_keeps_decimals_exact() -> None:
    doc = loads_strict('{"labs": [{"code": "BILIRUBIN", "value": 2.1, "uln": 0.7}]}')
    assert doc["labs"][0]["value"] == Decimal("2.1")
    assert run(doc)["findings"][0]["grade"] == 2  # exactly 3 x ULN: grade 2, not 3


def test_float_inputs_are_compared_exactly_too() -> None:
    out = run({"labs": [{"code": "BILIRUBIN", "value": 2.1, "uln": 0.7}]})
    assert out["findings"][0]["grade"] == 2
    assert out["discontinuation_review"] is False  # not > 3 x ULN
