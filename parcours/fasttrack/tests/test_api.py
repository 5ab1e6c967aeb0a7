"""The JSON API: software referrals (token), queue, booking, availability, indicators."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client

from parcours.accounts.models import User
from parcours.fasttrack.models import Booking, Referral
from parcours.fasttrack.tests.conftest import NOW, PDF, Ft, accepted, slot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]

BODY = {
    "pathway": "lung",
    "urgency": "urgent",
    "referrer_name": "Cabinet de radiologie du Parc",
    "referrer_kind": "radiologist",
    "referrer_email": "radio@parc.mssante.fr",
    "referrer_phone": "0478000000",
    "patient_birth_name": "Martin",
    "patient_given_names": "Louise",
    "patient_birth_date": "1948-09-12",
    "patient_sex": "F",
    "patient_phone": "0611111111",
    "first_symptoms_date": "2026-02-01",
    "suspicion": "Masse pulmonaire lobaire supérieure droite de 4 cm.",
    "exams_done": ["ct_chest", "bloods"],
    "documents": [{"filename": "scanner.pdf", "content_base64": base64.b64encode(PDF).decode()}],
}


def _post(client: Client, url: str, body: object) -> object:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_software_posts_a_referral_with_its_token(ft: Ft, api_client: Callable[[User], Client]) -> None:
    response = _post(api_client(ft.gp), "/api/v1/fasttrack/referrals", BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["completeness"] == 100 and data["answer_hours"] == 48 and data["status"] == "new"
    r = Referral.objects.get()
    assert r.source == "api" and r.referrer_user == ft.gp and r.documents.count() == 1


def test_a_referral_without_token_is_refused(ft: Ft) -> None:
    assert _post(Client(), "/api/v1/fasttrack/referrals", BODY).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient_birth_date": "1948-13-40"}, "patient_birth_date"),
        ({"pathway": "skin"}, "pathway"),
        (
            {"documents": [{"filename": "a.exe", "content_base64": base64.b64encode(b"MZ\x90").decode()}]},
            "documents",
        ),
        ({"documents": [{"filename": "a.pdf", "content_base64": "%%%"}]}, "documents[0].content_base64"),
    ],
)
def test_bad_api_referrals_get_422_naming_the_field(
    ft: Ft, api_client: Callable[[User], Client], change: dict, field: str
) -> None:
    response = _post(api_client(ft.gp), "/api/v1/fasttrack/referrals", {**BODY, **change})
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert not Referral.objects.exists()


def test_the_queue_and_booking_need_coordinator_permissions(
    ft: Ft, api_client: Callable[[User], Client]
) -> None:
    r = accepted(ft)
    s = slot(ft.ct, ft.day, 10)
    gp = api_client(ft.gp)
    assert gp.get("/api/v1/fasttrack/referrals").status_code == 403
    assert (
        _post(
            gp, f"/api/v1/fasttrack/slots/{s.external_id}/book", {"referral": str(r.external_id)}
        ).status_code
        == 403
    )
    coord = api_client(ft.coordinator)
    assert coord.get("/api/v1/fasttrack/referrals").status_code == 200
    assert coord.get(f"/api/v1/fasttrack/referrals/{r.external_id}").json()["status"] == "accepted"
    booked = _post(coord, f"/api/v1/fasttrack/slots/{s.external_id}/book", {"referral": str(r.external_id)})
    assert booked.status_code == 201 and Booking.objects.count() == 1
    again = _post(coord, f"/api/v1/fasttrack/slots/{s.external_id}/book", {"referral": str(r.external_id)})
    assert again.status_code == 409


def test_availability_and_indicators_over_the_api(ft: Ft, api_client: Callable[[User], Client]) -> None:
    slot(ft.ct, ft.day, 10, pathway="lung")
    coord = api_client(ft.coordinator)
    data = coord.get(
        "/api/v1/fasttrack/availability", {"first_day": NOW.date().isoformat(), "weeks": 1}
    ).json()
    ct = next(r for r in data["resources"] if r["kind"] == "ct")
    assert ct["sanctuarised"][data["days"].index(ft.day.isoformat())] == 1 and sum(ct["free"]) == 0
    assert (
        coord.get("/api/v1/fasttrack/availability", {"first_day": "2026-03-02", "weeks": 9}).status_code
        == 422
    )
    accepted(ft)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        ind = coord.get("/api/v1/fasttrack/indicators").json()
    assert ind[0]["pathway"] == "pancreas" and ind[0]["referrals"] == 1
    assert api_client(ft.gp).get("/api/v1/fasttrack/indicators").status_code == 403
