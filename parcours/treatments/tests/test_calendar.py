"""Cure calendar: layout per regimen, lab windows, warnings and postponement."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from parcours.treatments.calendar import confirm_warning, plan_cures, postpone, unconfirmed_warnings
from parcours.treatments.common import PARIS, DataError
from parcours.treatments.regimens import load_builtin_regimens

CAT = load_builtin_regimens()
START = date(2025, 1, 6)
HDJ_THEN_HOME = [(date(2025, 1, 1), "hdj"), (date(2025, 2, 1), "home")]


@pytest.mark.parametrize(
    ("regimen_id", "weeks"),
    [
        ("nivolumab_240mg_q2w", 2),
        ("pembrolizumab_200mg_q3w", 3),
        ("atezolizumab_1680mg_q4w", 4),
        ("pembrolizumab_400mg_q6w", 6),
    ],
)
def test_cures_are_spaced_by_the_regimen_interval(regimen_id: str, weeks: int) -> None:
    calendar = plan_cures(CAT.regimen(regimen_id), start=START, place_of=HDJ_THEN_HOME, cycles=5)
    assert [c.number for c in calendar.cures] == [1, 2, 3, 4, 5]
    assert [c.date for c in calendar.cures] == [START + timedelta(weeks=weeks * i) for i in range(5)]
    assert calendar.warnings == ()


def test_place_of_each_cure_follows_the_pathway_state_on_its_date() -> None:
    calendar = plan_cures(
        CAT.regimen("pembrolizumab_200mg_q3w"), start=START, place_of=HDJ_THEN_HOME, cycles=3
    )
    assert [c.place for c in calendar.cures] == ["hdj", "hdj", "home"]


def test_place_may_come_from_a_callable() -> None:
    calendar = plan_cures(
        CAT.regimen("nivolumab_240mg_q2w"),
        start=START,
        place_of=lambda d: "home" if d.day > 15 else "hdj",
        cycles=2,
    )
    assert [c.place for c in calendar.cures] == ["hdj", "home"]


def test_lab_window_is_the_72_hours_before_the_planned_start() -> None:
    calendar = plan_cures(CAT.regimen("nivolumab_240mg_q2w"), start=START, place_of=HDJ_THEN_HOME, cycles=1)
    cure = calendar.cures[0]
    assert cure.planned_start == datetime(2025, 1, 6, 9, 0, tzinfo=PARIS)
    assert cure.lab_window.closes_at == cure.planned_start
    assert cure.lab_window.closes_at - cure.lab_window.opens_at == timedelta(hours=72)
    assert cure.lab_window.contains(datetime(2025, 1, 3, 9, 0, tzinfo=PARIS))
    assert not cure.lab_window.contains(datetime(2025, 1, 3, 8, 59, tzinfo=PARIS))


def test_lab_window_counts_real_hours_across_daylight_saving() -> None:
    calendar = plan_cures(
        CAT.regimen("nivolumab_240mg_q2w"),
        start=date(2025, 3, 31),
        place_of=[(START, "home")],
        cycles=1,
        cure_start_time=time(9),
    )
    window = calendar.cures[0].lab_window
    assert window.closes_at.astimezone(UTC) - window.opens_at.astimezone(UTC) == timedelta(hours=72)


def test_horizon_bounds_an_open_ended_regimen() -> None:
    calendar = plan_cures(
        CAT.regimen("pembrolizumab_200mg_q3w"), start=START, place_of=HDJ_THEN_HOME, horizon=date(2025, 3, 31)
    )
    assert [c.date for c in calendar.cures][-1] == date(2025, 3, 31)
    assert len(calendar.cures) == 5


def test_an_open_ended_regimen_needs_cycles_or_a_horizon() -> None:
    with pytest.raises(DataError, match="cycles"):
        plan_cures(CAT.regimen("pembrolizumab_200mg_q3w"), start=START, place_of=HDJ_THEN_HOME)


def test_a_fixed_regimen_plans_its_cures_and_refuses_more() -> None:
    regimen = CAT.regimen("ipilimumab_3mgkg_q3w_x4")
    calendar = plan_cures(regimen, start=START, place_of=HDJ_THEN_HOME, weight_kg=Decimal(70))
    assert len(calendar.cures) == 4
    assert calendar.cures[0].dose_mg == Decimal(210)
    with pytest.raises(DataError, match="cycles: regimen ipilimumab_3mgkg_q3w_x4 has 4 cures"):
        plan_cures(regimen, start=START, place_of=HDJ_THEN_HOME, cycles=5)


def test_multi_phase_regimen_changes_dose_and_interval_and_flags_the_unverified_gap() -> None:
    calendar = plan_cures(
        CAT.regimen("dostarlimab_500mg_q3w_x4_then_1000mg_q6w"), start=START, place_of=HDJ_THEN_HOME, cycles=6
    )
    doses = [c.dose_mg for c in calendar.cures]
    assert doses == [Decimal(500)] * 4 + [Decimal(1000)] * 2
    gaps = [(b.date - a.date).days for a, b in zip(calendar.cures, calendar.cures[1:], strict=False)]
    assert gaps == [21, 21, 21, 21, 42]
    assert [w.key for w in calendar.warnings] == ["phase_gap_unverified:5"]


def test_dose_not_matching_the_regimen_gives_a_warning_to_confirm_not_an_error() -> None:
    calendar = plan_cures(
        CAT.regimen("pembrolizumab_200mg_q3w"),
        start=START,
        place_of=HDJ_THEN_HOME,
        cycles=3,
        doses={2: Decimal(180)},
    )
    assert calendar.cures[1].dose_mg == Decimal(180)
    (warning,) = calendar.warnings
    assert warning.code == "dose_mismatch" and warning.cure_number == 2 and warning.requires_confirmation
    assert "180 mg" in warning.message.fr and "200 mg" in warning.message.en


def test_interval_not_matching_the_regimen_gives_a_warning_and_is_used() -> None:
    calendar = plan_cures(
        CAT.regimen("pembrolizumab_200mg_q3w"),
        start=START,
        place_of=HDJ_THEN_HOME,
        cycles=3,
        intervals={1: 22},
    )
    assert calendar.cures[1].date == START + timedelta(days=22)
    assert [w.key for w in calendar.warnings] == ["interval_mismatch:1"]


def test_weight_based_dose_without_weight_asks_for_the_weight() -> None:
    calendar = plan_cures(
        CAT.regimen("ipilimumab_3mgkg_q3w_x4"), start=START, place_of=HDJ_THEN_HOME, cycles=1
    )
    assert calendar.cures[0].dose_mg is None
    assert [w.code for w in calendar.warnings] == ["weight_required"]


def test_first_cure_at_home_is_flagged_since_it_is_always_in_day_hospital() -> None:
    calendar = plan_cures(
        CAT.regimen("nivolumab_240mg_q2w"), start=START, place_of=[(START, "home")], cycles=2
    )
    assert [w.code for w in calendar.warnings] == ["first_cure_not_in_hdj"]


def test_warning_confirmation_needs_a_written_reason() -> None:
    calendar = plan_cures(
        CAT.regimen("pembrolizumab_200mg_q3w"),
        start=START,
        place_of=HDJ_THEN_HOME,
        cycles=2,
        doses={1: Decimal(100)},
    )
    (warning,) = calendar.warnings
    now = datetime(2025, 1, 2, 10, tzinfo=PARIS)
    with pytest.raises(DataError, match="reason"):
        confirm_warning(warning, actor="dr.onco", reason="  ", at=now)
    confirmation = confirm_warning(warning, actor="dr.onco", reason="reduced per RCP", at=now)
    assert unconfirmed_warnings(calendar.warnings, []) == (warning,)
    assert unconfirmed_warnings(calendar.warnings, [confirmation]) == ()


def test_place_list_that_starts_after_the_first_cure_names_the_field() -> None:
    with pytest.raises(DataError, match=r"place_of\[0\]\.date"):
        plan_cures(
            CAT.regimen("nivolumab_240mg_q2w"), start=START, place_of=[(date(2025, 2, 1), "home")], cycles=1
        )
    with pytest.raises(DataError, match=r"place_of\[0\]\.place"):
        plan_cures(CAT.regimen("nivolumab_240mg_q2w"), start=START, place_of=[(START, "ward")], cycles=1)


def test_postponing_a_cure_shifts_it_and_every_following_cure_and_says_what_changed() -> None:
    calendar = plan_cures(
        CAT.regimen("pembrolizumab_200mg_q3w"), start=START, place_of=HDJ_THEN_HOME, cycles=4
    )
    result = postpone(calendar, 2, 7, reason="grade 2 diarrhoea resolving")
    old = [c.date for c in calendar.cures]
    new = [c.date for c in result.calendar.cures]
    assert new[0] == old[0]
    assert new[1:] == [d + timedelta(days=7) for d in old[1:]]
    assert [c.number for c in result.changes] == [2, 3, 4]
    assert all(c.new_date - c.old_date == timedelta(days=7) for c in result.changes)
    assert result.calendar.cures[1].shifted_by_days == 7
    assert result.calendar.cures[1].lab_window.closes_at == result.calendar.cures[1].planned_start
    assert "reportée de 7 jour" in result.message.fr and "3 following" not in result.message.en
    assert "2 following" in result.message.en


def test_postponement_that_moves_a_cure_into_the_home_period_reports_the_place_change() -> None:
    calendar = plan_cures(
        CAT.regimen("nivolumab_240mg_q2w"),
        start=START,
        place_of=[(START, "hdj"), (date(2025, 1, 25), "home")],
        cycles=2,
    )
    assert calendar.cures[1].place == "hdj"  # 20 January
    result = postpone(calendar, 2, 7, reason="patient away")
    (change,) = result.changes
    assert change.place_changed and change.new_place == "home"
    assert "lieu modifié" in result.message.fr


def test_postponement_needs_positive_days_and_a_reason() -> None:
    calendar = plan_cures(CAT.regimen("nivolumab_240mg_q2w"), start=START, place_of=HDJ_THEN_HOME, cycles=2)
    with pytest.raises(DataError, match="days"):
        postpone(calendar, 1, 0, reason="x")
    with pytest.raises(DataError, match="reason"):
        postpone(calendar, 1, 3, reason="")
    with pytest.raises(KeyError):
        postpone(calendar, 9, 3, reason="x")
