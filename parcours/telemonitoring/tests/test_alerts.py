"""Alerts: who is notified, durable escalation timers (time-machine), crash safety, acknowledgement trail."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine

from parcours.core.errors import Forbidden, NotFound, StaleEdit, TransitionRefused, ValidationFailed
from parcours.notifications.models import Notification
from parcours.telemonitoring import services
from parcours.telemonitoring.models import Alert
from parcours.telemonitoring.tests.conftest import DIARRHOEA_G2, DYSPNOEA_RED_FLAG, ITCH_G1

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # 10:00 in Paris


@pytest.fixture
def team(world):
    for user, phone in (
        (world.idec, "0611111111"),
        (world.oncologist, "0622222222"),
        (world.had_physician, "0633333333"),
    ):
        user.phone = phone
        user.email = f"{user.username}@example.org"
        user.save()
    world.patient.referring_oncologist = world.oncologist
    world.patient.save()
    return world


def _to(channel: str = "sms") -> set[str]:
    return set(Notification.objects.filter(channel=channel).values_list("to", flat=True))


@time_machine.travel(T0, tick=False)
def test_urgent_notifies_idec_and_referent_oncologist_at_once_by_sms_and_email(team, pro_triage):
    pro_triage(team.patient, DYSPNOEA_RED_FLAG)
    alert = Alert.objects.get()
    assert alert.level == "urgent" and not alert.notify_pending and alert.notified_at == T0
    assert len(_to("sms")) == 2 and len(_to("email")) == 2
    assert not any("633333333" in to for to in _to("sms"))  # the HAD doctor only on escalation
    body = Notification.objects.first().body
    assert team.patient.birth_name not in body  # no identity or clinical detail by SMS/e-mail
    assert alert.escalation_due_at == T0 + dt.timedelta(minutes=30)


@time_machine.travel(T0, tick=False)
def test_same_day_notifies_the_idec_only_and_is_due_at_the_end_of_the_day(team, pro_triage):
    pro_triage(team.patient, DIARRHOEA_G2)
    alert = Alert.objects.get()
    assert alert.level == "same_day"
    assert len(_to("sms")) == 1
    assert alert.escalation_due_at == dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)  # 18:00 Paris


@time_machine.travel(T0, tick=False)
def test_routine_raises_no_alert(team, pro_triage):
    pro_triage(team.patient, ITCH_G1)
    assert not Alert.objects.exists() and not Notification.objects.exists()


def test_an_unacknowledged_urgent_alert_escalates_to_the_had_on_call_doctor_after_30_minutes(
    team, pro_triage
):
    with time_machine.travel(T0, tick=False):
        pro_triage(team.patient, DYSPNOEA_RED_FLAG)
    with time_machine.travel(T0 + dt.timedelta(minutes=29, seconds=59), tick=False):
        assert services.alert_sweep() == {"notified": 0, "escalated": 0}
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        assert services.alert_sweep() == {"notified": 0, "escalated": 1}
        assert services.alert_sweep() == {"notified": 0, "escalated": 0}  # once
    alert = Alert.objects.get()
    assert alert.escalation_step == 1 and alert.escalated_at == T0 + dt.timedelta(minutes=30)
    assert any("633333333" in to for to in _to("sms"))
    assert alert.events.filter(kind="escalated").exists()


def test_an_acknowledged_alert_never_escalates(team, pro_triage):
    with time_machine.travel(T0, tick=False):
        pro_triage(team.patient, DYSPNOEA_RED_FLAG)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        services.alert_acknowledge(actor=team.idec, alert=Alert.objects.get(), note="J'appelle le patient")
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        assert services.alert_sweep()["escalated"] == 0
    assert not any("633333333" in to for to in _to("sms"))


def test_the_escalation_delay_is_configurable(team, pro_triage, settings):
    settings.TELEMONITORING = {"urgent_escalation_minutes": 15}
    with time_machine.travel(T0, tick=False):
        pro_triage(team.patient, DYSPNOEA_RED_FLAG)
    with time_machine.travel(T0 + dt.timedelta(minutes=15), tick=False):
        assert services.alert_sweep()["escalated"] == 1


def test_a_same_day_alert_left_until_the_evening_escalates_to_oncologist_and_had_doctor(team, pro_triage):
    with time_machine.travel(T0, tick=False):
        pro_triage(team.patient, DIARRHOEA_G2)
    with time_machine.travel(dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC), tick=False):
        assert services.alert_sweep()["escalated"] == 1
    sms = _to("sms")
    assert any("622222222" in to for to in sms) and any("633333333" in to for to in sms)


def test_a_same_day_alert_raised_after_the_cutoff_gets_an_hour():
    late = dt.datetime(2026, 11, 23, 18, 30, tzinfo=dt.UTC)  # 19:30 Paris
    assert services.escalation_due("same_day", late) == late + dt.timedelta(hours=1)


def test_a_worker_crash_between_grading_and_notification_loses_nothing(team, pro_triage):
    """The triage commits the alert; the notification job dies. The periodic sweep sends it."""
    with time_machine.travel(T0, tick=False):
        with mock.patch(
            "parcours.telemonitoring.tasks.alert_notify_task", side_effect=RuntimeError("worker killed")
        ):
            pro_triage(team.patient, DYSPNOEA_RED_FLAG)
        alert = Alert.objects.get()
        assert alert.notify_pending and not Notification.objects.exists()
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert services.alert_sweep()["notified"] == 1
    alert.refresh_from_db()
    assert not alert.notify_pending and Notification.objects.filter(channel="sms").count() == 2


def test_a_crash_inside_the_notification_step_rolls_back_and_the_sweep_retries(team, pro_triage):
    with time_machine.travel(T0, tick=False):
        with mock.patch("parcours.telemonitoring.services._queue_notify"):  # process died before the job ran
            pro_triage(team.patient, DYSPNOEA_RED_FLAG)
        alert = Alert.objects.get()
        with (
            mock.patch(
                "parcours.notifications.services.notification_enqueue_many", side_effect=RuntimeError("crash")
            ),
            pytest.raises(RuntimeError),
        ):
            services.alert_notify(alert_id=alert.pk)
        alert.refresh_from_db()
        assert alert.notify_pending and not Notification.objects.exists()
        services.alert_sweep()
        alert.refresh_from_db()
        assert not alert.notify_pending and Notification.objects.count() == 4
        services.alert_sweep()  # idempotent: nothing sent twice
        assert Notification.objects.count() == 4


@time_machine.travel(T0, tick=False)
def test_a_new_triage_at_the_same_level_joins_the_open_alert_instead_of_notifying_again(team, pro_triage):
    pro_triage(team.patient, DIARRHOEA_G2)
    pro_triage(team.patient, DIARRHOEA_G2)
    assert Alert.objects.count() == 1
    assert Alert.objects.get().events.filter(kind="reassessed").count() == 1
    assert Notification.objects.filter(channel="sms").count() == 1


@time_machine.travel(T0, tick=False)
def test_acknowledge_action_close_are_traced_with_who_and_when(team, pro_triage):
    pro_triage(team.patient, DIARRHOEA_G2)
    alert = Alert.objects.get()
    alert = services.alert_acknowledge(actor=team.idec, alert=alert, version=alert.version)
    services.alert_action(actor=team.idec, alert=alert, note="Appel : 6 selles/jour, lopéramide conseillé")
    services.alert_close(actor=team.idec, alert=alert, reason="Avis oncologue, surveillance")
    kinds = list(alert.events.values_list("kind", "actor__username"))
    assert kinds[-3:] == [("acknowledged", "idec"), ("action", "idec"), ("closed", "idec")]
    timeline = set(team.patient.timeline.values_list("kind", flat=True))
    assert {"alert.opened", "alert.acknowledged", "alert.action", "alert.closed"} <= timeline


@time_machine.travel(T0, tick=False)
def test_alert_handling_rules(team, pro_triage):
    pro_triage(team.patient, DIARRHOEA_G2)
    alert = Alert.objects.get()
    with pytest.raises(Forbidden):
        services.alert_acknowledge(actor=team.idel, alert=alert)  # IDEL: no alert.handle
    with pytest.raises(NotFound):
        services.alert_acknowledge(actor=team.outsider, alert=alert)  # not in the care team
    with pytest.raises(StaleEdit):
        services.alert_acknowledge(actor=team.idec, alert=alert, version=alert.version + 1)
    services.alert_acknowledge(actor=team.idec, alert=alert)
    with pytest.raises(TransitionRefused):
        services.alert_acknowledge(actor=team.oncologist, alert=alert)
    with pytest.raises(ValidationFailed):
        services.alert_close(actor=team.idec, alert=alert, reason="  ")
