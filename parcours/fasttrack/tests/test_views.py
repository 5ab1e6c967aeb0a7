"""Pages through HTTP: the public form (spam protection, uploads, htmx check), coordinator pages, exports."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from parcours.accounts.models import User
from parcours.fasttrack import services, views
from parcours.fasttrack.enums import ReferralStatus
from parcours.fasttrack.models import Booking, Referral, ReferralDocument
from parcours.fasttrack.tests.conftest import NOW, PDF, Ft, accepted, make_input, slot

pytestmark = [pytest.mark.django_db]

FORM = {
    "referrer_kind": "gp",
    "referrer_name": "Dr Anne Généraliste",
    "referrer_email": "dr.generaliste@medecin.mssante.fr",
    "referrer_phone": "0472000000",
    "patient_birth_name": "Lefèvre",
    "patient_given_names": "Paul",
    "patient_birth_date": "1950-04-02",
    "patient_sex": "M",
    "patient_phone": "0601020304",
    "first_symptoms_date": "2026-02-10",
    "suspicion": "Ictère indolore.",
    "exams_done": ["ct_tap", "bloods", "markers"],
    "urgency": "urgent",
}


def _started(seconds_ago: float) -> str:
    with time_machine.travel(NOW - dt.timedelta(seconds=seconds_ago), tick=False):
        return views._stamp()


def _post(
    client: Client,
    data: dict[str, Any],
    *,
    files: tuple[tuple[str, bytes], ...] = (),
    ip: str = "198.51.100.1",
    age: float = 30,
) -> Any:
    payload: dict[str, Any] = {**data, "started": _started(age)}
    if files:
        payload["documents"] = [_file(name, content) for name, content in files]
    with time_machine.travel(NOW, tick=False):
        return client.post(reverse("fasttrack:referral_form", args=["pancreas"]), payload, REMOTE_ADDR=ip)


def _file(name: str, content: bytes) -> Any:
    f = io.BytesIO(content)
    f.name = name
    return f


def test_the_public_form_needs_no_login_and_shows_the_commitment(client: Client) -> None:
    page = client.get(reverse("fasttrack:referral_form", args=["pancreas"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "48 heures ouvrées" in text and 'name="website"' in text and "hx-post" in text
    assert client.get(reverse("fasttrack:orientation")).status_code == 200
    assert client.get(reverse("fasttrack:referral_form", args=["unknown"])).status_code == 404


def test_submitting_the_public_form_saves_the_referral_and_shows_the_acknowledgement(client: Client) -> None:
    response = _post(client, FORM, files=(("scanner.pdf", PDF),))
    assert response.status_code == 302
    r = Referral.objects.get()
    assert r.completeness == 100 and r.client_ip == "198.51.100.1"
    assert ReferralDocument.objects.get().filename == "scanner.pdf"
    with time_machine.travel(NOW + dt.timedelta(seconds=2), tick=False):
        ack = client.get(response["Location"])
    assert "48 heures ouvrées" in ack.content.decode() and str(r.external_id) in ack.content.decode()


def test_the_honeypot_answers_success_and_keeps_nothing(client: Client) -> None:
    response = _post(client, {**FORM, "website": "http://spam.example"})
    assert response.status_code == 200 and "Demande envoyée" in response.content.decode()
    assert not Referral.objects.exists()


@pytest.mark.parametrize("age", [0.5, 5 * 3600])
def test_a_form_sent_too_fast_or_too_late_is_refused_without_loss(client: Client, age: float) -> None:
    response = _post(client, FORM, age=age)
    assert response.status_code == 422 and not Referral.objects.exists()
    assert "Lefèvre" in response.content.decode()  # what was typed is shown again


def test_a_forged_timestamp_is_refused(client: Client) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("fasttrack:referral_form", args=["pancreas"]), {**FORM, "started": "123:abc"}
        )
    assert response.status_code == 422 and not Referral.objects.exists()


def test_an_executable_upload_is_refused_and_named(client: Client) -> None:
    response = _post(client, FORM, files=(("compte-rendu.pdf", b"MZ\x90\x00\x03"),))
    assert response.status_code == 422
    assert "compte-rendu.pdf" in response.content.decode() and "PDF, JPEG et PNG" in response.content.decode()
    assert not Referral.objects.exists()


def test_the_per_ip_rate_limit_answers_429(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "RATE_LIMIT_PER_HOUR", 2)
    monkeypatch.setattr(services.throttle_hit, "__kwdefaults__", {"limit": 2})
    for i in range(2):
        assert _post(client, {**FORM, "patient_birth_name": f"P{i}"}).status_code == 302
    assert _post(client, FORM).status_code == 429
    assert _post(client, FORM, ip="198.51.100.2").status_code == 302


def test_the_completeness_check_answers_as_they_type(client: Client) -> None:
    response = client.post(
        reverse("fasttrack:referral_check", args=["pancreas"]),
        {"patient_birth_name": "Lefèvre", "exams_done": ["ct_tap"]},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200 and "Suspicion diagnostique" in text and "Marqueurs tumoraux" in text
    full = client.post(reverse("fasttrack:referral_check", args=["pancreas"]), {**FORM, "n_documents": "1"})
    assert "100 %" in full.content.decode()


def test_the_coordinator_pages_need_the_permission(ft: Ft, web_client: Callable[[User], Client]) -> None:
    r = services.referral_submit(actor=None, data=make_input())
    gp = web_client(ft.gp)
    for name, args in (
        ("queue", []),
        ("referral", [r.external_id]),
        ("availability", []),
        ("rcp", []),
        ("indicators", []),
    ):
        assert gp.get(reverse(f"fasttrack:{name}", args=args)).status_code == 404
    assert Client().get(reverse("fasttrack:queue")).status_code == 302  # login first


def test_the_coordinator_accepts_books_a_day_and_downloads_the_pps(
    ft: Ft, web_client: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    from parcours.fasttrack.tests.conftest import make_input

    with time_machine.travel(NOW, tick=False):
        r = services.referral_submit(actor=None, data=make_input(), documents=[services.Upload("s.pdf", PDF)])
        for s in (
            slot(ft.consult, ft.day, 9, pathway="pancreas"),
            slot(ft.ct, ft.day, 10, pathway="pancreas"),
            slot(ft.mri, ft.day, 11, pathway="pancreas"),
            slot(ft.biopsy, ft.day + dt.timedelta(days=1), 9),
        ):
            assert s.pk
        c = web_client(ft.coordinator)
        queue = c.get(reverse("fasttrack:queue"))
        assert "LEFÈVRE Paul" in queue.content.decode()
        page = c.get(reverse("fasttrack:referral", args=[r.external_id]))
        assert page.status_code == 200 and "Accepter dans le parcours" in page.content.decode()
        c.post(reverse("fasttrack:referral_act", args=[r.external_id, "accept"]), {"version": r.version})
        c.post(
            reverse("fasttrack:referral_act", args=[r.external_id, "day"]),
            {"template": str(ft.template.external_id), "first_day": ft.day.isoformat()},
        )
        assert Booking.objects.filter(referral=r).count() == 4
        r.refresh_from_db()
        assert r.status == ReferralStatus.SCHEDULED
        pps = c.get(reverse("fasttrack:referral_pdf", args=[r.external_id, "pps"]))
        assert pps.status_code == 200 and pps.content.startswith(b"%PDF")
        booklet = c.get(reverse("fasttrack:referral_pdf", args=[r.external_id, "livret"]))
        assert booklet.content.startswith(b"%PDF")
        doc = r.documents.get()
        download = c.get(reverse("fasttrack:document", args=[doc.external_id]))
        assert download.content == PDF and download["X-Content-Type-Options"] == "nosniff"
        # A refused action is told, not crashed.
        again = c.post(reverse("fasttrack:referral_act", args=[r.external_id, "accept"]), follow=True)
        assert "déjà traitée" in again.content.decode()
        screening = c.post(
            reverse("fasttrack:referral_act", args=[r.external_id, "screening"]),
            {"instrument": "distress", "distress_score": "7"},
            follow=True,
        )
        assert "Dépistage enregistré" in screening.content.decode()
        assert c.post(reverse("fasttrack:referral_act", args=[r.external_id, "nope"])).status_code == 404


def test_availability_rcp_and_indicator_pages_and_exports(
    ft: Ft, web_client: Callable[[User], Client]
) -> None:
    with time_machine.travel(NOW, tick=False):
        r = accepted(ft)
        services.rcp_case_create(actor=ft.coordinator, referral=r, meeting_date=ft.day)
        slot(ft.ct, ft.day, 9, pathway="pancreas")
        c = web_client(ft.coordinator)
        page = c.get(reverse("fasttrack:availability"), {"du": NOW.date().isoformat(), "semaines": "8"})
        assert page.status_code == 200 and "Scanner 1" in page.content.decode()
        made = c.post(
            reverse("fasttrack:slots_add"),
            {
                "slots-resource": str(ft.mri.external_id),
                "slots-first_day": ft.day.isoformat(),
                "slots-days": "2",
                "slots-times": "08:00, 9:30",
                "slots-minutes": "30",
                "slots-pathway": "lung",
            },
            follow=True,
        )
        assert "4 créneaux créés" in made.content.decode()
        bad = c.post(
            reverse("fasttrack:slots_add"),
            {
                "slots-resource": str(ft.mri.external_id),
                "slots-first_day": ft.day.isoformat(),
                "slots-days": "2",
                "slots-times": "8 heures",
                "slots-minutes": "30",
            },
            follow=True,
        )
        assert "Heure invalide" in bad.content.decode()
        rcp = c.get(reverse("fasttrack:rcp"))
        assert "dossier incomplet" in rcp.content.decode()
        ind = c.get(reverse("fasttrack:indicators"))
        assert ind.status_code == 200 and "<svg" in ind.content.decode()
        csv = c.get(reverse("fasttrack:indicators_export", args=["csv"]))
        assert csv.content.decode("utf-8-sig").startswith("filiere;mois;demandes")
        assert "pancreas;2026-03;1" in csv.content.decode("utf-8-sig")
        xlsx = c.get(reverse("fasttrack:indicators_export", args=["xlsx"]))
        assert xlsx.content[:2] == b"PK"
        assert c.get(reverse("fasttrack:indicators_export", args=["pdf"])).status_code == 404


def test_the_acknowledgement_token_cannot_be_forged(client: Client) -> None:
    page = client.get(
        reverse("fasttrack:referral_sent", args=["pancreas"]), {"r": signing.dumps("x", salt="other")}
    )
    assert page.status_code == 200 and "Référence" not in page.content.decode()


def test_the_public_form_speaks_english_when_asked(client: Client) -> None:
    client.cookies["django_language"] = "en"
    page = client.get(reverse("fasttrack:referral_form", args=["lung"]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Refer a patient" in text and "within 48 working hours" in text and "Send request" in text


def test_a_coordinator_enters_a_phone_referral_through_the_same_form(
    ft: Ft, web_client: Callable[[User], Client]
) -> None:
    response = _post(web_client(ft.coordinator), FORM)
    assert response.status_code == 302
    r = Referral.objects.get()
    assert r.source == "phone" and r.referrer_user == ft.coordinator
