"""The patient's questionnaire through the secure link: token security, idempotency, instruction by level."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from parcours.links.models import SecureLink
from parcours.notifications.models import Notification
from parcours.telemonitoring import services
from parcours.telemonitoring.models import Alert, QuestionnaireResponse, TriageAssessment

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(world):
    world.patient.phone = "0612345678"
    world.patient.save()
    assignment = services.questionnaire_assign(
        actor=world.idec, patient=world.patient, due_at=T0 + dt.timedelta(days=1)
    )
    issued = services.questionnaire_link_send(actor=world.idec, assignment=assignment, channel="sms")
    return assignment, issued


def _url(token: str) -> str:
    return reverse("telemonitoring:answer", args=[token])


def test_sending_a_link_puts_an_sms_in_the_outbox_with_the_link_and_no_clinical_detail(world, sent):
    _assignment, issued = sent
    message = Notification.objects.get(channel="sms")
    assert message.to.endswith("612345678")
    assert _url(issued.token) in message.body
    assert "immunothérapie" not in message.body and world.patient.birth_name not in message.body
    assert SecureLink.objects.get().token_hash != issued.token  # only the hash is stored


def test_the_questionnaire_page_shows_the_recall_period_and_the_branching_questions(sent):
    _a, issued = sent
    page = Client().get(_url(issued.token))
    assert page.status_code == 200
    html = page.content.decode()
    assert "7 derniers jours" in html
    assert 'data-enable-when="PROCTCAE_17A_SCL"' in html  # severity after frequency
    assert "no-store" in page["Cache-Control"]


def test_a_forged_token_shows_a_clear_page_and_records_nothing():
    page = Client().get(_url("forged-token-0000000000000000000000000000"))
    assert page.status_code == 404
    assert "pas reconnu" in page.content.decode()
    post = Client().post(_url("forged-token-0000000000000000000000000000"), {"submission_key": "k" * 20})
    assert post.status_code == 404
    assert not QuestionnaireResponse.objects.exists()


def test_an_expired_link_is_refused_and_nothing_is_recorded(sent):
    _a, issued = sent
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=73)):
        page = Client().post(_url(issued.token), {"submission_key": "x" * 32, "PROCTCAE_16A_SCL": "4"})
    assert page.status_code == 410
    assert "expiré" in page.content.decode()
    assert not QuestionnaireResponse.objects.exists() and not TriageAssessment.objects.exists()


def test_a_revoked_link_is_refused(world, sent):
    from parcours.links.services import link_revoke

    _a, issued = sent
    link_revoke(actor=world.idec, link=issued.link, reason="Numéro erroné")
    assert Client().get(_url(issued.token)).status_code == 410


def test_an_urgent_answer_shows_the_call_15_instruction_and_opens_an_urgent_alert(world, sent):
    _a, issued = sent
    page = Client().post(
        _url(issued.token),
        {"submission_key": "a" * 32, "PROCTCAE_19A_SCL": "3", "PROCTCAE_19B_SCL": "3", "free_text": ""},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Appelez le 15" in html and 'href="tel:15"' in html and "112" in html
    alert = Alert.objects.get()
    assert alert.level == "urgent"
    response = QuestionnaireResponse.objects.get()
    assert response.channel == "link" and response.entered_by is None


def test_a_resubmission_with_the_same_key_counts_once_and_shows_the_same_instruction(sent):
    _a, issued = sent
    data = {"submission_key": "b" * 32, "PROCTCAE_16A_SCL": "3"}
    first = Client().post(_url(issued.token), data)
    second = Client().post(_url(issued.token), data)  # connection lost after sending: the phone sends again
    assert first.status_code == second.status_code == 200
    assert "appeler aujourd" in second.content.decode()
    assert "déjà été reçues" in second.content.decode()
    assert QuestionnaireResponse.objects.count() == 1
    assert TriageAssessment.objects.count() == 1
    assert Alert.objects.count() == 1


def test_a_second_submission_with_another_key_is_refused_as_used(sent):
    _a, issued = sent
    Client().post(_url(issued.token), {"submission_key": "c" * 32, "PROCTCAE_16A_SCL": "0"})
    again = Client().post(_url(issued.token), {"submission_key": "d" * 32, "PROCTCAE_16A_SCL": "4"})
    assert again.status_code == 410
    assert QuestionnaireResponse.objects.count() == 1


def test_out_of_scale_answers_are_refused_with_the_question_named_and_nothing_recorded(sent):
    _a, issued = sent
    page = Client().post(_url(issued.token), {"submission_key": "e" * 32, "PROCTCAE_16A_SCL": "7"})
    assert page.status_code == 400
    assert "hors échelle" in page.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    assert SecureLink.objects.get().used_at is None  # the patient can correct and send


def test_answers_hidden_by_the_branching_are_dropped(sent):
    _a, issued = sent
    Client().post(
        _url(issued.token),
        {
            "submission_key": "f" * 32,
            "PROCTCAE_17A_SCL": "0",
            "PROCTCAE_17B_SCL": "4",
            "PROCTCAE_17C_SCL": "4",
        },
    )
    assert QuestionnaireResponse.objects.get().answers == {"PROCTCAE_17A_SCL": 0}
    assert TriageAssessment.objects.get().level == "none"


def test_a_partial_answer_is_not_graded_but_raises_an_incomplete_task(world, sent):
    _a, issued = sent
    Client().post(_url(issued.token), {"submission_key": "g" * 32, "PROCTCAE_19A_SCL": "4"})
    assessment = TriageAssessment.objects.get()
    assert assessment.result["incomplete"][0]["code"] == "PROCTCAE_19"
    assert world.patient.telemonitoring_tasks.filter(kind="incomplete_questionnaire").exists()


def test_free_text_reaches_the_idec(world, sent):
    _a, issued = sent
    Client().post(
        _url(issued.token), {"submission_key": "h" * 32, "PROCTCAE_16A_SCL": "0", "free_text": "Je tousse"}
    )
    task = world.patient.telemonitoring_tasks.get(kind="routine_review")
    assert "Je tousse" in task.detail


def test_a_caregiver_link_is_recorded_as_caregiver(world):
    from parcours.patients.models import Caregiver

    carer = Caregiver.objects.create(
        patient=world.patient, name="Paul Martin", relationship="fils", phone="0698765432"
    )
    assignment = services.questionnaire_assign(actor=world.idec, patient=world.patient, due_at=T0)
    issued = services.questionnaire_link_send(
        actor=world.idec, assignment=assignment, channel="sms", audience="caregiver", caregiver=carer
    )
    page = Client().get(_url(issued.token))
    assert "aidant" in page.content.decode()
    Client().post(_url(issued.token), {"submission_key": "i" * 32, "PROCTCAE_16A_SCL": "0"})
    assert QuestionnaireResponse.objects.get().audience == "caregiver"


def test_only_roles_with_monitoring_link_may_send_a_link(world):
    from parcours.core.errors import Forbidden

    assignment = services.questionnaire_assign(actor=world.idec, patient=world.patient, due_at=T0)
    with pytest.raises(Forbidden):
        services.questionnaire_link_send(actor=world.idel, assignment=assignment, channel="sms")
