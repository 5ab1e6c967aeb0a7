"""INS (NIR + key) rules — pure functions, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcours.patients.ins import check_ins, check_insee_place, is_valid_ins, make_ins, nir_key, normalise

# French Wikipedia's worked example of a NIR ("Numéro de sécurité sociale en France"): 2 55 08 14 168 025 38.
PUBLIC_EXAMPLE = "255081416802538"


def expected_key(number: int) -> int:
    return 97 - (number % 97)


def test_public_example_is_valid_and_its_key_is_38() -> None:
    assert expected_key(2550814168025) == 38
    assert nir_key("2550814168025") == 38
    assert is_valid_ins(PUBLIC_EXAMPLE)


def test_key_is_97_minus_nir_mod_97() -> None:
    nir = "1850775123456"
    key = expected_key(1850775123456)
    assert key == 8
    assert nir_key(nir) == key
    assert is_valid_ins(f"{nir}{key:02d}")
    assert make_ins(nir) == f"{nir}08"


@pytest.mark.parametrize("wrong", ["07", "09", "00", "98", "80"])
def test_wrong_key_is_reported_with_the_expected_one(wrong: str) -> None:
    problem = check_ins(f"1850775123456{wrong}")
    assert problem is not None
    assert problem.code == "key"
    assert "08" in problem.message_fr


@pytest.mark.parametrize(
    "raw", ["", "1850775123456", "18507751234560", "1850775123456080", "2550814168025380"]
)
def test_wrong_length_is_reported(raw: str) -> None:
    problem = check_ins(raw)
    assert problem is not None
    assert problem.code == "length"
    assert str(len(raw)) in problem.message_fr


@pytest.mark.parametrize(
    "raw",
    [
        "2550814168O2538",  # letter O instead of zero
        "25508141680253X",
        "2550814AB802538",  # letters outside the department
        "555081416802538",  # first digit 5 does not exist
        "655081416802538",
        "255082C16802538",  # 2C is not Corsica
    ],
)
def test_letters_and_impossible_first_digit_are_a_format_error(raw: str) -> None:
    problem = check_ins(raw)
    assert problem is not None
    assert problem.code == "format"


def test_impossible_birth_month_is_reported() -> None:
    nir = "1851375123456"  # month 13
    problem = check_ins(make_ins(nir))
    assert problem is not None
    assert problem.code == "month"


@pytest.mark.parametrize(("dept", "as_number"), [("2A", "19"), ("2B", "18")])
def test_corsica_departments_count_as_19_and_18(dept: str, as_number: str) -> None:
    nir = f"18502{dept}123456"
    key = expected_key(int(f"18502{as_number}123456"))
    assert nir_key(nir) == key
    assert is_valid_ins(f"{nir}{key:02d}")
    # the same digits with the other Corsican letter do not validate (2A ≠ 2B)
    other = "2B" if dept == "2A" else "2A"
    assert not is_valid_ins(f"18502{other}123456{key:02d}")


def test_corsica_lowercase_is_accepted_after_normalisation() -> None:
    ins = make_ins("18502" + "2A" + "123456")
    assert is_valid_ins(ins.lower())


@pytest.mark.parametrize("raw", ["2 55 08 14 168 025 38", " 2.55.08.14.168.025.38 ", "2-55-08-14-168-025-38"])
def test_spaces_dots_and_dashes_are_ignored(raw: str) -> None:
    assert normalise(raw) == PUBLIC_EXAMPLE
    assert is_valid_ins(raw)


def test_make_ins_round_trip() -> None:
    ins = make_ins("2550814168025")
    assert ins == PUBLIC_EXAMPLE
    assert ins[:13] == "2550814168025"
    assert check_ins(ins) is None


@pytest.mark.parametrize(
    ("code", "ok"), [("69123", True), ("2A004", True), ("2b033", True), ("6912", False), ("2C004", False)]
)
def test_insee_birth_place_code(code: str, ok: bool) -> None:
    assert check_insee_place(code) is ok


# --------------------------------------------------------------------------------------------- properties

_months = st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99)).map(lambda m: f"{m:02d}")
_departments = st.one_of(st.integers(0, 99).map(lambda d: f"{d:02d}"), st.sampled_from(["2A", "2B"]))
nirs = st.builds(
    lambda sex, year, month, dept, rest: f"{sex}{year:02d}{month}{dept}{rest:06d}",
    st.sampled_from("123478"),
    st.integers(0, 99),
    _months,
    _departments,
    st.integers(0, 999_999),
)


@given(nirs)
def test_make_ins_is_always_valid(nir: str) -> None:
    ins = make_ins(nir)
    assert len(ins) == 15
    assert check_ins(ins) is None


@given(nirs, st.integers(13, 14), st.integers(1, 9))
def test_changing_one_digit_of_the_key_makes_it_invalid(nir: str, position: int, shift: int) -> None:
    ins = make_ins(nir)
    digit = (int(ins[position]) + shift) % 10
    tampered = ins[:position] + str(digit) + ins[position + 1 :]
    problem = check_ins(tampered)
    assert problem is not None
    assert problem.code == "key"


@given(nirs.filter(str.isdigit), st.integers(0, 12), st.integers(1, 9))
def test_changing_one_digit_of_the_nir_makes_it_invalid(nir: str, position: int, shift: int) -> None:
    ins = make_ins(nir)
    digit = (int(ins[position]) + shift) % 10
    assert not is_valid_ins(ins[:position] + str(digit) + ins[position + 1 :])
