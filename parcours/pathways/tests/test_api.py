"""Pathways JSON API: start, state with next steps, transitions refused with 409 and the unmet conditions."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.utils import timezone

from parcours.pathways import registry
from parcours.pathways import services as pathway_services
from parcours.pathways.models import PatientPathway
from parcours.patients import services as patient_services
from parcours.testing.readiness import HOME_ETP_OPENS_AFTER, make_ready_for_home

pytestmark = pytest.mark.django_db

CLB = registry.CLB_KEY


def ready_for_s1(world) -> None:
    pathway_services.checklist_set(
        actor=world.idec,
        patient=world.patient,
        definition_key=registry.ADMISSION_KEY,
        step_id="eligibility_identified",
        done=True,
    )
    world.patient.referring_oncologist = world.oncologist
    world.patient.save()


def had_validated_and_consent(world) -> None:
    req = patient_services.had_request_create(
        actor=world.oncologist, patient=world.patient, had=world.had, motive="HAD"
    )
    patient_services.had_request_decide(
        actor=world.had_physician, patient=world.patient, request_id=str(req.external_id), validate=True
    )
    patient_services.consent_record(actor=world.idec, patient=world.patient, kind="had_informed", given=True)


@pytest.fixture
def in_s1(world) -> PatientPathway:
    """In S1 since 9 weeks (home ETP modules open from week 10: readiness can be recorded)."""
    with time_machine.travel(timezone.now() - HOME_ETP_OPENS_AFTER, tick=False):
        pathway_services.pathway_start(actor=world.idec, patient=world.patient, definition_key=CLB)
        ready_for_s1(world)
        return pathway_services.pathway_transition(
            actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="start_s1"
        )


def transitions_url(world) -> str:
    return f"/api/v1/patients/{world.patient.external_id}/pathways/{CLB}/transitions"


def post_transition(client, world, **payload):
    return client.post(transitions_url(world), json.dumps(payload), content_type="application/json")


def test_start_returns_201_with_the_next_steps(world, api_client) -> None:
    response = api_client(world.idec).post(f"/api/v1/patients/{world.patient.external_id}/pathways/{CLB}")
    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["record_version"], body["version"]) == ("inclusion", 1, 2)
    start_s1 = next(t for t in body["next"] if t["id"] == "start_s1")
    assert start_s1["allowed"] is False
    assert [g["met"] for g in start_s1["guards"]] == [False, False]


def test_start_twice_is_409_and_unknown_pathway_is_422(world, api_client) -> None:
    client = api_client(world.idec)
    url = f"/api/v1/patients/{world.patient.external_id}/pathways"
    assert client.post(f"{url}/{CLB}").status_code == 201
    assert client.post(f"{url}/{CLB}").status_code == 409
    assert client.post(f"{url}/astrology").status_code == 422


def test_pathways_list_shows_state_and_guards(world, api_client, in_s1) -> None:
    body = api_client(world.idel).get(f"/api/v1/patients/{world.patient.external_id}/pathways").json()
    assert [p["state"] for p in body] == ["s1"]
    to_s2 = next(t for t in body[0]["next"] if t["id"] == "to_s2")
    assert to_s2["allowed"] is False
    assert [g["met"] for g in to_s2["guards"]] == [False, False, False, False]
    assert to_s2["guards"][-1]["label"].startswith("Prêt(e) pour le domicile")


def test_refused_transition_is_409_with_every_unmet_condition(world, api_client, in_s1) -> None:
    response = post_transition(api_client(world.idec), world, transition="to_s2")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "transition_refused"
    assert [u["id"] for u in body["unmet"]] == [
        "had_validated",
        "consent_informed",
        "eligibility_assessed",
        "education_ready",
    ]
    assert body["unmet"][0]["label"] == "Faisabilité HAD validée par un médecin d'HAD"
    assert "conditions non remplies" in body["message"]
    in_s1.refresh_from_db()
    assert in_s1.state == "s1"


def test_allowed_transition_is_200_with_the_new_state(world, api_client, in_s1) -> None:
    had_validated_and_consent(world)
    make_ready_for_home(world.patient, world.idec)
    response = post_transition(api_client(world.idec), world, transition="to_s2", version=in_s1.version)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "s2"
    assert body["record_version"] == in_s1.version + 1
    assert body["state_label"].startswith("Séquence 2")


def test_new_pathway_to_s2_is_409_until_the_patient_is_ready_for_home_then_200(world, api_client) -> None:
    client = api_client(world.idec)
    with time_machine.travel(timezone.now() - HOME_ETP_OPENS_AFTER, tick=False):
        started = client.post(f"/api/v1/patients/{world.patient.external_id}/pathways/{CLB}")
        assert (started.status_code, started.json()["version"]) == (201, 2)
        ready_for_s1(world)
        assert post_transition(client, world, transition="start_s1").status_code == 200
    had_validated_and_consent(world)
    # eligibility assessed (the patient wishes home care), ETP done, but the home not assessed yet
    make_ready_for_home(world.patient, world.idec, home=False)

    refused = post_transition(client, world, transition="to_s2")
    assert refused.status_code == 409
    body = refused.json()
    assert [u["id"] for u in body["unmet"]] == ["education_ready"]
    assert body["unmet"][0]["label"] == (
        "Prêt(e) pour le domicile : évaluation du domicile et éducation thérapeutique acquises"
    )
    assert PatientPathway.objects.get(patient=world.patient).state == "s1"

    make_ready_for_home(world.patient, world.idec, eligibility=False, education=False)  # the home assessment
    listed = client.get(f"/api/v1/patients/{world.patient.external_id}/pathways").json()
    to_s2 = next(t for t in listed[0]["next"] if t["id"] == "to_s2")
    assert to_s2["allowed"] is True
    moved = post_transition(client, world, transition="to_s2")
    assert moved.status_code == 200, moved.content
    assert (moved.json()["state"], moved.json()["version"]) == ("s2", 2)


def test_stale_pathway_version_is_409_stale_edit(world, api_client, in_s1) -> None:
    response = post_transition(
        api_client(world.idec), world, transition="end", reason="x", version=in_s1.version - 1
    )
    assert response.status_code == 409
    assert response.json()["error"] == "stale_edit"
    in_s1.refresh_from_db()
    assert in_s1.state == "s1"


def test_member_without_transition_right_gets_403(world, api_client, in_s1) -> None:
    response = post_transition(api_client(world.idel), world, transition="end", reason="patient_choice")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    in_s1.refresh_from_db()
    assert in_s1.state == "s1"


def test_transition_for_another_teams_patient_is_404(world, api_client, in_s1) -> None:
    response = post_transition(api_client(world.outsider), world, transition="end", reason="x")
    assert response.status_code == 404


def test_transition_payload_is_validated(world, api_client, in_s1) -> None:
    response = post_transition(api_client(world.idec), world, transition="")
    assert response.status_code == 422
    assert "transition" in response.json()["fields"]
