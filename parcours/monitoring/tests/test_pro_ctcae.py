"""PRO-CTCAE composite grading (Basch 2021 / ProAE): every table row, zero-imputation, partial answers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from parcours.monitoring.common import read_data
from parcours.monitoring.pro_ctcae import COMPOSITE_FILE, composite_grade, load_library

DATA: dict[str, Any] = read_data(COMPOSITE_FILE)
LIBRARY = load_library()
TABLE_ROWS = [
    pytest.param(rank, row, id=f"pattern{rank}-" + "-".join(f"{a}{row[a]}" for a in table["attributes"]))
    for rank, table in DATA["composite_tables"].items()
    for row in table["rows"]
]

# The tables of clinical-rules.md §1.3, transcribed independently of the data file (rows: first attribute
# 1..4; columns: second attribute 0..4). The data must say the same.
F_ONLY = [0, 1, 1, 2, 3]
S_ONLY = [0, 1, 2, 3, 3]
I_ONLY = [0, 1, 1, 2, 2]
F_X_S = [[1, 1, 1, 2, 2], [1, 1, 2, 2, 2], [1, 1, 2, 3, 3], [1, 1, 2, 3, 3]]
F_X_I = [[1, 1, 1, 2, 2], [1, 1, 1, 2, 2], [1, 1, 2, 3, 3], [1, 1, 2, 3, 3]]
S_X_I = [[1, 1, 1, 2, 2], [1, 1, 2, 2, 3], [1, 2, 2, 3, 3], [2, 2, 2, 3, 3]]
F_S_I = {  # frequency -> rows severity 0..4, columns interference 0..4
    1: [[0, 1, 1, 2, 2], [1, 1, 1, 2, 2], [1, 2, 2, 2, 3], [2, 2, 2, 3, 3], [2, 2, 3, 3, 3]],
    2: [[0, 1, 1, 2, 2], [1, 1, 1, 2, 2], [2, 2, 2, 3, 3], [2, 2, 2, 3, 3], [2, 2, 3, 3, 3]],
    3: [[1, 1, 1, 2, 2], [1, 1, 1, 2, 2], [2, 2, 2, 3, 3], [2, 2, 3, 3, 3], [2, 2, 3, 3, 3]],
    4: [[1, 1, 1, 2, 2], [1, 1, 2, 2, 3], [2, 2, 2, 3, 3], [2, 2, 3, 3, 3], [2, 2, 3, 3, 3]],
}
PUBLISHED_TERMS = {  # clinical-rules §1.3: terms of each pattern
    ("frq",): {16, 67},
    ("sev",): {1, 2, 4, 6, 7, 15, 21, 25, 26, 28, 30, 36, 45, 60, 61, 66, 68, 71, 72, 80},
    ("int",): {27, 59},
    ("frq", "sev"): {9, 10, 11, 13, 14, 23, 74, 75, 77, 78},
    ("frq", "int"): {18, 62, 63, 65},
    ("sev", "int"): {3, 8, 19, 20, 39, 40, 41, 44, 46, 47, 52, 53},
    ("frq", "sev", "int"): {17, 22, 48, 49, 50, 51, 54, 55, 56},
}


def published_grade(attributes: tuple[str, ...], values: tuple[int, ...]) -> int:
    if values[0] == 0:
        return 0
    if len(values) == 1:
        single: dict[tuple[str, ...], list[int]] = {("frq",): F_ONLY, ("sev",): S_ONLY, ("int",): I_ONLY}
        return single[attributes][values[0]]
    if len(values) == 2:
        double: dict[tuple[str, ...], list[list[int]]] = {
            ("frq", "sev"): F_X_S,
            ("frq", "int"): F_X_I,
            ("sev", "int"): S_X_I,
        }
        return double[attributes][values[0] - 1][values[1]]
    return F_S_I[values[0]][values[1]][values[2]]


def test_library_has_the_124_items_plus_gp5_over_80_terms() -> None:
    assert len(LIBRARY.items) == 125
    assert "GP5" in LIBRARY.items
    assert len(LIBRARY.terms) + len(LIBRARY.presence_terms) == 80
    assert set(LIBRARY.presence_terms) == {
        5,
        12,
        24,
        29,
        31,
        32,
        33,
        34,
        35,
        37,
        38,
        42,
        43,
        57,
        58,
        64,
        69,
        70,
        73,
        76,
        79,
    }


def test_each_term_has_the_pattern_published_in_clinical_rules() -> None:
    by_pattern: dict[tuple[str, ...], set[int]] = {}
    for term in LIBRARY.terms.values():
        by_pattern.setdefault(term.attributes, set()).add(term.number)
    assert by_pattern == PUBLISHED_TERMS


@pytest.mark.parametrize(("rank", "row"), TABLE_ROWS)
def test_every_composite_table_row_grades_every_term_of_its_pattern(rank: str, row: dict[str, int]) -> None:
    attributes = tuple(DATA["composite_tables"][rank]["attributes"])
    values = tuple(row[a] for a in attributes)
    terms = [t for t in LIBRARY.terms.values() if t.pattern == int(rank)]
    assert terms
    for term in terms:
        answers = dict(zip(term.items, values, strict=True))
        result = composite_grade(term, answers)
        assert result.grade == row["grade"], (term.code, answers)
    assert row["grade"] == published_grade(attributes, values), "data differs from clinical-rules §1.3"


def test_every_answer_combination_is_graded_as_published() -> None:
    for term in LIBRARY.terms.values():
        for values in itertools.product(range(5), repeat=len(term.items)):
            answers = dict(zip(term.items, values, strict=True))
            assert composite_grade(term, answers).grade == published_grade(term.attributes, values)


def test_first_attribute_zero_gives_zero_even_with_later_items_missing() -> None:
    term = LIBRARY.terms[17]
    assert composite_grade(term, {"PROCTCAE_17A_SCL": 0}).grade == 0
    assert composite_grade(term, {"PROCTCAE_17A_SCL": 0, "PROCTCAE_17B_SCL": None}).grade == 0


def test_first_attribute_zero_ignores_inconsistent_later_answers_like_proae() -> None:
    term = LIBRARY.terms[17]
    answers = {"PROCTCAE_17A_SCL": 0, "PROCTCAE_17B_SCL": 4, "PROCTCAE_17C_SCL": 4}
    assert composite_grade(term, answers).grade == 0


def test_partial_answers_are_not_graded_and_name_the_missing_items() -> None:
    term = LIBRARY.terms[17]
    result = composite_grade(term, {"PROCTCAE_17A_SCL": 3, "PROCTCAE_17B_SCL": 3})
    assert result.grade is None
    assert result.missing == ("PROCTCAE_17C_SCL",)
    assert result.grade_at_least == 2  # F3 S3 I0 = 2, the lowest of the row
    assert result.answered


def test_grade_at_least_is_the_lowest_grade_of_any_completion() -> None:
    for term in LIBRARY.terms.values():
        if len(term.items) < 2:
            continue
        for values in itertools.product(range(1, 5), repeat=len(term.items) - 1):
            known = dict(zip(term.items[:-1], values, strict=True))
            result = composite_grade(term, known)
            completions = [composite_grade(term, {**known, term.items[-1]: v}).grade for v in range(5)]
            assert result.grade is None
            assert result.grade_at_least == min(g for g in completions if g is not None)


def test_first_item_missing_gives_lower_bound_zero() -> None:
    result = composite_grade(LIBRARY.terms[19], {"PROCTCAE_19B_SCL": 4})
    assert result.grade is None and result.grade_at_least == 0


def test_nothing_answered_is_not_graded_and_not_answered() -> None:
    result = composite_grade(LIBRARY.terms[16], {})
    assert result.grade is None and not result.answered


def test_presence_items_and_gp5_are_never_graded() -> None:
    assert not LIBRARY.items["PROCTCAE_24A_IND"].graded
    assert LIBRARY.items["PROCTCAE_24A_IND"].max_value == 1
    assert not LIBRARY.items["GP5"].graded
    assert LIBRARY.items["GP5"].max_value == 4


def test_terms_have_french_and_english_labels() -> None:
    assert LIBRARY.terms[16].label.en == "Diarrhea"
    assert LIBRARY.terms[16].label.fr == "Diarrhée"
    assert LIBRARY.terms[16].code == "PROCTCAE_16"
    assert all(t.label.fr and t.label.en for t in LIBRARY.terms.values())
