"""Regimens data (clinical-rules §4, C.4) and its validator."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from parcours.treatments.common import DataError
from parcours.treatments.regimens import load_builtin_regimens, parse_regimens


def _raw() -> Any:
    text = (
        resources.files("parcours.treatments")
        .joinpath("data", "regimens.v1.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def test_builtin_regimens_load_and_every_checkpoint_inhibitor_of_section_4_is_present() -> None:
    catalogue = load_builtin_regimens()
    expected = {
        "pembrolizumab",
        "nivolumab",
        "atezolizumab",
        "durvalumab",
        "ipilimumab",
        "cemiplimab",
        "dostarlimab",
    }
    assert set(catalogue.drugs) == expected
    for inn in expected:
        assert catalogue.for_drug(inn), inn


@pytest.mark.parametrize(
    ("regimen_id", "amount", "unit", "interval"),
    [
        ("pembrolizumab_200mg_q3w", "200", "mg", 21),
        ("pembrolizumab_400mg_q6w", "400", "mg", 42),
        ("nivolumab_240mg_q2w", "240", "mg", 14),
        ("nivolumab_480mg_q4w", "480", "mg", 28),
        ("atezolizumab_840mg_q2w", "840", "mg", 14),
        ("atezolizumab_1200mg_q3w", "1200", "mg", 21),
        ("atezolizumab_1680mg_q4w", "1680", "mg", 28),
        ("durvalumab_1500mg_q4w", "1500", "mg", 28),
        ("cemiplimab_350mg_q3w", "350", "mg", 21),
        ("ipilimumab_3mgkg_q3w_x4", "3", "mg/kg", 21),
    ],
)
def test_flat_and_weight_based_doses_match_clinical_rules_section_4(
    regimen_id: str, amount: str, unit: str, interval: int
) -> None:
    regimen = load_builtin_regimens().regimen(regimen_id)
    first = regimen.phases[0]
    assert first.dose.amount == Decimal(amount)
    assert isinstance(first.dose.amount, Decimal)
    assert first.dose.unit == unit
    assert first.interval_days == interval
    assert "§4" in regimen.source


def test_dostarlimab_runs_four_500mg_cures_then_1000mg_every_six_weeks_until_stopped() -> None:
    regimen = load_builtin_regimens().regimen("dostarlimab_500mg_q3w_x4_then_1000mg_q6w")
    assert regimen.total_cycles is None
    assert regimen.phase_of(4)[1].dose.amount == Decimal(500)
    assert regimen.phase_of(5)[1].dose.amount == Decimal(1000)
    assert regimen.phase_of(5)[1].interval_days == 42


def test_ipilimumab_monotherapy_has_exactly_four_cures() -> None:
    regimen = load_builtin_regimens().regimen("ipilimumab_3mgkg_q3w_x4")
    assert regimen.total_cycles == 4
    with pytest.raises(ValueError, match="cure_number"):
        regimen.phase_of(5)


def test_infusion_durations_follow_section_4_with_a_longer_first_atezolizumab_infusion() -> None:
    catalogue = load_builtin_regimens()
    assert catalogue.drug("durvalumab").infusion_minutes == 60
    assert catalogue.drug("pembrolizumab").infusion_minutes == 30
    atezo = catalogue.drug("atezolizumab")
    assert (atezo.infusion_minutes_for(1), atezo.infusion_minutes_for(2)) == (60, 30)
    assert atezo.diluent == "NaCl 0.9 %"


def test_values_missing_from_clinical_rules_are_null_and_noted() -> None:
    catalogue = load_builtin_regimens()
    nivolumab = catalogue.drug("nivolumab")
    assert nivolumab.stability.refrigerated is None and nivolumab.stability.room_temperature is None
    assert any("NOT VERIFIED" in note for note in nivolumab.notes)
    assert catalogue.drug("pembrolizumab").diluent is None
    assert any("Diluent not given" in note for note in catalogue.drug("pembrolizumab").notes)


def test_stability_values_are_those_of_part_c4() -> None:
    catalogue = load_builtin_regimens()
    pembro = catalogue.drug("pembrolizumab").stability
    assert pembro.refrigerated is not None and pembro.refrigerated.hours == 96
    assert pembro.room_temperature is not None and pembro.room_temperature.hours == 6
    assert pembro.room_temperature_within_refrigerated
    durva = catalogue.drug("durvalumab").stability
    assert durva.microbiological is not None
    assert (durva.microbiological.refrigerated_hours, durva.microbiological.room_temperature_hours) == (
        24,
        12,
    )
    atezo = catalogue.drug("atezolizumab").stability
    assert atezo.refrigerated is not None and atezo.refrigerated.hours == 30 * 24
    assert atezo.room_temperature is not None and atezo.room_temperature.temperature_max_c == 30


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["regimens"][0]["phases"][0]["dose"].__setitem__("amount", 200.5),
            r"regimens\[0\]\.phases\[0\]\.dose\.amount",
        ),
        (
            lambda d: d["regimens"][0]["phases"][0]["dose"].__setitem__("unit", "mg/m2"),
            r"regimens\[0\]\.phases\[0\]\.dose\.unit",
        ),
        (lambda d: d["regimens"][0].__setitem__("drug", "aspirin"), r"regimens\[0\]\.drug: unknown drug"),
        (
            lambda d: d["regimens"][0]["phases"][0].__setitem__("interval_days", 0),
            r"regimens\[0\]\.phases\[0\]\.interval_days",
        ),
        (
            lambda d: d["drugs"][0]["stability"]["refrigerated"].__setitem__("hours", "96"),
            r"drugs\[0\]\.stability\.refrigerated\.hours",
        ),
        (lambda d: d["drugs"][0].__setitem__("colour", "red"), r"drugs\[0\]\.colour: unknown field"),
        (lambda d: d["drugs"][0].pop("infusion_minutes"), r"drugs\[0\]\.infusion_minutes: missing"),
        (lambda d: d["regimens"].append(copy.deepcopy(d["regimens"][0])), r"regimens\[21\]\.id: duplicate"),
        (lambda d: d.__setitem__("format", "other"), r"^format"),
    ],
)
def test_invalid_data_is_refused_with_the_path_of_the_bad_field(mutate: Any, message: str) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(DataError, match=message):
        parse_regimens(data)


def test_only_the_last_phase_may_run_until_stopped() -> None:
    data = _raw()
    dostarlimab = next(r for r in data["regimens"] if r["id"].startswith("dostarlimab_500mg_q3w_x4"))
    index = data["regimens"].index(dostarlimab)
    dostarlimab["phases"][0]["cycles"] = None
    with pytest.raises(DataError, match=rf"regimens\[{index}\]\.phases\[0\]\.cycles"):
        parse_regimens(data)
