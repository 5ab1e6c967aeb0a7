"""The cures API: the whole workflow in JSON, errors in the user's language, OpenAPI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from parcours.cures.models import Cure
from parcours.cures.tests.conftest import T0, TODAY, CureWorld, lab_items

pytestmark = pytest.mark.django_db


def _post(client, url: str, body: dict[str, object], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body, default=str), content_type="application/json", **headers)


def _labs(cw: CureWorld, cure: Cure) -> dict[str, object]:
    return {
        "patient_id": str(cw.patient.external_id),
        "version": cure.version,
        "sampled_at": (T0 - dt.timedelta(hours=2)).isoformat(),
        "items": [
            {
                "code": i.code,
                "value": str(i.value),
                "unit": i.unit,
                "lower": str(i.lower),
                "upper": str(i.upper),
            }
            for i in lab_items(T0)
        ],
    }


def test_the_whole_workflow_through_the_api(cw: CureWorld, api_client, clock) -> None:  # type: ignore[no-untyped-def]
    onco = api_client(cw.oncologist)
    created = _post(
        onco,
        f"/api/v1/patients/{cw.patient.external_id}/cure-plans",
        {
            "regimen_id": "pembrolizumab_200mg_q3w",
            "start": TODAY,
            "pharmacy_id": cw.pharmacy.external_id,
            "cycles": 2,
            "first_number": 3,
        },
    )
    assert created.status_code == 201, created.content
    cure_id = created.json()["cures"][0]["id"]
    cure = Cure.objects.get(external_id=cure_id)
    url = f"/api/v1/cures/{cure_id}"
    idec = api_client(cw.idec)
    assert _post(idec, f"{url}/labs", _labs(cw, cure)).json()["status"] == "ready_for_ok"
    _post(
        idec,
        f"{url}/vitals",
        {"patient_id": cw.patient.external_id, "version": 0, "observed_at": T0, "values": {"TEMP": "36.7"}},
    )
    version = onco.get(url).json()["version"]
    r = _post(onco, f"{url}/ok", {"patient_id": cw.patient.external_id, "version": version, "kind": "cycle"})
    assert r.status_code == 200, r.content
    r = _post(
        api_client(cw.had_physician),
        f"{url}/ok",
        {"patient_id": cw.patient.external_id, "version": r.json()["version"], "kind": "day_of_cure"},
    )
    assert r.json()["status"] == "ok_given"
    pharma = api_client(cw.pharmacist)
    bag = _post(
        pharma, f"{url}/preparation", {"version": r.json()["version"], "lot": "A1", "prepared_at": T0}
    )
    assert bag.status_code == 201 and bag.json()["basis"] == "chemical_physical"
    version = pharma.get(url).json()["version"]
    assert _post(pharma, f"{url}/release", {"version": version}).json()["released_at"]
    clock.shift(dt.timedelta(minutes=10))
    logi = api_client(cw.logistician)
    version = logi.get(url).json()["version"]
    assert _post(logi, f"{url}/pickup", {"version": version}).json()["status"] == "in_delivery"
    assert _post(logi, f"{url}/temperatures", {"temperature_c": "4.5"}).json()["in_range"] is True
    r = _post(
        logi,
        f"{url}/handover",
        {
            "version": version + 1,
            "kit_antihistamine": True,
            "kit_adrenaline": True,
            "kit_corticosteroid": True,
        },
    )
    assert r.json()["status"] == "delivered", r.content
    clock.shift(dt.timedelta(minutes=60))
    nurse = api_client(cw.nurse)
    body = {
        "patient_id": cw.patient.external_id,
        "version": r.json()["version"],
        "identity_checked": True,
        "started_at": T0 + dt.timedelta(minutes=20),
        "ended_at": T0 + dt.timedelta(minutes=50),
        "lot": "A1",
        "dasri_disposed": True,
        "vitals_before": {"TEMP": "36.8"},
        "vitals_after": {"TEMP": "36.9"},
    }
    r = _post(nurse, f"{url}/administration", body)
    assert r.status_code == 201 and r.json()["status"] == "administered", r.content
    body["version"] = r.json()["version"]
    again = _post(nurse, f"{url}/administration", body)
    assert again.status_code == 409 and again.json()["error"] == "transition_refused"
    assert [u["id"] for u in again.json()["unmet"]] == ["already_administered"]
    history = onco.get(url).json()["history"]
    assert [h["event"] for h in history][-1] == "administer"


def test_ok_on_another_patients_cure_is_refused_with_403(cw: CureWorld, api_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    r = _post(
        api_client(cw.oncologist),
        f"/api/v1/cures/{cure.external_id}/ok",
        {"patient_id": cw.other_patient.external_id, "version": cure.version, "kind": "cycle"},
    )
    assert r.status_code == 403 and "autre patient" in r.json()["message"]


def test_errors_speak_the_users_language(cw: CureWorld, api_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    body = _labs(cw, cure)
    body["items"][0]["unit"] = ""  # type: ignore[index]
    r = _post(api_client(cw.idec), f"/api/v1/cures/{cure.external_id}/labs", body)
    assert r.status_code == 422 and "items[0].unit" in r.json()["fields"]
    r = _post(
        api_client(cw.oncologist),
        f"/api/v1/cures/{cure.external_id}/ok",
        {"patient_id": cw.patient.external_id, "version": 99, "kind": "cycle"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_edit"
    assert r.json()["message"].startswith("The cure was changed meanwhile")


def test_a_dose_mismatch_needs_a_confirmation(cw: CureWorld, api_client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "regimen_id": "nivolumab_240mg_q2w",
        "start": TODAY,
        "pharmacy_id": cw.pharmacy.external_id,
        "cycles": 2,
        "first_number": 3,
        "dose_mg": "200",
    }
    r = _post(api_client(cw.oncologist), f"/api/v1/patients/{cw.patient.external_id}/cure-plans", body)
    assert r.status_code == 422 and "confirm_reason" in r.json()["fields"]
    r = _post(
        api_client(cw.oncologist),
        f"/api/v1/patients/{cw.patient.external_id}/cure-plans",
        {**body, "confirm_reason": "RCP du 20/11"},
    )
    assert r.status_code == 201 and r.json()["warnings"][0]["confirmed_reason"] == "RCP du 20/11"


def test_outsiders_get_404_and_wrong_roles_403(cw: CureWorld, api_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    assert api_client(cw.outsider).get(f"/api/v1/cures/{cure.external_id}").status_code == 404
    r = _post(api_client(cw.idec), f"/api/v1/cures/{cure.external_id}/release", {"version": cure.version})
    assert r.status_code == 403


def test_board_regimens_and_openapi(cw: CureWorld, api_client) -> None:  # type: ignore[no-untyped-def]
    cw.plan()
    client = api_client(cw.idec)
    assert any(r["id"] == "cemiplimab_350mg_q3w" for r in client.get("/api/v1/cures/regimens").json())
    board = client.get("/api/v1/cures/board").json()
    assert board[0]["section"] == "labs" and board[0]["patient"] == "MARTIN Jeanne"
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cures/{cure_id}/administration" in schema["paths"]


def test_postponement_says_what_moved(cw: CureWorld, api_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    r = _post(
        api_client(cw.oncologist),
        f"/api/v1/cures/{cure.external_id}/postponement",
        {"version": cure.version, "days": 7, "reason": "Vacances"},
    )
    assert r.status_code == 200 and len(r.json()["changes"]) == 4
    assert r.json()["cure"]["date"] == (TODAY + dt.timedelta(days=7)).isoformat()
    assert Decimal(1)
