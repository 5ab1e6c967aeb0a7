"""Staff pages through HTTP: proxy entry, the patient's telemonitoring page, the IDEC queue, hold review."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from parcours.clinical.services import ObservationInput, observations_record
from parcours.telemonitoring.models import Alert, QuestionnaireResponse, TreatmentHold
from parcours.telemonitoring.tests.conftest import DIARRHOEA_G2, DYSPNOEA_RED_FLAG

pytestmark = pytest.mark.django_db


def _proxy(web_client, world, user, data):
    url = reverse("telemonitoring:proxy", args=[world.patient.external_id])
    return web_client(user).post(url, {"submission_key": "proxy-key-" + "x" * 12, **data})


def test_an_idel_enters_the_answers_for_the_patient_recorded_as_proxy(web_client, world):
    url = reverse("telemonitoring:proxy", args=[world.patient.external_id])
    page = web_client(world.idel).get(url)
    assert page.status_code == 200 and "Saisie par un soignant" in page.content.decode()
    done = _proxy(web_client, world, world.idel, {"PROCTCAE_16A_SCL": "3"})
    assert done.status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert response.channel == "proxy" and response.entered_by == world.idel
    assert world.patient.timeline.filter(kind="questionnaire.submitted").exists()


def test_proxy_entry_is_refused_without_monitoring_proxy_or_outside_the_care_team(web_client, world):
    assert _proxy(web_client, world, world.oncologist, {"PROCTCAE_16A_SCL": "3"}).status_code == 403
    assert _proxy(web_client, world, world.outsider, {"PROCTCAE_16A_SCL": "3"}).status_code == 404
    assert not QuestionnaireResponse.objects.exists()


def test_proxy_resubmission_with_the_same_key_counts_once(web_client, world):
    _proxy(web_client, world, world.idel, {"PROCTCAE_16A_SCL": "3"})
    _proxy(web_client, world, world.idel, {"PROCTCAE_16A_SCL": "3"})
    assert QuestionnaireResponse.objects.count() == 1


def test_the_patient_page_shows_the_reasons_in_words_and_the_hold(web_client, world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    page = web_client(world.idec).get(reverse("telemonitoring:patient", args=[world.patient.external_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Diarrhée" in html and "Suspend le traitement" in html
    assert "Traitement suspendu jusqu'à l'avis d'un médecin" in html
    assert "parcours-triage-1" in html
    assert '<svg class="trend"' in html and "Voir les valeurs (tableau)" in html


def test_trends_show_labs_with_reference_lines(web_client, world, django_capture_on_commit_callbacks):
    now = dt.datetime.now(dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        for days, value in ((20, 35), (10, 90), (1, 150)):
            observations_record(
                actor=world.idec,
                patient=world.patient,
                items=[
                    ObservationInput(
                        "lab", "ALT", Decimal(value), "U/L", now - dt.timedelta(days=days), upper=Decimal(40)
                    )
                ],
                source="manual",
            )
    html = (
        web_client(world.idec)
        .get(reverse("telemonitoring:patient", args=[world.patient.external_id]))
        .content.decode()
    )
    assert 'id="lab-alt-t"' in html and 'class="ref"' in html


def test_a_doctor_lifts_the_hold_from_the_page(web_client, world, pro_triage):
    pro_triage(world.patient, DIARRHOEA_G2)
    hold = TreatmentHold.objects.get()
    url = reverse("telemonitoring:hold_review", args=[hold.external_id])
    assert web_client(world.idec).post(url, {"decision": "lift", "note": "ok"}).status_code == 302
    hold.refresh_from_db()
    assert hold.status == "open"  # the IDEC may not
    web_client(world.oncologist).post(url, {"decision": "lift", "note": "Résolu sous traitement"})
    hold.refresh_from_db()
    assert hold.status == "lifted" and hold.lifted_by == world.oncologist


def test_the_idec_queue_lists_urgent_first_and_acknowledging_stops_the_escalation(
    web_client, world, pro_triage
):
    pro_triage(world.patient, DIARRHOEA_G2)
    pro_triage(world.patient, DYSPNOEA_RED_FLAG)
    client = web_client(world.idec)
    html = client.get(reverse("telemonitoring:queue")).content.decode()
    levels = re.findall(r'class="level (urgent|same_day)"', html)
    assert levels == ["urgent", "same_day"]
    urgent = Alert.objects.get(level="urgent")
    client.post(
        reverse("telemonitoring:alert_ack", args=[urgent.external_id]),
        {"version": urgent.version, "next": "queue"},
    )
    urgent.refresh_from_db()
    assert urgent.status == "acknowledged" and urgent.escalation_due_at is None


def test_the_queue_shows_nothing_of_patients_outside_the_care_team(web_client, world, pro_triage):
    pro_triage(world.patient, DYSPNOEA_RED_FLAG)
    html = web_client(world.outsider).get(reverse("telemonitoring:queue")).content.decode()
    assert "MARTIN" not in html
    other = web_client(world.outsider).post(
        reverse("telemonitoring:alert_ack", args=[Alert.objects.get().external_id])
    )
    assert other.status_code == 404


def test_roles_without_alert_handling_or_proxy_cannot_open_the_queue(web_client, world):
    from parcours.testing.factories import UserFactory

    pharmacist = UserFactory(role="pharmacist")
    assert web_client(pharmacist).get(reverse("telemonitoring:queue")).status_code == 403


def test_the_idec_sends_a_link_from_the_page(web_client, world):
    from parcours.notifications.models import Notification

    world.patient.phone = "0612345678"
    world.patient.save()
    url = reverse("telemonitoring:send_link", args=[world.patient.external_id])
    assert web_client(world.idec).post(url, {"channel": "sms"}).status_code == 302
    assert "/questionnaire/" in Notification.objects.get().body
    assert web_client(world.idel).post(url, {"channel": "sms"}).status_code == 403


def test_the_plan_form_starts_telemonitoring(web_client, world):
    url = reverse("telemonitoring:plan", args=[world.patient.external_id])
    web_client(world.idec).post(
        url, {"treatment_start": "2026-11-02", "regimen": "pembrolizumab", "send_channel": "sms"}
    )
    assert world.patient.monitoring_plan.regimen == "pembrolizumab"


def _ack_token(html: str, alert: Alert) -> str:
    form = re.search(
        r'action="[^"]*' + str(alert.external_id) + r'/prise-en-charge/?"[^>]*>\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    )
    assert form is not None, "no acknowledge form with a CSRF token"
    return form.group(1)


def test_queue_cards_come_from_the_cache_yet_show_each_change_and_carry_a_valid_csrf_token(world, pro_triage):
    from django.test import Client

    pro_triage(world.patient, DYSPNOEA_RED_FLAG)
    alert = Alert.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.idec)
    url = reverse("telemonitoring:queue")
    client.get(url, HTTP_HX_REQUEST="true")  # renders the card and caches it
    second = client.get(url, HTTP_HX_REQUEST="true").content.decode()  # from the cache, token put in place
    assert "PARCOURS-CSRF-MARK" not in second
    token = _ack_token(second, alert)
    done = client.post(
        reverse("telemonitoring:alert_ack", args=[alert.external_id]),
        {"version": alert.version, "next": "queue", "csrfmiddlewaretoken": token},
    )
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    after = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Je prends en charge" not in after and "prise en charge par" in after


def test_a_card_cached_for_an_idec_does_not_give_its_forms_to_a_reader_who_may_not_act(
    web_client, world, pro_triage
):
    from parcours.accounts.permissions import has_perm

    pro_triage(world.patient, DYSPNOEA_RED_FLAG)
    url = reverse("telemonitoring:queue")
    assert "Je prends en charge" in web_client(world.idec).get(url).content.decode()
    assert has_perm(world.idel, "monitoring.proxy") and not has_perm(world.idel, "alert.handle")
    html = web_client(world.idel).get(url).content.decode()
    assert 'class="level urgent"' in html and "Je prends en charge" not in html
