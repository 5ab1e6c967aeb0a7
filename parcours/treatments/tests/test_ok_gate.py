"""The pre-infusion OK gate (clinical-rules A.3) and the OK decision (convention, override)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from parcours.treatments.common import PARIS, DataError, Label
from parcours.treatments.ok_gate import (
    ClinicalCheck,
    Convention,
    LabResult,
    OkDenied,
    OkInputs,
    OkRecord,
    TriageSummary,
    decide_ok,
    evaluate_ok,
    grade_lab,
    refuse_ok,
)

START = datetime(2025, 3, 10, 9, 0, tzinfo=PARIS)
NOW = datetime(2025, 3, 10, 8, 0, tzinfo=PARIS)
SAMPLED = START - timedelta(hours=24)


def _labs(sampled: datetime = SAMPLED) -> list[LabResult]:
    return [
        LabResult("NEUTROPHILS", Decimal("3.2"), "G/L", sampled, lower=Decimal("1.8"), upper=Decimal("7.5")),
        LabResult("PLATELETS", 250, "10^9/L", sampled, lower=150, upper=400),
        LabResult("CREATININE", 80, "µmol/L", sampled, lower=45, upper=90),
        LabResult("ALT", 30, "U/L", sampled, upper=40),
        LabResult("AST", 25, "U/L", sampled, upper=40),
        LabResult("BILIRUBIN", 10, "µmol/L", sampled, upper=17),
        LabResult("GLUCOSE", Decimal("5.1"), "mmol/L", sampled, lower=Decimal("3.9"), upper=Decimal("6.1")),
        LabResult(
            "TSH",
            Decimal("2.1"),
            "mUI/L",
            sampled - timedelta(days=30),
            lower=Decimal("0.4"),
            upper=Decimal("4.0"),
        ),
    ]


def _inputs(**changes: object) -> OkInputs:
    base = OkInputs(
        planned_start=START,
        labs=_labs(),
        latest_triage=TriageSummary(hold_treatment=False, assessed_at=NOW - timedelta(days=1)),
        open_alert_levels=["routine"],
        vitals_recorded_at=NOW - timedelta(minutes=30),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _unmet_ids(inputs: OkInputs, kind: str = "day_of_cure") -> list[str]:
    return [c.id for c in evaluate_ok(inputs, kind=kind, now=NOW).unmet]  # type: ignore[arg-type]


def test_all_conditions_met_passes_the_gate() -> None:
    result = evaluate_ok(_inputs(), kind="day_of_cure", now=NOW)
    assert result.met and result.unmet == ()
    ids = {c.id for c in result.conditions}
    assert {"lab_fresh:ALT", "lab_grade:ALT", "triage_hold", "open_alerts", "vitals_today"} <= ids


def test_lab_older_than_72_hours_before_the_planned_start_is_unmet() -> None:
    labs = [
        lab if lab.code != "ALT" else replace(lab, sampled_at=START - timedelta(hours=73)) for lab in _labs()
    ]
    assert _unmet_ids(_inputs(labs=labs)) == ["lab_fresh:ALT"]


def test_lab_exactly_72_hours_old_is_fresh() -> None:
    labs = [
        lab if lab.code != "ALT" else replace(lab, sampled_at=START - timedelta(hours=72)) for lab in _labs()
    ]
    assert _unmet_ids(_inputs(labs=labs)) == []


def test_missing_checklist_lab_is_unmet_and_named() -> None:
    labs = [lab for lab in _labs() if lab.code != "CREATININE"]
    result = evaluate_ok(_inputs(labs=labs), kind="day_of_cure", now=NOW)
    (condition,) = result.unmet
    assert condition.id == "lab_fresh:CREATININE"
    assert condition.detail is not None and "créatinine" in condition.detail.fr


def test_tsh_is_needed_only_every_six_weeks() -> None:
    old_tsh = [
        lab if lab.code != "TSH" else replace(lab, sampled_at=START - timedelta(days=43)) for lab in _labs()
    ]
    assert _unmet_ids(_inputs(labs=old_tsh)) == ["lab_fresh:TSH"]


def test_lab_of_grade_2_or_more_holds_the_cure() -> None:
    labs = [lab if lab.code != "ALT" else replace(lab, value=130) for lab in _labs()]  # 3.25 × ULN: grade 2
    assert _unmet_ids(_inputs(labs=labs)) == ["lab_grade:ALT"]


def test_neutrophils_in_per_mm3_are_converted_before_grading() -> None:
    labs = [
        lab
        if lab.code != "NEUTROPHILS"
        else LabResult("NEUTROPHILS", 1200, "/mm3", SAMPLED, lower=1800, upper=7500)
        for lab in _labs()
    ]
    assert _unmet_ids(_inputs(labs=labs)) == ["lab_grade:NEUTROPHILS"]


def test_out_of_range_tsh_never_holds_the_cure() -> None:
    labs = [lab if lab.code != "TSH" else replace(lab, value=Decimal("9.0")) for lab in _labs()]
    assert _unmet_ids(_inputs(labs=labs)) == []


@pytest.mark.parametrize(
    ("code", "value", "lower", "upper", "grade"),
    [
        ("ALT", Decimal(40), None, Decimal(40), 0),
        ("ALT", Decimal(120), None, Decimal(40), 1),
        ("ALT", Decimal(121), None, Decimal(40), 2),
        ("ALT", Decimal(801), None, Decimal(40), 4),
        ("BILIRUBIN", Decimal(52), None, Decimal(17), 3),
        ("CREATININE", Decimal(136), None, Decimal(90), 2),
        ("NEUTROPHILS", Decimal("1.5"), Decimal("1.8"), None, 1),
        ("NEUTROPHILS", Decimal("0.4"), Decimal("1.8"), None, 4),
        ("PLATELETS", Decimal(74), Decimal(150), None, 2),
        ("HEMOGLOBIN", Decimal("7.9"), Decimal(12), None, 3),
        ("TSH", Decimal(5), Decimal("0.4"), Decimal(4), 1),
        ("GLUCOSE", Decimal(9), Decimal("3.9"), Decimal("6.1"), None),
    ],
)
def test_lab_grades_follow_rule_a1_2(
    code: str, value: Decimal, lower: Decimal | None, upper: Decimal | None, grade: int | None
) -> None:
    assert grade_lab(code, value, lower=lower, upper=upper) == grade


def test_triage_holding_treatment_is_unmet() -> None:
    triage = TriageSummary(hold_treatment=True, assessed_at=NOW - timedelta(days=2), max_grade=2)
    assert _unmet_ids(_inputs(latest_triage=triage)) == ["triage_hold"]


def test_no_triage_recorded_is_unmet() -> None:
    assert _unmet_ids(_inputs(latest_triage=None)) == ["triage_hold"]


@pytest.mark.parametrize("level", ["urgent", "same_day"])
def test_open_urgent_or_same_day_alert_is_unmet(level: str) -> None:
    assert _unmet_ids(_inputs(open_alert_levels=["routine", level])) == ["open_alerts"]


def test_vitals_not_recorded_on_the_cure_day_are_unmet_for_the_day_of_cure_ok() -> None:
    yesterday = NOW - timedelta(days=1)
    assert _unmet_ids(_inputs(vitals_recorded_at=yesterday)) == ["vitals_today"]
    assert _unmet_ids(_inputs(vitals_recorded_at=None)) == ["vitals_today"]


def test_the_whole_cycle_ok_does_not_check_vitals_of_the_day() -> None:
    assert _unmet_ids(_inputs(vitals_recorded_at=None), kind="cycle") == []


def test_unanswered_or_failed_clinical_check_is_unmet() -> None:
    checks = [
        ClinicalCheck("no_fever", Label("pas de fièvre", "no fever"), True),
        ClinicalCheck("weight", Label("poids stable", "stable weight"), None),
        ClinicalCheck("consent", Label("accord du patient", "patient agrees"), False),
    ]
    assert _unmet_ids(_inputs(clinical_checks=checks)) == ["clinical:weight", "clinical:consent"]


def test_every_unmet_condition_is_listed_at_once() -> None:
    labs = [lab for lab in _labs() if lab.code != "GLUCOSE"]
    labs = [lab if lab.code != "PLATELETS" else replace(lab, value=40) for lab in labs]
    ids = _unmet_ids(
        _inputs(labs=labs, latest_triage=None, open_alert_levels=["urgent"], vitals_recorded_at=None)
    )
    assert ids == ["lab_grade:PLATELETS", "lab_fresh:GLUCOSE", "triage_hold", "open_alerts", "vitals_today"]


@pytest.mark.parametrize(
    ("lab", "message"),
    [
        (LabResult("ALT", 30, None, SAMPLED, upper=40), r"labs\[0\] \(ALT\): unit missing"),
        (LabResult("ALT", 30, "U/L", SAMPLED), r"labs\[0\] \(ALT\): reference range missing"),
        (LabResult("ALT", 30, "U/L", SAMPLED, lower=5), r"labs\[0\] \(ALT\): upper reference limit"),
        (
            LabResult("PLATELETS", 30, "U/L", SAMPLED, lower=150),
            r"labs\[0\] \(PLATELETS\): unit 'U/L' not supported",
        ),
        (LabResult("ALT", None, "U/L", SAMPLED, upper=40), r"labs\[0\] \(ALT\): value missing"),
        (LabResult("TSH", 2, "mUI/L", SAMPLED, upper=4), r"labs\[0\] \(TSH\): both reference limits"),
        (
            LabResult("ALT", 30, "U/L", NOW + timedelta(hours=1), upper=40),
            r"labs\[0\] \(ALT\)\.sampled_at: in the future",
        ),
    ],
)
def test_malformed_lab_is_an_error_naming_the_lab(lab: LabResult, message: str) -> None:
    with pytest.raises(DataError, match=message):
        evaluate_ok(_inputs(labs=[lab]), kind="day_of_cure", now=NOW)


# ------------------------------------------------------------------------------------ decision

LIMOGES = Convention(ok_cycle="hospital", ok_day_of_cure="had")


def test_day_of_cure_ok_by_the_had_is_valid_until_the_end_of_the_cure_day() -> None:
    gate = evaluate_ok(_inputs(), kind="day_of_cure", now=NOW)
    record = decide_ok(gate, party="had", convention=LIMOGES, actor="dr.had", actor_is_doctor=True, now=NOW)
    assert isinstance(record, OkRecord)
    assert record.cure_date == date(2025, 3, 10)
    assert record.is_valid_at(NOW) and record.is_valid_at(datetime(2025, 3, 10, 23, 59, tzinfo=PARIS))
    assert not record.is_valid_at(datetime(2025, 3, 11, 0, 0, tzinfo=PARIS))
    assert not record.is_valid_at(NOW - timedelta(minutes=1))


def test_whole_cycle_ok_by_the_hospital_covers_the_cycle() -> None:
    gate = evaluate_ok(_inputs(), kind="cycle", now=NOW)
    record = decide_ok(
        gate,
        party="hospital",
        convention=LIMOGES,
        actor="dr.onco",
        actor_is_doctor=True,
        now=NOW,
        cycle_end=date(2025, 3, 30),
    )
    assert isinstance(record, OkRecord)
    assert record.is_valid_at(datetime(2025, 3, 30, 12, tzinfo=PARIS))


def test_party_not_named_by_the_convention_is_denied() -> None:
    gate = evaluate_ok(_inputs(), kind="cycle", now=NOW)
    denied = decide_ok(gate, party="had", convention=LIMOGES, actor="dr.had", actor_is_doctor=True, now=NOW)
    assert isinstance(denied, OkDenied)
    assert [r.code for r in denied.reasons] == ["party_not_allowed"]


def test_delegated_ok_by_the_had_needs_a_convention_that_allows_delegation() -> None:
    gate = evaluate_ok(_inputs(), kind="cycle", now=NOW)
    denied = decide_ok(
        gate, party="had", delegated=True, convention=LIMOGES, actor="dr.had", actor_is_doctor=True, now=NOW
    )
    assert isinstance(denied, OkDenied)
    delegating = Convention(ok_cycle="hospital", ok_day_of_cure="had", delegation_allowed=True)
    record = decide_ok(
        gate,
        party="had",
        delegated=True,
        convention=delegating,
        actor="dr.had",
        actor_is_doctor=True,
        now=NOW,
    )
    assert isinstance(record, OkRecord) and record.delegated


def test_both_means_either_party_may_give_the_ok() -> None:
    gate = evaluate_ok(_inputs(), kind="day_of_cure", now=NOW)
    both = Convention(ok_cycle="both", ok_day_of_cure="both")
    assert isinstance(
        decide_ok(gate, party="hospital", convention=both, actor="a", actor_is_doctor=True, now=NOW), OkRecord
    )
    assert isinstance(
        decide_ok(gate, party="had", convention=both, actor="b", actor_is_doctor=True, now=NOW), OkRecord
    )


def test_unmet_gate_is_denied_with_every_unmet_condition() -> None:
    gate = evaluate_ok(_inputs(latest_triage=None, open_alert_levels=["urgent"]), kind="day_of_cure", now=NOW)
    denied = decide_ok(gate, party="had", convention=LIMOGES, actor="dr.had", actor_is_doctor=True, now=NOW)
    assert isinstance(denied, OkDenied)
    assert [c.id for c in denied.unmet] == ["triage_hold", "open_alerts"]
    assert "aucun triage" in denied.reasons[0].message.fr


def test_a_doctor_may_override_an_unmet_gate_with_a_written_reason_kept_in_the_record() -> None:
    gate = evaluate_ok(_inputs(latest_triage=None), kind="day_of_cure", now=NOW)
    record = decide_ok(
        gate,
        party="had",
        convention=LIMOGES,
        actor="dr.had",
        actor_is_doctor=True,
        now=NOW,
        override_reason="seen this morning",
    )
    assert isinstance(record, OkRecord)
    assert record.override is not None
    assert record.override.reason == "seen this morning"
    assert [c.id for c in record.override.overridden] == ["triage_hold"]


def test_a_non_doctor_cannot_override() -> None:
    gate = evaluate_ok(_inputs(latest_triage=None), kind="day_of_cure", now=NOW)
    denied = decide_ok(
        gate,
        party="had",
        convention=LIMOGES,
        actor="ide",
        actor_is_doctor=False,
        now=NOW,
        override_reason="x",
    )
    assert isinstance(denied, OkDenied)
    assert [r.code for r in denied.reasons] == ["override_needs_doctor"]


def test_ok_after_the_covered_day_is_denied() -> None:
    gate = evaluate_ok(_inputs(), kind="day_of_cure", now=NOW)
    late = datetime(2025, 3, 11, 1, 0, tzinfo=PARIS)
    denied = decide_ok(gate, party="had", convention=LIMOGES, actor="dr.had", actor_is_doctor=True, now=late)
    assert isinstance(denied, OkDenied) and [r.code for r in denied.reasons] == ["past_validity"]


def test_refusing_the_ok_needs_a_reason_and_is_never_valid() -> None:
    gate = evaluate_ok(_inputs(), kind="day_of_cure", now=NOW)
    with pytest.raises(DataError, match="reason"):
        refuse_ok(gate, party="had", actor="dr.had", now=NOW, reason=" ")
    record = refuse_ok(gate, party="had", actor="dr.had", now=NOW, reason="fever 38.5")
    assert record.decision == "refused" and not record.is_valid_at(NOW)
