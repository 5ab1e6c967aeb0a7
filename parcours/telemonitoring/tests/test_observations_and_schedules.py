"""Labs and vitals entered anywhere are triaged at once; schedules, reminders, missed questionnaires, D+10 calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from parcours.clinical.models import Observation
from parcours.clinical.services import ObservationInput, observations_record
from parcours.notifications.models import Notification
from parcours.telemonitoring import schedules, services
from parcours.telemonitoring.models import Alert, QuestionnaireAssignment, TriageAssessment, WorkTask
from parcours.telemonitoring.selectors import gate_status
from parcours.telemonitoring.tests.conftest import DIARRHOEA_G2

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _record(world, capture, *items):
    with capture(execute=True):
        return observations_record(actor=world.idel, patient=world.patient, items=list(items), source="visit")


@time_machine.travel(T0, tick=False)
def test_a_fever_with_neutropenia_recorded_anywhere_is_triaged_urgent_at_once(
    world, django_capture_on_commit_callbacks
):
    _record(
        world,
        django_capture_on_commit_callbacks,
        ObservationInput(
            "lab", "NEUTROPHILS", Decimal("0.8"), "10^9/L", T0 - dt.timedelta(hours=2), lower=Decimal("1.8")
        ),
        ObservationInput("vital", "TEMP", Decimal("38.6"), "°C", T0),
    )
    assessment = TriageAssessment.objects.get()
    assert assessment.trigger == "observations" and assessment.level == "urgent"
    assert assessment.red_flags == ["febrile_neutropenia"]
    assert assessment.policy == "parcours-triage-1"
    assert not Observation.objects.filter(triaged_at__isnull=True).exists()
    assert Alert.objects.get().level == "urgent"


@time_machine.travel(T0, tick=False)
def test_a_new_lab_is_combined_with_the_recent_questionnaire(
    world, pro_triage, django_capture_on_commit_callbacks
):
    pro_triage(world.patient, DIARRHOEA_G2)
    _record(
        world,
        django_capture_on_commit_callbacks,
        ObservationInput("lab", "ALT", Decimal("130"), "U/L", T0, upper=Decimal("40")),
    )
    latest = TriageAssessment.objects.order_by("-id").first()
    codes = {f["code"] for f in latest.result["findings"]}
    assert codes == {"PROCTCAE_16", "ALT"}
    assert latest.max_grade == 2


@time_machine.travel(T0, tick=False)
def test_a_failed_hook_is_caught_up_by_the_sweep(world, django_capture_on_commit_callbacks):
    from unittest import mock

    with mock.patch("parcours.telemonitoring.services.triage_record", side_effect=RuntimeError("down")):
        _record(
            world,
            django_capture_on_commit_callbacks,
            ObservationInput("vital", "SPO2", Decimal("90"), "%", T0),
        )
    assert not TriageAssessment.objects.exists()
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert services.observations_sweep() == 1
    assert TriageAssessment.objects.get().red_flags == ["low_spo2"]


@time_machine.travel(T0, tick=False)
def test_the_regimen_of_the_plan_sets_the_liver_discontinuation_threshold(
    world, django_capture_on_commit_callbacks
):
    schedules.plan_set(
        actor=world.idec, patient=world.patient, treatment_start=T0.date(), regimen="atezolizumab"
    )
    _record(
        world,
        django_capture_on_commit_callbacks,
        ObservationInput("lab", "ALT", Decimal("260"), "U/L", T0, upper=Decimal("40")),
    )
    assessment = TriageAssessment.objects.get()
    assert assessment.input["regimen"] == "atezolizumab"
    assert not assessment.discontinuation_review  # 6.5 x ULN < 8 x ULN for atezolizumab


# ------------------------------------------------------------------------------------------ schedules


def test_weekly_for_three_months_then_before_each_cure(world):
    plan = schedules.plan_set(actor=world.idec, patient=world.patient, treatment_start=dt.date(2026, 9, 1))
    cures = [dt.date(2026, 9, 1), dt.date(2026, 11, 10), dt.date(2026, 12, 22)]
    planned = schedules.planned_dates(plan, cures)
    weekly = [d for d, reason, _k in planned if reason == "weekly"]
    assert len(weekly) == 13 and weekly[0] == dt.date(2026, 9, 8) and weekly[-1] == dt.date(2026, 12, 1)
    pre = [(d, k) for d, reason, k in planned if reason == "pre_cure"]
    assert pre == [
        (dt.date(2026, 12, 20), "pre_cure:2026-12-22")
    ]  # the cure of 10/11 is in the weekly period


def test_the_sweep_sends_todays_questionnaire_once_then_reminds_then_raises_an_idec_task(
    world, django_capture_on_commit_callbacks
):
    world.patient.phone = "0612345678"
    world.patient.save()
    schedules.plan_set(actor=world.idec, patient=world.patient, treatment_start=dt.date(2026, 11, 16))
    day = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)  # 08:30 Paris, one week after the start
    with time_machine.travel(day, tick=False):
        assert schedules.schedule_sweep()["created"] == 1
        assert schedules.schedule_sweep()["created"] == 0  # idempotent
    assignment = QuestionnaireAssignment.objects.get()
    assert assignment.reason == "weekly" and Notification.objects.filter(channel="sms").count() == 1
    with time_machine.travel(day + dt.timedelta(days=1, hours=12), tick=False):
        assert schedules.schedule_sweep()["reminded"] == 1
    assert Notification.objects.filter(channel="sms").count() == 2
    with time_machine.travel(day + dt.timedelta(days=2, hours=12), tick=False):
        assert schedules.schedule_sweep()["missed"] == 1
    assignment.refresh_from_db()
    assert assignment.status == "missed"
    assert WorkTask.objects.get(kind="missed_questionnaire").assignment == assignment


def test_a_proxy_plan_gives_the_nurse_a_task_instead_of_a_link(world):
    schedules.plan_set(
        actor=world.idec, patient=world.patient, treatment_start=dt.date(2026, 11, 16), send_channel="proxy"
    )
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC), tick=False):
        schedules.schedule_sweep()
    assert WorkTask.objects.get().kind == "proxy_entry"
    assert not Notification.objects.exists()


def test_cure_dates_come_from_a_registered_provider(world):
    provider = lambda patient: [dt.date(2027, 3, 3)]  # noqa: E731
    schedules.register_cure_dates_provider(provider)
    try:
        assert schedules.cure_dates(world.patient) == [dt.date(2027, 3, 3)]
    finally:
        schedules._providers.remove(provider)


def test_followup_call_at_day_10_after_a_home_administration_once(world):
    at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    task = schedules.followup_call_schedule(patient=world.patient, administered_at=at)
    again = schedules.followup_call_schedule(
        patient=world.patient, administered_at=at + dt.timedelta(hours=1)
    )
    assert task.pk == again.pk
    assert task.kind == "followup_call" and task.due_at.date() == dt.date(2026, 12, 3)


def test_an_answered_questionnaire_cancels_its_missed_task(world):
    assignment = services.questionnaire_assign(actor=world.idec, patient=world.patient, due_at=T0)
    services.task_ensure(
        patient=world.patient, kind="missed_questionnaire", key="missed:x", due_at=T0, assignment=assignment
    )
    services.response_submit_proxy(
        actor=world.idel,
        patient=world.patient,
        answers={"PROCTCAE_16A_SCL": 0},
        free_text="",
        submission_key="p" * 20,
        assignment=assignment,
    )
    assert WorkTask.objects.get().status == "cancelled"
    assert gate_status(world.patient).latest_triage is not None
