"""Patients JSON API: token auth, need-to-know, validation errors in French, optimistic locking."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from parcours.patients.models import CareTeamMembership, Patient
from parcours.testing.factories import next_ins

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"birth_name": "Lefèvre", "given_names": "Anne", "sex": "F", "birth_date": "1962-07-14"}


def post_json(client: Client, url: str, payload: object, **extra):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", **extra)


def patch_json(client: Client, url: str, payload: object):
    return client.patch(url, json.dumps(payload), content_type="application/json")


# --------------------------------------------------------------------------------------------- auth


@pytest.mark.parametrize("header", [None, "Bearer pk_not-a-real-token", "Token abc"])
def test_without_a_valid_token_the_api_answers_401(world, header) -> None:
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/patients")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_a_logged_in_session_also_authenticates(world, web_client) -> None:
    assert web_client(world.idec).get("/api/v1/patients").status_code == 200


# --------------------------------------------------------------------------------------------- reads


def test_list_shows_only_my_patients(world, api_client) -> None:
    body = api_client(world.idec).get("/api/v1/patients").json()
    assert body["count"] == 1
    assert [p["id"] for p in body["items"]] == [str(world.patient.external_id)]
    assert body["items"][0]["birth_name"] == "MARTIN"
    assert body["items"][0]["version"] == 1


def test_list_search_and_paging(world, api_client) -> None:
    client = api_client(world.outsider)
    assert client.get("/api/v1/patients?q=bern").json()["count"] == 1
    assert client.get("/api/v1/patients?q=martin").json()["count"] == 0
    assert client.get("/api/v1/patients?limit=0").status_code == 422


def test_get_my_patient(world, api_client) -> None:
    response = api_client(world.idec).get(f"/api/v1/patients/{world.patient.external_id}")
    assert response.status_code == 200
    assert response.json()["ins"] == world.patient.ins
    assert response.json()["hospital"] == "Centre Léon Bérard"


@pytest.mark.parametrize("which", ["other_team", "unknown", "garbage"])
def test_get_a_patient_i_may_not_see_is_404(world, api_client, which) -> None:
    pid = {"other_team": world.other_patient.external_id, "unknown": uuid.uuid4(), "garbage": "123abc"}[which]
    response = api_client(world.idec).get(f"/api/v1/patients/{pid}")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Patient introuvable."}


def test_role_without_patient_view_lists_nothing(world, api_client) -> None:
    assert api_client(world.privacy_officer).get("/api/v1/patients").json()["count"] == 0


def test_care_team_and_timeline_endpoints(world, api_client) -> None:
    client = api_client(world.idec)
    team = client.get(f"/api/v1/patients/{world.patient.external_id}/care-team").json()
    assert {m["role"] for m in team} == {"idec", "oncologist", "had_physician", "idel"}
    post_json(client, "/api/v1/patients", NEW_PATIENT)
    pid = Patient.objects.get(birth_name="Lefèvre").external_id
    timeline = client.get(f"/api/v1/patients/{pid}/timeline").json()
    assert "patient.created" in [e["kind"] for e in timeline]
    assert any(e["text"] == "Dossier créé" for e in timeline)


def test_add_care_team_member(world, api_client) -> None:
    url = f"/api/v1/patients/{world.patient.external_id}/care-team"
    response = post_json(api_client(world.idec), url, {"user_id": str(world.outsider.external_id)})
    assert response.status_code == 201
    assert CareTeamMembership.objects.filter(patient=world.patient, user=world.outsider, until=None).exists()
    again = post_json(api_client(world.idec), url, {"user_id": str(world.outsider.external_id)})
    assert again.status_code == 409
    unknown = post_json(api_client(world.idec), url, {"user_id": str(uuid.uuid4())})
    assert unknown.status_code == 422
    assert "user_id" in unknown.json()["fields"]
    assert (
        post_json(api_client(world.idel), url, {"user_id": str(world.outsider.external_id)}).status_code
        == 403
    )


# --------------------------------------------------------------------------------------------- create


def test_create_returns_201_and_the_creator_joins_the_care_team(world, api_client) -> None:
    response = post_json(
        api_client(world.idec), "/api/v1/patients", {**NEW_PATIENT, "ins": "2 55 08 14 168 025 38"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ins"] == "255081416802538"
    assert body["version"] == 1
    patient = Patient.objects.get(external_id=body["id"])
    assert CareTeamMembership.objects.filter(patient=patient, user=world.idec, until=None).exists()
    assert api_client(world.idec).get(f"/api/v1/patients/{body['id']}").status_code == 200


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({k: v for k, v in NEW_PATIENT.items() if k != "given_names"}, "given_names", "Champ obligatoire."),
        ({**NEW_PATIENT, "birth_date": "14/07/1962"}, "birth_date", "Date attendue au format AAAA-MM-JJ."),
        ({**NEW_PATIENT, "birth_date": "1962-13-45"}, "birth_date", "Date attendue au format AAAA-MM-JJ."),
        ({**NEW_PATIENT, "sex": "X"}, "sex", "Format invalide."),
        ({**NEW_PATIENT, "birth_name": ""}, "birth_name", "Trop court (au moins 1 caractère(s))."),
        ({**NEW_PATIENT, "latitude": "nord"}, "latitude", "Nombre attendu."),
    ],
)
def test_malformed_payload_is_422_with_a_french_message_per_field(
    world, api_client, payload, field, message
) -> None:
    before = Patient.objects.count()
    response = post_json(api_client(world.idec), "/api/v1/patients", payload)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert body["message"] == "Requête invalide : rien n'a été enregistré."
    assert body["fields"][field] == [message]
    assert Patient.objects.count() == before


def test_body_that_is_not_json_is_422(world, api_client) -> None:
    response = post_json(api_client(world.idec), "/api/v1/patients", '{"birth_name": "A",')
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert body["message"] == "Requête invalide : rien n'a été enregistré."
    assert body["fields"] == {"body": ["Le corps de la requête n'est pas du JSON valide."]}


def test_invalid_ins_is_422_on_the_ins_field(world, api_client) -> None:
    before = Patient.objects.count()
    response = post_json(
        api_client(world.idec), "/api/v1/patients", {**NEW_PATIENT, "ins": "255081416802539"}
    )
    assert response.status_code == 422
    body = response.json()
    assert list(body["fields"]) == ["ins"]
    assert "clé" in body["fields"]["ins"][0]
    assert Patient.objects.count() == before


def test_service_validation_reports_future_birth_date_and_duplicate_ins(world, api_client) -> None:
    response = post_json(
        api_client(world.idec),
        "/api/v1/patients",
        {**NEW_PATIENT, "birth_date": "2999-01-01", "ins": world.patient.ins},
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"birth_date", "ins"}


def test_role_without_patient_create_gets_403(world, api_client) -> None:
    response = post_json(api_client(world.idel), "/api/v1/patients", NEW_PATIENT)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


# --------------------------------------------------------------------------------------------- update


def test_patch_updates_and_returns_the_new_version(world, api_client) -> None:
    url = f"/api/v1/patients/{world.patient.external_id}"
    response = patch_json(
        api_client(world.idec), url, {"version": 1, "city": "Villeurbanne", "postcode": "69100"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["city"] == "Villeurbanne"


def test_patch_with_a_stale_version_is_409_and_keeps_the_first_change(world, api_client) -> None:
    url = f"/api/v1/patients/{world.patient.external_id}"
    assert patch_json(api_client(world.idec), url, {"version": 1, "phone": "0611111111"}).status_code == 200
    response = patch_json(api_client(world.oncologist), url, {"version": 1, "phone": "0622222222"})
    assert response.status_code == 409
    assert response.json()["error"] == "stale_edit"
    world.patient.refresh_from_db()
    assert (world.patient.phone, world.patient.version) == ("0611111111", 2)


def test_patch_without_version_is_422(world, api_client) -> None:
    response = patch_json(
        api_client(world.idec), f"/api/v1/patients/{world.patient.external_id}", {"city": "Bron"}
    )
    assert response.status_code == 422
    assert response.json()["fields"]["version"] == ["Champ obligatoire."]


def test_patch_with_invalid_ins_is_422(world, api_client) -> None:
    url = f"/api/v1/patients/{world.patient.external_id}"
    response = patch_json(api_client(world.idec), url, {"version": 1, "ins": next_ins()[:-1] + "X"})
    assert response.status_code == 422
    assert "ins" in response.json()["fields"]


def test_patch_by_a_member_without_edit_right_is_403(world, api_client) -> None:
    url = f"/api/v1/patients/{world.patient.external_id}"
    assert patch_json(api_client(world.idel), url, {"version": 1, "city": "Bron"}).status_code == 403


def test_patch_of_another_teams_patient_is_404(world, api_client) -> None:
    url = f"/api/v1/patients/{world.other_patient.external_id}"
    assert patch_json(api_client(world.idec), url, {"version": 1, "city": "Bron"}).status_code == 404


# --------------------------------------------------------------------------------------------- misc


def test_openapi_schema_lists_the_paths(world) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}",
        "/api/v1/patients/{patient_id}/care-team",
        "/api/v1/patients/{patient_id}/timeline",
        "/api/v1/patients/{patient_id}/pathways",
        "/api/v1/patients/{patient_id}/pathways/{key}/transitions",
    ):
        assert path in paths


def test_healthz(db) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
