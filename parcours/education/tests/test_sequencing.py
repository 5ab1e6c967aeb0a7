"""Module sequencing over the pathway (unlock rules, week-10 rule, reasons in words)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.education.common import InputError
from parcours.education.programme import Programme, UnlockRule, get_programme
from parcours.education.sequencing import ModuleStatus, available_modules, days_in_state, s1_week

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
PROGRAMME = get_programme("clb_immunotherapy_etp", 1)
MODULE_IDS = [m.id for m in PROGRAMME.modules]
STATES = [s.id for s in PROGRAMME.states]


def _status(statuses: list[ModuleStatus], module_id: str) -> ModuleStatus:
    return next(s for s in statuses if s.module_id == module_id)


def _in_s1(days: float, completed: set[str], programme: Programme = PROGRAMME) -> list[ModuleStatus]:
    started = NOW - timedelta(days=days)
    return available_modules(
        programme,
        pathway_state="s1",
        state_entered_at=started,
        s1_started_at=started,
        completed=completed,
        now=NOW,
    )


def test_at_inclusion_only_the_introduction_is_available() -> None:
    statuses = available_modules(
        PROGRAMME,
        pathway_state="inclusion",
        state_entered_at=NOW - timedelta(days=3),
        s1_started_at=None,
        completed=set(),
        now=NOW,
    )
    assert [s.module_id for s in statuses] == MODULE_IDS
    assert {s.module_id for s in statuses if s.status == "unlocked"} == {"immunotherapy_basics"}
    whom = _status(statuses, "whom_to_call")
    assert whom.status == "locked"
    assert [u.kind for u in whom.unmet] == ["state", "after"]
    assert "seulement pendant : séquence 1 (hôpital de jour)" in whom.reason.fr
    assert "(étape actuelle : inclusion)" in whom.reason.fr
    assert "après le module « Comprendre l'immunothérapie »" in whom.reason.fr
    assert whom.reason.en.startswith("Not available yet: only during: sequence 1")
    assert whom.available_from is None
    home = _status(statuses, "home_care_organisation")
    assert "séquence 1 pas encore commencée" in home.reason.fr


def test_first_weeks_of_s1_open_the_hospital_modules_in_order() -> None:
    statuses = _in_s1(2, {"immunotherapy_basics"})
    assert _status(statuses, "immunotherapy_basics").status == "completed"
    assert _status(statuses, "whom_to_call").status == "unlocked"
    assert _status(statuses, "warning_signs_1").status == "unlocked"
    ws2 = _status(statuses, "warning_signs_2")
    assert ws2.status == "locked"
    assert "à partir de la semaine 4 de la séquence 1 (semaine 1 en cours)" in ws2.reason.fr
    assert "après le module « Les signes d'alerte (1)" in ws2.reason.fr


def test_week_10_rule_unlocks_home_sessions_on_day_63() -> None:
    done = {"immunotherapy_basics", "whom_to_call", "warning_signs_1", "warning_signs_2"}
    before = _status(_in_s1(62, done), "home_care_organisation")
    assert before.status == "locked"
    assert [u.kind for u in before.unmet] == ["s1_week"]
    assert "à partir de la semaine 10 de la séquence 1 (semaine 9 en cours)" in before.reason.fr
    assert before.reason.en == "Not available yet: from week 10 of sequence 1 (currently week 9)."
    assert before.available_from == NOW + timedelta(days=1)
    after = _status(_in_s1(63, done), "home_care_organisation")
    assert after.status == "unlocked"
    assert after.reason.fr == "Disponible maintenant."
    # the kit comes after the home-care module, the caregivers' module only after the introduction
    statuses = _in_s1(63, done)
    assert _status(statuses, "anti_allergy_kit").status == "locked"
    assert _status(statuses, "caregivers").status == "unlocked"


def test_week_rule_stays_met_after_s1() -> None:
    s1_start = NOW - timedelta(days=200)
    statuses = available_modules(
        PROGRAMME,
        pathway_state="s2",
        state_entered_at=NOW - timedelta(days=10),
        s1_started_at=s1_start,
        completed={"immunotherapy_basics", "whom_to_call", "home_care_organisation"},
        now=NOW,
    )
    assert _status(statuses, "anti_allergy_kit").status == "unlocked"


def test_completed_modules_stay_completed_after_leaving_the_pathway() -> None:
    statuses = available_modules(
        PROGRAMME,
        pathway_state="ended",
        state_entered_at=NOW,
        s1_started_at=NOW - timedelta(days=400),
        completed={"immunotherapy_basics"},
        now=NOW,
    )
    assert _status(statuses, "immunotherapy_basics").status == "completed"
    assert all(s.status == "locked" for s in statuses if s.module_id != "immunotherapy_basics")


def test_min_days_in_state_rule_and_its_unlock_moment() -> None:
    module = PROGRAMME.module("caregivers")
    changed = dataclasses.replace(module, unlock=UnlockRule(states=frozenset({"s2"}), min_days_in_state=14))
    programme = dataclasses.replace(
        PROGRAMME, modules=tuple(changed if m.id == "caregivers" else m for m in PROGRAMME.modules)
    )
    entered = NOW - timedelta(days=10, hours=5)
    statuses = available_modules(
        programme,
        pathway_state="s2",
        state_entered_at=entered,
        s1_started_at=NOW - timedelta(days=300),
        completed=set(),
        now=NOW,
    )
    status = _status(statuses, "caregivers")
    assert status.status == "locked"
    assert "après 14 jours dans l'étape actuelle (10 jour(s) écoulé(s))" in status.reason.fr
    assert status.available_from == entered + timedelta(days=14)


def test_week_and_day_helpers() -> None:
    start = NOW - timedelta(days=63)
    assert s1_week(start, NOW) == 10
    assert s1_week(start, NOW - timedelta(seconds=1)) == 9
    assert s1_week(None, NOW) is None
    assert s1_week(NOW + timedelta(days=1), NOW) is None
    assert days_in_state(NOW + timedelta(days=1), NOW) == 0
    assert days_in_state(NOW - timedelta(days=3, hours=23), NOW) == 3


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"pathway_state": "s7"}, r"^pathway_state: unknown state 's7'"),
        ({"completed": {"ghost"}}, r"^completed: unknown module 'ghost'"),
        ({"now": datetime(2025, 6, 2, 9, 0)}, r"^now: expected an aware datetime"),
        ({"state_entered_at": datetime(2025, 6, 2)}, r"^state_entered_at: expected an aware datetime"),
        ({"s1_started_at": datetime(2025, 6, 2)}, r"^s1_started_at: expected an aware datetime"),
    ],
)
def test_invalid_input_names_the_argument(kwargs: dict[str, object], expected: str) -> None:
    arguments: dict[str, object] = {
        "pathway_state": "s1",
        "state_entered_at": NOW,
        "s1_started_at": NOW,
        "completed": set(),
        "now": NOW,
        **kwargs,
    }
    with pytest.raises(InputError, match=expected):
        available_modules(PROGRAMME, **arguments)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- properties

subsets = st.sets(st.sampled_from(MODULE_IDS))


@settings(max_examples=150, deadline=None)
@given(
    state=st.sampled_from(STATES),
    s1_days=st.one_of(st.none(), st.integers(min_value=-10, max_value=800)),
    state_days=st.integers(min_value=0, max_value=400),
    completed=subsets,
    more=subsets,
)
def test_completing_more_modules_never_locks_an_unlocked_one(
    state: str, s1_days: int | None, state_days: int, completed: set[str], more: set[str]
) -> None:
    common = {
        "pathway_state": state,
        "state_entered_at": NOW - timedelta(days=state_days),
        "s1_started_at": None if s1_days is None else NOW - timedelta(days=s1_days),
        "now": NOW,
    }
    before = available_modules(PROGRAMME, completed=completed, **common)  # type: ignore[arg-type]
    after = available_modules(PROGRAMME, completed=completed | more, **common)  # type: ignore[arg-type]
    for b, a in zip(before, after, strict=True):
        if b.status != "locked":
            assert a.status != "locked", (b.module_id, b.reason, a.reason)
        if b.status == "completed":
            assert a.status == "completed"
        if a.status == "locked":
            assert a.unmet and a.reason.fr.startswith("Pas encore disponible")


@settings(max_examples=100, deadline=None)
@given(
    state=st.sampled_from(STATES),
    s1_days=st.integers(min_value=0, max_value=800),
    elapsed=st.integers(min_value=0, max_value=200),
    completed=subsets,
)
def test_time_moving_forward_never_locks_an_unlocked_module(
    state: str, s1_days: int, elapsed: int, completed: set[str]
) -> None:
    start = NOW - timedelta(days=s1_days)

    def run(now: datetime) -> list[ModuleStatus]:
        return available_modules(
            PROGRAMME,
            pathway_state=state,
            state_entered_at=start,
            s1_started_at=start,
            completed=completed,
            now=now,
        )

    for b, a in zip(run(NOW), run(NOW + timedelta(days=elapsed)), strict=True):
        if b.status != "locked":
            assert a.status != "locked"
        if b.available_from is not None and b.available_from <= NOW + timedelta(days=elapsed):
            assert a.status == "unlocked"
