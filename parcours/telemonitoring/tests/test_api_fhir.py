"""API (proxy entry, gate, alerts) and FHIR R4 export validated with fhir.resources (R4B models)."""

from __future__ import annotations

import pytest

from parcours.telemonitoring import questionnaires
from parcours.telemonitoring.models import Alert

pytestmark = pytest.mark.django_db


def test_the_definition_has_the_irae_terms_and_every_variable_is_known_to_the_engine():
    from parcours.monitoring.pro_ctcae import load_library

    definition = questionnaires.load()
    assert [b.number for b in definition.blocks][:3] == [16, 17, 18]
    assert set(definition.variables) <= set(load_library().items)
    assert definition.variables["PROCTCAE_17B_SCL"].enable_when == "PROCTCAE_17A_SCL"
    assert definition.variables["PROCTCAE_17C_SCL"].enable_when == "PROCTCAE_17B_SCL"
    assert definition.variables["PROCTCAE_24A_IND"].kind == "presence"


def test_the_short_definition_exists_for_frail_patients():
    assert len(questionnaires.load("pro-ctcae-ici-court").blocks) == 10


def test_regimen_specific_terms_are_added_or_removed(settings, tmp_path, monkeypatch):
    raw = dict(questionnaires._raw("pro-ctcae-ici"))
    raw["regimens"] = {"ipilimumab": {"add": [2], "remove": [52]}}
    monkeypatch.setattr(questionnaires, "_raw", lambda code: raw)
    questionnaires.load.cache_clear()
    try:
        numbers = [b.number for b in questionnaires.load("pro-ctcae-ici", "Ipilimumab").blocks]
        assert 2 in numbers and 52 not in numbers
    finally:
        questionnaires.load.cache_clear()


def test_fhir_questionnaire_is_valid_r4_with_enablewhen_branching():
    resource = questionnaires.to_fhir_questionnaire(questionnaires.load())
    model = questionnaires.validate_fhir(resource)
    pain = next(i for i in model.item if i.linkId == "term-17")
    severity = next(i for i in pain.item if i.linkId == "PROCTCAE_17B_SCL")
    assert severity.enableBehavior == "any"
    assert {w.answerCoding.code for w in severity.enableWhen} == {"1", "2", "3", "4"}
    assert all(w.question == "PROCTCAE_17A_SCL" for w in severity.enableWhen)
    first = next(i for i in pain.item if i.linkId == "PROCTCAE_17A_SCL")
    assert not first.enableWhen
    assert resource["item"][-1] == {
        "linkId": "free_text",
        "text": questionnaires.load().free_text.fr,
        "type": "text",
    }


def test_fhir_questionnaire_response_is_valid_and_leaves_out_skipped_items():
    definition = questionnaires.load()
    resource = questionnaires.to_fhir_response(
        definition,
        answers={
            "PROCTCAE_17A_SCL": 0,
            "PROCTCAE_16A_SCL": 3,
            "PROCTCAE_19A_SCL": 2,
            "PROCTCAE_19B_SCL": None,
        },
        free_text="Toux le soir",
        authored="2026-11-23T10:00:00+01:00",
        patient_reference="Patient/123",
    )
    model = questionnaires.validate_fhir(resource)
    assert model.status == "completed"
    linked = {g.linkId: [i.linkId for i in (g.item or [])] for g in model.item}
    assert linked["term-19"] == ["PROCTCAE_19A_SCL"]
    assert linked["term-16"] == ["PROCTCAE_16A_SCL"]


def test_a_malformed_fhir_resource_is_refused():
    from pydantic import ValidationError

    resource = questionnaires.to_fhir_questionnaire(questionnaires.load())
    resource["item"][0]["item"][0]["answerOption"] = [{"valueCoding": "x"}]
    resource["unknownField"] = 1
    with pytest.raises(ValidationError):
        questionnaires.validate_fhir(resource)


def test_api_proxy_entry_triages_and_is_idempotent(api_client, world):
    client = api_client(world.idel)
    url = f"/api/v1/telemonitoring/patients/{world.patient.external_id}/responses"
    body = {"answers": {"PROCTCAE_19A_SCL": 3, "PROCTCAE_19B_SCL": 3}, "submission_key": "api-key-123456"}
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["triage"]["level"] == "urgent"
    assert first.json()["triage"]["red_flags"] == ["shortness_of_breath"]
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Alert.objects.count() == 1


def test_api_refuses_out_of_scale_answers_naming_the_field(api_client, world):
    url = f"/api/v1/telemonitoring/patients/{world.patient.external_id}/responses"
    bad = api_client(world.idel).post(
        url,
        {"answers": {"PROCTCAE_16A_SCL": 9}, "submission_key": "api-key-999999"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "answers.PROCTCAE_16A_SCL" in bad.json()["fields"]


def test_api_gate_alerts_acknowledge_close_and_fhir_export(api_client, world):
    idel, idec = api_client(world.idel), api_client(world.idec)
    url = f"/api/v1/telemonitoring/patients/{world.patient.external_id}/responses"
    created = idel.post(
        url,
        {"answers": {"PROCTCAE_16A_SCL": 3}, "submission_key": "api-key-gate01"},
        content_type="application/json",
    ).json()
    gate = idec.get(f"/api/v1/telemonitoring/patients/{world.patient.external_id}/gate").json()
    assert gate["hold_treatment"] is True and gate["open_alert_levels"] == ["same_day"]
    alerts = idec.get("/api/v1/telemonitoring/alerts").json()
    assert [a["level"] for a in alerts] == ["same_day"]
    alert_id = alerts[0]["id"]
    assert (
        idel.post(
            f"/api/v1/telemonitoring/alerts/{alert_id}/acknowledge", {}, content_type="application/json"
        ).status_code
        == 403
    )
    ack = idec.post(
        f"/api/v1/telemonitoring/alerts/{alert_id}/acknowledge",
        {"version": 1},
        content_type="application/json",
    )
    assert ack.json()["status"] == "acknowledged"
    closed = idec.post(
        f"/api/v1/telemonitoring/alerts/{alert_id}/close",
        {"reason": "Rappelée"},
        content_type="application/json",
    )
    assert closed.json()["status"] == "closed"
    fhir = idec.get(f"/api/v1/telemonitoring/fhir/QuestionnaireResponse/{created['response_id']}").json()
    assert questionnaires.validate_fhir(fhir).author.reference.startswith("Practitioner/")
    q = idec.get("/api/v1/telemonitoring/fhir/Questionnaire/pro-ctcae-ici").json()
    assert q["resourceType"] == "Questionnaire"


def test_api_hides_other_patients(api_client, world):
    outsider = api_client(world.outsider)
    assert (
        outsider.get(f"/api/v1/telemonitoring/patients/{world.patient.external_id}/gate").status_code == 404
    )
