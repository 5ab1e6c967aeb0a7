"""The pure rules: retry schedule and French mobile numbers (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from parcours.notifications import rules


def test_retries_back_off_1_5_15_60_60_minutes_then_give_up_after_the_sixth_attempt() -> None:
    delays = [rules.retry_delay(n) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert delays == [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 60)] + [None]
    assert rules.MAX_ATTEMPTS == 6
    with pytest.raises(ValueError):
        rules.retry_delay(0)


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "+33 06 12 34 56 78",
    ],
)
def test_french_mobile_numbers_are_normalised_to_e164(raw: str) -> None:
    assert rules.french_mobile_e164(raw) == "+33612345678"


def test_07_numbers_are_mobiles_too() -> None:
    assert rules.french_mobile_e164("07 98 76 54 32") == "+33798765432"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "01 23 45 67 89",
        "+33 1 23 45 67 89",
        "06 12 34 56 7",
        "06 12 34 56 789",
        "+44 7911 123456",
        "06 12 34 56 7a",
        "08 00 00 00 00",
    ],
)
def test_landlines_foreign_and_malformed_numbers_are_not_mobiles(raw: str) -> None:
    assert rules.french_mobile_e164(raw) is None
