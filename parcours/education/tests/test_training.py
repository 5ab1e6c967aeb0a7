"""Professional training: catalogue, qualification validity and expiry, act assignment, annual hours."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.education.common import DataError, InputError
from parcours.education.training import (
    Allowed,
    Refused,
    TrainingRecord,
    add_months,
    can_assign,
    load_builtin_catalogue,
    parse_catalogue,
    qualifications,
    training_hours,
)

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 10:00 in Paris
CATALOGUE = load_builtin_catalogue()


def _raw() -> Any:
    text = resources.files("parcours.education.data").joinpath("courses.json").read_text(encoding="utf-8")
    return json.loads(text)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def test_catalogue_has_the_clb_courses() -> None:
    etp = CATALOGUE.course("etp_40h")
    assert etp.hours == Decimal(40) and etp.grants == ("etp",) and etp.validity_months is None
    assert etp.dpc_eligible
    immuno = CATALOGUE.course("immuno_initiation")
    assert immuno.hours == Decimal("3.5") and immuno.grants == ("immuno",) and immuno.validity_months == 12
    virtual = CATALOGUE.course("virtual_class")
    assert virtual.format == "virtual_class" and virtual.renews == ("immuno",)
    assert virtual.recommended_every_months == 6
    assert [q.id for q in CATALOGUE.qualifications] == ["etp", "immuno"]
    assert CATALOGUE.act("immunotherapy_administration").requires == ("immuno",)
    assert CATALOGUE.act("etp_session").requires == ("etp",)
    for course in CATALOGUE.courses:
        assert "eed 00" in course.source, course.id


def test_no_records_means_missing_and_refusal_names_the_courses() -> None:
    quals = qualifications([], NOW)
    assert {q: v.status for q, v in quals.items()} == {"etp": "missing", "immuno": "missing"}
    assert quals["etp"].reason.fr.startswith(
        "Qualification « Éducation thérapeutique du patient (40 h) » absente"
    )
    decision = can_assign(quals, "immunotherapy_administration")
    assert isinstance(decision, Refused)
    assert decision.missing == ("immuno",)
    assert "« Initiation à l'immunothérapie (demi-journée) »" in decision.reasons[0].fr
    assert "'Introduction to immunotherapy (half day)'" in decision.reasons[0].en


def test_immuno_is_valid_for_twelve_months_then_expires() -> None:
    records = [TrainingRecord("c1", "immuno_initiation", date(2024, 3, 15))]
    last_day = date(2025, 3, 14)
    on_last_day = qualifications(records, _at(last_day))["immuno"]
    assert on_last_day.status == "valid" and on_last_day.valid_until == last_day
    assert on_last_day.days_left(last_day) == 0
    assert "valide jusqu'au 14/03/2025" in on_last_day.reason.fr
    assert isinstance(can_assign({"immuno": on_last_day}, "immunotherapy_administration"), Allowed)
    expired = qualifications(records, _at(last_day + timedelta(days=1)))["immuno"]
    assert expired.status == "expired" and expired.valid_until == last_day
    assert "expirée depuis le 15/03/2025" in expired.reason.fr
    assert "Pour la retrouver : « Initiation à l'immunothérapie (demi-journée) »" in expired.reason.fr
    decision = can_assign({"immuno": expired}, "immunotherapy_administration")
    assert isinstance(decision, Refused) and decision.reasons == (expired.reason,)


def test_refreshers_extend_a_valid_qualification_but_not_a_lapsed_one() -> None:
    records = [
        TrainingRecord("init", "immuno_initiation", date(2023, 1, 10)),
        TrainingRecord("vc1", "virtual_class", date(2023, 7, 1)),  # valid → until 2024-06-30
        TrainingRecord("vc2", "virtual_class", date(2024, 9, 1)),  # lapsed since 2024-07-01 → ignored
    ]
    immuno = qualifications(records, NOW)["immuno"]
    assert immuno.status == "expired" and immuno.valid_until == date(2024, 6, 30)
    assert immuno.records == ("init", "vc1")
    assert [rid for rid, _ in immuno.ignored] == ["vc2"]
    assert "avait expiré (valide jusqu'au 30/06/2024)" in immuno.ignored[0][1].fr
    # a new initiation restores it, and a later class then extends it
    records += [
        TrainingRecord("init2", "immuno_initiation", date(2024, 10, 1)),
        TrainingRecord("elearn", "immuno_refresher_elearning", date(2025, 5, 1)),
    ]
    immuno = qualifications(records, NOW)["immuno"]
    assert immuno.status == "valid" and immuno.valid_until == date(2026, 4, 30)
    assert immuno.obtained_on == date(2024, 10, 1)


def test_refresher_without_the_qualification_is_ignored() -> None:
    immuno = qualifications([TrainingRecord("vc", "virtual_class", date(2025, 1, 1))], NOW)["immuno"]
    assert immuno.status == "missing"
    assert "aucune qualification « Immunothérapie à domicile » à renouveler" in immuno.ignored[0][1].fr


def test_etp_does_not_expire_and_both_acts_are_allowed() -> None:
    records = [
        TrainingRecord("etp", "etp_40h", date(2019, 5, 1)),
        TrainingRecord("imm", "immuno_initiation", date(2025, 1, 20)),
    ]
    quals = qualifications(records, NOW)
    assert quals["etp"].status == "valid" and quals["etp"].valid_until is None
    assert "sans limite de durée" in quals["etp"].reason.fr
    assert quals["etp"].days_left(NOW.date()) is None
    assert can_assign(quals, "etp_session") == Allowed(
        act="etp_session", label=CATALOGUE.act("etp_session").label, valid_until=None
    )
    allowed = can_assign(quals, "immunotherapy_administration")
    assert isinstance(allowed, Allowed) and allowed.valid_until == date(2026, 1, 19)
    with pytest.raises(KeyError, match="no act 'surgery'"):
        can_assign(quals, "surgery")


def test_future_certificate_is_refused_naming_the_record() -> None:
    tomorrow_paris = date(2025, 6, 3)
    with pytest.raises(
        InputError, match=r"^records\[1\] \(cert-2\)\.completed_on: 2025-06-03 is in the future"
    ):
        qualifications(
            [
                TrainingRecord("cert-1", "etp_40h", date(2025, 1, 1)),
                TrainingRecord("cert-2", "immuno_initiation", tomorrow_paris),
            ],
            NOW,
        )
    # today in Paris is accepted even when it is still yesterday in UTC
    late_evening_utc = datetime(2025, 6, 2, 22, 30, tzinfo=UTC)  # 3 June 00:30 in Paris
    quals = qualifications([TrainingRecord("c", "immuno_initiation", tomorrow_paris)], late_evening_utc)
    assert quals["immuno"].status == "valid"


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (
            [TrainingRecord("x", "yoga", date(2025, 1, 1))],
            r"^records\[0\] \(x\)\.course_id: unknown course 'yoga'",
        ),
        (
            [
                TrainingRecord("x", "etp_40h", date(2025, 1, 1)),
                TrainingRecord("x", "etp_40h", date(2025, 2, 1)),
            ],
            r"^records\[1\] \(x\)\.id: duplicate record id",
        ),
        (
            [TrainingRecord("x", "etp_40h", datetime(2025, 1, 1, tzinfo=UTC))],
            r"^records\[0\] \(x\)\.completed_on: expected a date",
        ),
    ],
)
def test_invalid_records_are_refused(records: list[TrainingRecord], expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        qualifications(records, NOW)


def test_now_must_be_aware() -> None:
    with pytest.raises(InputError, match=r"^now: expected an aware datetime"):
        qualifications([], datetime(2025, 1, 1))


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_training_hours_per_year() -> None:
    records = [
        TrainingRecord("a", "etp_40h", date(2024, 2, 1)),
        TrainingRecord("b", "immuno_initiation", date(2024, 3, 1)),
        TrainingRecord("c", "virtual_class", date(2024, 9, 1)),
        TrainingRecord("d", "virtual_class", date(2025, 3, 1)),
    ]
    hours = training_hours(records, NOW, year=2024)
    assert hours.total == Decimal("45.5") and hours.dpc_eligible == Decimal("43.5") and hours.courses == 3
    assert training_hours(records, NOW, year=2025).total == Decimal(2)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["courses"][0].__setitem__("hours", 40.0),
            r"^courses\[0\]\.hours: expected a number of hours",
        ),
        (
            lambda d: d["courses"][0].__setitem__("grants", ["surgery"]),
            r"^courses\[0\]\.grants\[0\]: unknown",
        ),
        (
            lambda d: d["courses"][2].__setitem__("validity_months", None),
            r"^courses\[2\]\.validity_months: a course",
        ),
        (
            lambda d: d["courses"][1].__setitem__("grants", []),
            r"^qualifications\[1\]: no course grants 'immuno'",
        ),
        (lambda d: d["acts"][0].__setitem__("requires", []), r"^acts\[0\]\.requires: must not be empty"),
        (lambda d: d["courses"][0].__setitem__("format", "radio"), r"^courses\[0\]\.format: expected one of"),
        (
            lambda d: d["courses"][3].__setitem__("id", "etp_40h"),
            r"^courses\[3\]\.id: duplicate course 'etp_40h'",
        ),
    ],
)
def test_invalid_catalogue_names_the_field(mutate: Any, expected: str) -> None:
    data = copy.deepcopy(_raw())
    mutate(data)
    with pytest.raises(DataError, match=expected):
        parse_catalogue(data)


course_ids = [c.id for c in CATALOGUE.courses]
record_lists = st.lists(
    st.tuples(st.sampled_from(course_ids), st.integers(min_value=0, max_value=2000)), max_size=6
).map(
    lambda items: [
        TrainingRecord(f"r{i}", course, date(2020, 1, 1) + timedelta(days=offset))
        for i, (course, offset) in enumerate(items)
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    records=record_lists,
    extra=st.tuples(st.sampled_from(course_ids), st.integers(min_value=0, max_value=2000)),
)
def test_adding_a_record_never_invalidates_a_qualification(
    records: list[TrainingRecord], extra: tuple[str, int]
) -> None:
    now = datetime(2025, 6, 30, 12, tzinfo=UTC)
    before = qualifications(records, now)
    more = [*records, TrainingRecord("extra", extra[0], date(2020, 1, 1) + timedelta(days=extra[1]))]
    after = qualifications(more, now)
    for qid, validity in before.items():
        if validity.is_valid:
            assert after[qid].is_valid
            old_end, new_end = validity.valid_until, after[qid].valid_until
            if old_end is None:
                assert new_end is None
            elif new_end is not None:
                assert new_end >= old_end
