"""HTML views: login, need-to-know, pathway refusals shown in French, privacy officer's journal and export."""

from __future__ import annotations

import html
import json

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from parcours.audit.models import AuditEvent
from parcours.pathways import registry
from parcours.pathways import services as pathway_services
from parcours.pathways.models import PatientPathway
from parcours.patients import services as patient_services
from parcours.patients.models import Patient
from parcours.testing.factories import PASSWORD
from parcours.testing.readiness import HOME_ETP_OPENS_AFTER, make_ready_for_home

pytestmark = pytest.mark.django_db

CLB = registry.CLB_KEY


def text(response) -> str:
    return html.unescape(response.content.decode())


# --------------------------------------------------------------------------------------------- login


def test_unauthenticated_user_is_sent_to_the_login_page(db) -> None:
    response = Client().get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")
    assert "next=/patients/" in response["Location"]


def test_login_page_is_in_french(db) -> None:
    response = Client().get("/connexion/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_login_with_the_right_password_lands_on_my_patients(world) -> None:
    client = Client()
    response = client.post("/connexion/", {"username": "idec", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/patients/"


def test_login_with_a_wrong_password_stays_on_the_form(world) -> None:
    response = Client().post("/connexion/", {"username": "idec", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_logins_and_failed_logins_are_audited(world) -> None:
    from parcours.audit.models import AuditEvent

    Client().post("/connexion/", {"username": "idec", "password": PASSWORD})
    Client().post("/connexion/", {"username": "idec", "password": "wrong"})
    login = AuditEvent.objects.get(action="login")
    assert login.actor == world.idec
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.actor is None
    assert failed.detail["username"] == "idec"


def test_home_sends_the_privacy_officer_to_the_journal(world, web_client) -> None:
    assert web_client(world.privacy_officer).get("/")["Location"] == "/journal/"


# --------------------------------------------------------------------------------------------- patients


def test_my_patients_page_lists_only_my_care_teams(world, web_client) -> None:
    response = web_client(world.idec).get("/patients/")
    assert response.status_code == 200
    assert "MARTIN" in text(response)
    assert "BERNARD" not in text(response)
    assert AuditEvent.objects.filter(action="list", actor=world.idec).count() == 1


def test_patient_page_of_another_team_is_404(world, web_client) -> None:
    client = web_client(world.idec)
    assert client.get(f"/patients/{world.other_patient.external_id}/").status_code == 404
    assert client.get("/patients/not-a-uuid/").status_code == 404
    assert AuditEvent.objects.filter(action="denied", actor=world.idec).count() == 2


def test_patient_page_shows_identity_and_care_team(world, web_client) -> None:
    response = web_client(world.idec).get(f"/patients/{world.patient.external_id}/")
    assert response.status_code == 200
    page = text(response)
    assert "MARTIN Jeanne" in page
    assert str(world.oncologist) in page


def test_create_form_refuses_a_wrong_ins_and_keeps_nothing(world, web_client) -> None:
    before = Patient.objects.count()
    response = web_client(world.idec).post(
        "/patients/nouveau/",
        {
            "birth_name": "Roux",
            "given_names": "Eve",
            "sex": "F",
            "birth_date": "1970-01-01",
            "ins": "255081416802539",
            "identity_status": "validated",
        },
    )
    assert response.status_code == 200
    assert "attendue : 38" in text(response)
    assert Patient.objects.count() == before


def test_create_form_is_404_for_a_role_that_cannot_create(world, web_client) -> None:
    assert web_client(world.idel).get("/patients/nouveau/").status_code == 404


# --------------------------------------------------------------------------------------------- pathway


@pytest.fixture
def in_s1(world) -> PatientPathway:
    """A new pathway (v2), in S1 since 9 weeks: the home ETP modules are open, readiness can be recorded."""
    with time_machine.travel(timezone.now() - HOME_ETP_OPENS_AFTER, tick=False):
        pathway_services.pathway_start(actor=world.idec, patient=world.patient, definition_key=CLB)
        pathway_services.checklist_set(
            actor=world.idec,
            patient=world.patient,
            definition_key=registry.ADMISSION_KEY,
            step_id="eligibility_identified",
            done=True,
        )
        world.patient.referring_oncologist = world.oncologist
        world.patient.save()
        return pathway_services.pathway_transition(
            actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="start_s1"
        )


def test_refused_transition_redirects_and_the_page_lists_the_unmet_conditions_in_french(
    world, web_client, in_s1
) -> None:
    client = web_client(world.idec)
    url = f"/patients/{world.patient.external_id}/parcours/{CLB}/transition/to_s2/"
    response = client.post(url, {"version": in_s1.version})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{world.patient.external_id}/#parcours"

    page = text(client.get(response["Location"]))
    assert "conditions non remplies — Faisabilité HAD validée par un médecin d'HAD ; " in page
    for label in (
        "Consentement éclairé du patient recueilli",
        "Éligibilité à l'HAD évaluée",
        "Prêt(e) pour le domicile : évaluation du domicile et éducation thérapeutique acquises",
    ):
        assert label in page
    in_s1.refresh_from_db()
    assert in_s1.state == "s1"


def test_to_s2_from_the_page_waits_for_readiness_for_home(world, web_client, in_s1) -> None:
    assert in_s1.definition_version == 2
    req = patient_services.had_request_create(
        actor=world.oncologist, patient=world.patient, had=world.had, motive="HAD"
    )
    patient_services.had_request_decide(
        actor=world.had_physician, patient=world.patient, request_id=str(req.external_id), validate=True
    )
    patient_services.consent_record(actor=world.idec, patient=world.patient, kind="had_informed", given=True)
    make_ready_for_home(world.patient, world.idec, education=False)  # ETP not done yet
    client = web_client(world.idec)
    url = f"/patients/{world.patient.external_id}/parcours/{CLB}/transition/to_s2/"

    page = text(client.get(client.post(url, {"version": in_s1.version})["Location"]))
    assert (
        "conditions non remplies — Prêt(e) pour le domicile : évaluation du domicile et éducation "
        "thérapeutique acquises" in page
    )
    in_s1.refresh_from_db()
    assert in_s1.state == "s1"

    make_ready_for_home(world.patient, world.idec, eligibility=False, home=False)
    response = client.post(url, {"version": in_s1.version})
    assert "Parcours mis à jour." in text(client.get(response["Location"]))
    in_s1.refresh_from_db()
    assert in_s1.state == "s2"


def test_transition_with_reason_from_the_page_moves_the_pathway(world, web_client, in_s1) -> None:
    client = web_client(world.idec)
    url = f"/patients/{world.patient.external_id}/parcours/{CLB}/transition/end/"
    response = client.post(url, {"version": in_s1.version, "reason": "Choix du patient"})
    assert response.status_code == 302
    assert "Parcours mis à jour." in text(client.get(response["Location"]))
    in_s1.refresh_from_db()
    assert in_s1.state == "ended"


def test_transition_post_by_a_member_without_the_right_is_refused(world, web_client, in_s1) -> None:
    url = f"/patients/{world.patient.external_id}/parcours/{CLB}/transition/end/"
    response = web_client(world.idel).post(url, {"reason": "x"})
    assert response.status_code == 403
    in_s1.refresh_from_db()
    assert in_s1.state == "s1"


# --------------------------------------------------------------------------------------------- journal, export


def test_privacy_officer_sees_the_journal_of_a_patient(world, web_client) -> None:
    web_client(world.idec).get(f"/patients/{world.patient.external_id}/")
    response = web_client(world.privacy_officer).get(f"/journal/?patient={world.patient.external_id}")
    assert response.status_code == 200
    assert str(world.idec) in text(response)
    assert AuditEvent.objects.filter(
        action="read", object_type="audit_log", actor=world.privacy_officer, patient_id=world.patient.pk
    ).exists()


def test_privacy_officer_journal_without_patient(world, web_client) -> None:
    assert web_client(world.privacy_officer).get("/journal/").status_code == 200


def test_privacy_officer_exports_the_record_as_json_and_it_is_audited(world, web_client) -> None:
    pathway_services.pathway_start(actor=world.idec, patient=world.patient, definition_key=CLB)
    response = web_client(world.privacy_officer).get(f"/patients/{world.patient.external_id}/export.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["patient"]["id"] == str(world.patient.external_id)
    assert data["patient"]["ins"] == world.patient.ins
    assert "pathway.started" in [e["kind"] for e in data["timeline"]]
    assert len(data["care_team"]) == 4
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.patient_id) == (world.privacy_officer, world.patient.pk)
    assert event.path.endswith("/export.json")


def test_idec_cannot_open_the_journal_nor_export(world, web_client) -> None:
    client = web_client(world.idec)
    assert client.get("/journal/").status_code == 404
    assert client.get(f"/patients/{world.patient.external_id}/export.json").status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
