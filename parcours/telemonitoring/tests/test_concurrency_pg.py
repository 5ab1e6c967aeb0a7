"""PostgreSQL only: racing submissions of one link count once; racing sweeps never double-escalate."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection, connections

from parcours.links.services import LinkRefused
from parcours.notifications.models import Notification
from parcours.telemonitoring import services
from parcours.telemonitoring.models import Alert, QuestionnaireResponse

pytestmark = [
    pytest.mark.guardless,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    # transactional tests flush the tables; the append-only audit guard refuses that (as for browser tests)
    pytest.mark.skipif(
        settings.PARCOURS_AUDIT_DB_GUARD, reason="run with PARCOURS_AUDIT_DB_GUARD=false (as the e2e run)"
    ),
]


def _race(n: int, work) -> list[object]:
    barrier = threading.Barrier(n)
    out: list[object] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            result: object = work(i)
        except Exception as exc:
            result = exc
        finally:
            connections.close_all()
        with lock:
            out.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_eight_racing_submissions_of_one_link_with_different_keys_record_one_response(
    transactional_db, world
):
    world.patient.phone = "0612345678"
    world.patient.save()
    assignment = services.questionnaire_assign(
        actor=world.idec, patient=world.patient, due_at=services.clock.now() + dt.timedelta(days=1)
    )
    issued = services.questionnaire_link_send(actor=world.idec, assignment=assignment, channel="sms")
    results = _race(
        8,
        lambda i: services.response_submit_by_link(
            token=issued.token,
            client_ip=f"10.0.0.{i}",
            answers={"PROCTCAE_16A_SCL": 3},
            free_text="",
            submission_key=f"race-key-{i:04d}",
        ),
    )
    assert QuestionnaireResponse.objects.count() == 1
    assert sum(1 for r in results if isinstance(r, services.SubmitOutcome)) == 1
    assert all(isinstance(r, (services.SubmitOutcome, LinkRefused)) for r in results), results
    assert Alert.objects.count() == 1


def test_racing_sweeps_escalate_and_notify_once(transactional_db, world):
    for user, phone in ((world.idec, "0611111111"), (world.had_physician, "0633333333")):
        user.phone = phone
        user.save()
    response = QuestionnaireResponse.objects.create(
        patient=world.patient,
        questionnaire="pro-ctcae-ici",
        questionnaire_version="1",
        answers={"PROCTCAE_19A_SCL": 3, "PROCTCAE_19B_SCL": 3},
        submitted_at=services.clock.now(),
        channel="api",
        submission_key="sweep-race-0001",
    )
    services.triage_record(actor=None, patient=world.patient, trigger="questionnaire", response=response)
    Alert.objects.update(escalation_due_at=services.clock.now() - dt.timedelta(minutes=1))
    _race(6, lambda i: services.alert_sweep())
    alert = Alert.objects.get()
    assert alert.escalation_step == 1
    assert Notification.objects.filter(to__endswith="633333333").count() == 1
    assert Notification.objects.filter(to__endswith="611111111").count() == 1
