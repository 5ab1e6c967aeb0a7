"""CTCAE v5 lab and vital grading: every threshold boundary, table-driven from the data file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from parcours.monitoring.common import read_data
from parcours.monitoring.labs import GRADING_FILE, GradeRule, grade_lab, grade_vital, load_grading

DATA: dict[str, Any] = read_data(GRADING_FILE)
TABLES = load_grading()
EPS = Decimal("0.001")
# ordinary reference limits for each lab (LLNs above the absolute grade-2 thresholds, as in real labs)
REFS: dict[str, dict[str, Decimal]] = {
    "ALT": {"uln": Decimal(40)},
    "AST": {"uln": Decimal(35)},
    "BILIRUBIN": {"uln": Decimal(17)},
    "CREATININE": {"uln": Decimal(104)},
    "NEUTROPHILS": {"lln": Decimal("1.8")},
    "PLATELETS": {"lln": Decimal(150)},
    "HEMOGLOBIN": {"lln": Decimal(12)},
    "TSH": {"lln": Decimal("0.4"), "uln": Decimal("4.0")},
}


def _chains(rules: tuple[GradeRule, ...]) -> list[list[GradeRule]]:
    """Rules grouped by direction (upwards: gt/ge, downwards: lt/le), by increasing grade."""
    up = sorted((r for r in rules if r.op in ("gt", "ge")), key=lambda r: r.grade)
    down = sorted((r for r in rules if r.op in ("lt", "le")), key=lambda r: r.grade)
    return [c for c in (up, down) if c]


def _boundaries(kind: str) -> list[Any]:
    cases = []
    for code, definition in (TABLES.labs if kind == "lab" else TABLES.vitals).items():
        refs = REFS.get(code, {})
        for chain in _chains(definition.rules):
            for position, rule in enumerate(chain):
                previous = chain[position - 1].grade if position else 0
                reference = Decimal(1) if rule.of == "absolute" else refs[rule.of]
                bound = rule.threshold * reference
                step = EPS if rule.op in ("gt", "ge") else -EPS
                if rule.op in ("ge", "le"):  # inclusive: the bound itself is in the grade
                    inside, outside = bound, bound - step
                else:
                    inside, outside = bound + step, bound
                cases.append(
                    pytest.param(code, refs, inside, rule.grade, id=f"{code}-G{rule.grade}-{rule.op}-in")
                )
                cases.append(
                    pytest.param(code, refs, outside, previous, id=f"{code}-G{rule.grade}-{rule.op}-out")
                )
    return cases


def test_reference_limits_cover_every_lab_of_the_data() -> None:
    assert set(REFS) == set(TABLES.labs)
    for code, lab in TABLES.labs.items():
        assert set(REFS[code]) == set(lab.requires)


@pytest.mark.parametrize(("code", "refs", "value", "expected"), _boundaries("lab"))
def test_every_lab_threshold_boundary(
    code: str, refs: dict[str, Decimal], value: Decimal, expected: int
) -> None:
    assert grade_lab(TABLES.labs[code], value, **refs) == expected


@pytest.mark.parametrize(("code", "refs", "value", "expected"), _boundaries("vital"))
def test_every_vital_threshold_boundary(
    code: str, refs: dict[str, Decimal], value: Decimal, expected: int
) -> None:
    assert grade_vital(TABLES.vitals[code], value) == expected


# A.1 rules 2 and 3 transcribed independently of the data file: (code, refs, value, grade)
A1_EXAMPLES = [
    ("ALT", {"uln": 40}, "40", 0),
    ("ALT", {"uln": 40}, "40.01", 1),
    ("ALT", {"uln": 40}, "120", 1),
    ("ALT", {"uln": 40}, "120.01", 2),
    ("ALT", {"uln": 40}, "200", 2),
    ("ALT", {"uln": 40}, "200.01", 3),
    ("ALT", {"uln": 40}, "800", 3),
    ("ALT", {"uln": 40}, "800.01", 4),
    ("AST", {"uln": 35}, "175.01", 3),
    ("BILIRUBIN", {"uln": 17}, "25.5", 1),
    ("BILIRUBIN", {"uln": 17}, "25.51", 2),
    ("BILIRUBIN", {"uln": 17}, "51", 2),
    ("BILIRUBIN", {"uln": 17}, "51.01", 3),
    ("BILIRUBIN", {"uln": 17}, "170", 3),
    ("BILIRUBIN", {"uln": 17}, "170.01", 4),
    ("CREATININE", {"uln": 100}, "150", 1),
    ("CREATININE", {"uln": 100}, "300", 2),
    ("CREATININE", {"uln": 100}, "600", 3),
    ("CREATININE", {"uln": 100}, "600.1", 4),
    ("NEUTROPHILS", {"lln": "1.8"}, "1.8", 0),
    ("NEUTROPHILS", {"lln": "1.8"}, "1.5", 1),
    ("NEUTROPHILS", {"lln": "1.8"}, "1.49", 2),
    ("NEUTROPHILS", {"lln": "1.8"}, "1.0", 2),
    ("NEUTROPHILS", {"lln": "1.8"}, "0.99", 3),
    ("NEUTROPHILS", {"lln": "1.8"}, "0.5", 3),
    ("NEUTROPHILS", {"lln": "1.8"}, "0.49", 4),
    ("NEUTROPHILS", {"lln": "1.8"}, "0", 4),
    ("PLATELETS", {"lln": 150}, "75", 1),
    ("PLATELETS", {"lln": 150}, "74", 2),
    ("PLATELETS", {"lln": 150}, "50", 2),
    ("PLATELETS", {"lln": 150}, "49", 3),
    ("PLATELETS", {"lln": 150}, "25", 3),
    ("PLATELETS", {"lln": 150}, "24.9", 4),
    ("HEMOGLOBIN", {"lln": 12}, "10.0", 1),
    ("HEMOGLOBIN", {"lln": 12}, "9.9", 2),
    ("HEMOGLOBIN", {"lln": 12}, "8.0", 2),
    ("HEMOGLOBIN", {"lln": 12}, "7.9", 3),
    ("HEMOGLOBIN", {"lln": 12}, "3", 3),
    ("TSH", {"lln": "0.4", "uln": "4.0"}, "0.4", 0),
    ("TSH", {"lln": "0.4", "uln": "4.0"}, "4.0", 0),
    ("TSH", {"lln": "0.4", "uln": "4.0"}, "0.39", 1),
    ("TSH", {"lln": "0.4", "uln": "4.0"}, "40", 1),
]


@pytest.mark.parametrize(("code", "refs", "value", "expected"), A1_EXAMPLES)
def test_lab_grades_match_the_text_of_policy_a1(
    code: str, refs: dict[str, Any], value: str, expected: int
) -> None:
    limits = {k: Decimal(str(v)) for k, v in refs.items()}
    assert grade_lab(TABLES.labs[code], Decimal(value), **limits) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("37.9", 0), ("38.0", 1), ("39.0", 1), ("39.1", 2), ("40.0", 2), ("40.1", 3), ("42", 3)],
)
def test_fever_grades_match_the_text_of_policy_a1(value: str, expected: int) -> None:
    assert grade_vital(TABLES.vitals["temperature_c"], Decimal(value)) == expected


@pytest.mark.parametrize(("value", "expected"), [("88", 0), ("87.9", 3), ("60", 3), ("99", 0)])
def test_spo2_below_88_at_rest_is_grade_3(value: str, expected: int) -> None:
    assert grade_vital(TABLES.vitals["spo2_percent"], Decimal(value)) == expected


def test_thresholds_are_compared_exactly_not_in_binary_floating_point() -> None:
    # 0.7 * 3 == 2.0999999999999996 in floats: a float comparison would call 2.1 "above 3 x ULN"
    assert grade_lab(TABLES.labs["BILIRUBIN"], Decimal("2.1"), uln=Decimal("0.7")) == 2
    assert grade_lab(TABLES.labs["ALT"], Decimal("2.1"), uln=Decimal("0.7")) == 1


def test_a_value_inside_the_normal_range_is_grade_0_even_below_an_absolute_threshold() -> None:
    # an unusual laboratory LLN of 1.4 G/L: 1.45 is normal there (A.1: at or inside the range is grade 0)
    assert grade_lab(TABLES.labs["NEUTROPHILS"], Decimal("1.45"), lln=Decimal("1.4")) == 0


def test_grading_a_lab_without_its_required_reference_limit_raises() -> None:
    with pytest.raises(ValueError, match="ULN"):
        grade_lab(TABLES.labs["ALT"], Decimal(100))
    with pytest.raises(ValueError, match="LLN"):
        grade_lab(TABLES.labs["TSH"], Decimal(1), uln=Decimal(4))


def test_data_thresholds_are_those_of_policy_a1() -> None:
    expected = {
        "ALT": [("gt", "1.0", "uln"), ("gt", "3.0", "uln"), ("gt", "5.0", "uln"), ("gt", "20.0", "uln")],
        "AST": [("gt", "1.0", "uln"), ("gt", "3.0", "uln"), ("gt", "5.0", "uln"), ("gt", "20.0", "uln")],
        "BILIRUBIN": [
            ("gt", "1.0", "uln"),
            ("gt", "1.5", "uln"),
            ("gt", "3.0", "uln"),
            ("gt", "10.0", "uln"),
        ],
        "CREATININE": [
            ("gt", "1.0", "uln"),
            ("gt", "1.5", "uln"),
            ("gt", "3.0", "uln"),
            ("gt", "6.0", "uln"),
        ],
        "NEUTROPHILS": [
            ("lt", "1.0", "lln"),
            ("lt", "1.5", "absolute"),
            ("lt", "1.0", "absolute"),
            ("lt", "0.5", "absolute"),
        ],
        "PLATELETS": [
            ("lt", "1.0", "lln"),
            ("lt", "75", "absolute"),
            ("lt", "50", "absolute"),
            ("lt", "25", "absolute"),
        ],
        "HEMOGLOBIN": [("lt", "1.0", "lln"), ("lt", "10.0", "absolute"), ("lt", "8.0", "absolute")],
    }
    for code, rules in expected.items():
        got = [(r.op, r.threshold, r.of) for r in TABLES.labs[code].rules]
        assert got == [(op, Decimal(t), of) for op, t, of in rules], code
        assert [r.grade for r in TABLES.labs[code].rules] == list(range(1, len(rules) + 1))
    fever = [(r.grade, r.op, r.threshold) for r in TABLES.vitals["temperature_c"].rules]
    assert fever == [(1, "ge", Decimal("38.0")), (2, "gt", Decimal("39.0")), (3, "gt", Decimal("40.0"))]
    assert [(r.grade, r.op, r.threshold) for r in TABLES.vitals["spo2_percent"].rules] == [
        (3, "lt", Decimal(88))
    ]
