"""gate_status: telemonitoring's part of the cure OK gate (clinical-rules A.3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from parcours.core.errors import Forbidden, TransitionRefused, ValidationFailed
from parcours.telemonitoring import services
from parcours.telemonitoring.selectors import GateStatus, gate_status
from parcours.telemonitoring.tests.conftest import DIARRHOEA_G2, DYSPNOEA_RED_FLAG, ITCH_G1, NOTHING
from parcours.treatments.ok_gate import TriageSummary

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def test_a_patient_never_triaged_has_no_triage_no_alert_no_hold(world):
    status = gate_status(world.patient)
    assert status == GateStatus(latest_triage=None, open_alert_levels=(), hold_open=False, hold_reason="")


@time_machine.travel(T0, tick=False)
def test_a_clean_triage_is_reported_without_hold(world, pro_triage):
    pro_triage(world.patient, NOTHING)
    status = gate_status(world.patient)
    assert status.latest_triage == TriageSummary(hold_treatment=False, assessed_at=T0, max_grade=0)
    assert status.open_alert_levels == ()
    assert not status.hold_open


@time_machine.travel(T0, tick=False)
def test_a_grade_1_finding_is_routine_no_alert_no_hold(world, pro_triage):
    pro_triage(world.patient, ITCH_G1)
    status = gate_status(world.patient)
    assert status.latest_triage is not None and status.latest_triage.max_grade == 1
    assert status.open_alert_levels == () and not status.hold_open


@time_machine.travel(T0, tick=False)
def test_a_grade_2_finding_holds_and_opens_a_same_day_alert_with_the_reason_in_words(world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    status = gate_status(world.patient)
    assert status.latest_triage == TriageSummary(hold_treatment=True, assessed_at=T0, max_grade=2)
    assert status.open_alert_levels == ("same_day",)
    assert status.hold_open
    assert "Diarrhée" in status.hold_reason and "grade 2" in status.hold_reason


def test_an_unreviewed_hold_blocks_even_when_a_later_triage_is_clean(world, pro_triage):
    with time_machine.travel(T0, tick=False):
        pro_triage(world.patient, DIARRHOEA_G2)
    later = T0 + dt.timedelta(days=8)  # the diarrhoea answers are out of the 7-day recall window
    with time_machine.travel(later, tick=False):
        assessment = pro_triage(world.patient, NOTHING)
        assert not assessment.hold_treatment
        status = gate_status(world.patient)
    assert status.hold_open
    assert status.latest_triage == TriageSummary(hold_treatment=True, assessed_at=later, max_grade=0)


@time_machine.travel(T0, tick=False)
def test_a_doctor_lifting_the_hold_releases_the_gate_but_open_alerts_still_count(world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    hold = world.patient.treatment_holds.get()
    services.hold_review(
        actor=world.oncologist, hold=hold, decision="lift", note="Diarrhée résolue, reprise."
    )
    status = gate_status(world.patient)
    assert not status.hold_open and status.hold_reason == ""
    assert status.latest_triage is not None and status.latest_triage.hold_treatment is False
    assert status.open_alert_levels == ("same_day",)


@time_machine.travel(T0, tick=False)
def test_keeping_the_hold_keeps_the_gate_blocked(world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    hold = world.patient.treatment_holds.get()
    services.hold_review(actor=world.had_physician, hold=hold, decision="keep", note="Revoir dans 48 h.")
    assert gate_status(world.patient).hold_open
    assert hold.reviews.count() == 1


@time_machine.travel(T0, tick=False)
def test_only_a_doctor_may_review_a_hold_and_a_note_is_required(world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    hold = world.patient.treatment_holds.get()
    with pytest.raises(Forbidden):
        services.hold_review(actor=world.idec, hold=hold, decision="lift", note="ok")
    with pytest.raises(ValidationFailed) as exc:
        services.hold_review(actor=world.oncologist, hold=hold, decision="maybe", note=" ")
    assert set(exc.value.field_errors) == {"decision", "note"}
    services.hold_review(actor=world.oncologist, hold=hold, decision="lift", note="Reprise.")
    with pytest.raises(TransitionRefused):
        services.hold_review(actor=world.oncologist, hold=hold, decision="lift", note="Encore.")


@time_machine.travel(T0, tick=False)
def test_alert_levels_are_listed_worst_first_and_closed_ones_are_gone(world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    pro_triage(world.patient, DYSPNOEA_RED_FLAG)
    assert gate_status(world.patient).open_alert_levels == ("urgent", "same_day")
    urgent = world.patient.telemonitoring_alerts.get(level="urgent")
    services.alert_acknowledge(actor=world.idec, alert=urgent)
    assert gate_status(world.patient).open_alert_levels == ("urgent", "same_day")  # acknowledged still blocks
    services.alert_close(actor=world.idec, alert=urgent, reason="Vu en consultation, SpO2 normale.")
    assert gate_status(world.patient).open_alert_levels == ("same_day",)


@time_machine.travel(T0, tick=False)
def test_gate_status_feeds_the_ok_gate(world, pro_triage):
    from parcours.treatments.ok_gate import OkInputs, evaluate_ok

    pro_triage(world.patient, DIARRHOEA_G2)
    status = gate_status(world.patient)
    result = evaluate_ok(
        OkInputs(
            planned_start=T0 + dt.timedelta(days=1),
            labs=[],
            latest_triage=status.latest_triage,
            open_alert_levels=status.open_alert_levels,
            vitals_recorded_at=None,
            grade_labs=False,
            checklist=(),
        ),
        kind="cycle",
        now=T0,
    )
    unmet = {c.id for c in result.conditions if not c.met}
    assert {"triage_hold", "open_alerts"} <= unmet
