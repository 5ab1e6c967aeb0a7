"""Learning pages and API through HTTP: the phone pages behind a secure link (expired link: nothing recorded),
the assignment guard in the UI and the API, the builder, the registry, indicators and PDF sheets."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from parcours.learning import services
from parcours.learning.models import Assignment, QuizAttempt, TrainingRecord
from parcours.learning.tests.conftest import T0, correct_answers, wrong_answers
from parcours.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def issue(world, client, **extra) -> str:
    response = client.post(
        f"/patients/{world.patient.external_id}/education/lien/", {"audience": "patient", "days": 7, **extra}
    )
    assert response.status_code == 200
    match = re.search(r'value="(http://testserver/etp/[^"]+)"', response.content.decode())
    assert match
    return match.group(1).replace("http://testserver", "")


def test_team_page_shows_modules_readiness_and_issues_a_phone_link(world, web_client, enrolment) -> None:
    client = web_client(world.idec)
    page = client.get(f"/patients/{world.patient.external_id}/education/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Comprendre l&#x27;immunothérapie" in body and "Préparation au domicile" in body
    url = issue(world, client)
    assert url.startswith("/etp/")


def test_patient_reads_a_module_answers_the_quiz_and_sees_what_to_revisit(
    world, web_client, enrolment
) -> None:
    url = issue(world, web_client(world.idec))
    home = web_client(world.idel).__class__()  # anonymous phone
    page = home.get(url)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    module = home.get(f"{url}modules/immunotherapy_basics/")
    assert module.status_code == 200 and "<h1>" in module.content.decode()
    answers = wrong_answers(enrolment, "immunotherapy_basics")
    result = home.post(f"{url}modules/immunotherapy_basics/quiz/", answers, follow=True)
    assert result.status_code == 200
    text = result.content.decode()
    assert "À revoir" in text and "0/4" in text
    attempt = QuizAttempt.objects.get()
    assert attempt.entered_by is None and attempt.audience == "patient" and not attempt.passed


def test_locked_module_text_is_not_shown_on_the_phone(world, web_client, enrolment) -> None:
    url = issue(world, web_client(world.idec))
    phone = web_client(world.idel).__class__()
    page = phone.get(f"{url}modules/anti_allergy_kit/")
    assert page.status_code == 200
    assert "Pas encore disponible" in page.content.decode()
    refused = phone.post(
        f"{url}modules/anti_allergy_kit/quiz/", correct_answers(enrolment, "anti_allergy_kit")
    )
    assert refused.status_code == 422
    assert not QuizAttempt.objects.exists()


def test_quiz_answers_after_the_link_expired_get_a_clear_page_and_nothing_is_recorded(
    world, web_client, enrolment, clock
) -> None:
    url = issue(world, web_client(world.idec))
    phone = web_client(world.idel).__class__()
    assert phone.get(f"{url}modules/immunotherapy_basics/quiz/").status_code == 200
    clock.move_to(T0 + dt.timedelta(days=8))
    response = phone.post(
        f"{url}modules/immunotherapy_basics/quiz/", correct_answers(enrolment, "immunotherapy_basics")
    )
    assert response.status_code == 410
    assert "expiré" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_unknown_token_is_refused(world, web_client, db) -> None:
    response = web_client(world.idel).__class__().get("/etp/pas-un-vrai-jeton/")
    assert response.status_code == 404


def test_assignment_of_an_unqualified_nurse_is_refused_in_the_ui_with_the_reason(
    world, web_client, enrolment
) -> None:
    client = web_client(world.idec)
    response = client.post(
        f"/patients/{world.patient.external_id}/education/affectation/",
        {"professional": str(world.idel.external_id), "act": "etp_session", "starts_on": "2025-01-06"},
        follow=True,
    )
    body = response.content.decode()
    assert "Affectation refusée" in body and "absente" in body
    assert not Assignment.objects.exists()


def test_assignment_of_an_unqualified_nurse_is_refused_in_the_api_with_the_reason(
    world, api_client, enrolment
) -> None:
    response = api_client(world.idec).post(
        f"/api/v1/patients/{world.patient.external_id}/assignments",
        {"professional_id": str(world.idel.external_id), "act": "immunotherapy_administration"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert "Affectation refusée" in body["message"] and body["fields"]["professional"]
    assert not Assignment.objects.exists()


def test_api_assigns_a_qualified_nurse_and_reports_the_qualification(world, api_client, enrolment) -> None:
    manager = UserFactory(role="manager", username="formation")
    for course in ("immuno_initiation", "etp_40h"):
        services.training_record_add(
            actor=manager, professional=world.idel, course_id=course, completed_on=dt.date(2024, 10, 1)
        )
    client = api_client(world.idec)
    check = client.get(
        f"/api/v1/professionals/{world.idel.external_id}/qualification?act=immunotherapy_administration&on=2025-01-10"
    )
    assert check.status_code == 200 and check.json()["ok"] is True
    response = client.post(
        f"/api/v1/patients/{world.patient.external_id}/assignments",
        {"professional_id": str(world.idel.external_id), "act": "immunotherapy_administration"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["valid_until"] == "2025-09-30"
    progress = client.get(f"/api/v1/patients/{world.patient.external_id}/education")
    assert progress.status_code == 200 and progress.json()["ready"] is False


def test_builder_creates_edits_and_publishes_a_version(world, web_client, enrolment) -> None:
    client = web_client(world.idec)
    assert client.get("/education/programmes/").status_code == 200
    response = client.post("/education/programmes/nouvelle-version/", {"note": "Relecture"}, follow=True)
    assert response.status_code == 200 and "brouillon" in response.content.decode()
    from parcours.learning.models import ProgrammeVersion

    draft = ProgrammeVersion.objects.get(version=2)
    edit = f"/education/programmes/{draft.external_id}/modules/caregivers/"
    page = client.get(edit)
    assert page.status_code == 200
    text = draft.texts["caregivers.v1.md"] + "\nUn paragraphe ajouté.\n"
    client.post(edit, {"text": text, "lock": draft.lock_version})
    draft.refresh_from_db()
    assert "caregivers.v2.md" in draft.texts
    client.post(f"/education/programmes/{draft.external_id}/publier/")
    draft.refresh_from_db()
    assert draft.status == "published"
    pdf = client.get(f"/education/programmes/{draft.external_id}/modules/caregivers/fiche.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_builder_is_hidden_from_other_roles(world, web_client) -> None:
    assert web_client(world.idel).get("/education/programmes/").status_code == 404


def test_registry_refuses_a_future_certificate_with_a_clear_message(world, web_client, clock) -> None:
    manager = UserFactory(role="manager", username="formation")
    client = web_client(manager)
    response = client.post(
        "/formation/certificats/",
        {"professional": str(world.idel.external_id), "course_id": "etp_40h", "completed_on": "2025-03-01"},
        follow=True,
    )
    assert "est dans le futur" in response.content.decode()
    assert not TrainingRecord.objects.exists()
    ok = client.post(
        "/formation/sessions/",
        {"course_id": "virtual_class", "date": "2024-12-10", "attendees": "idel"},
        follow=True,
    )
    assert ok.status_code == 200
    assert TrainingRecord.objects.filter(professional=world.idel, course_id="virtual_class").exists()
    page = client.get("/formation/")
    assert page.status_code == 200 and "idel" in page.content.decode()
    assert client.get("/education/indicateurs/").status_code == 200


def test_a_module_text_with_html_is_escaped(world, enrolment) -> None:
    from parcours.learning.markdown import render_markdown

    html = render_markdown("# T\n\n<script>alert(1)</script> [x](javascript:alert(1))\n")
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html


def test_the_link_can_also_leave_by_sms_through_the_outbox(world, web_client, enrolment) -> None:
    from parcours.notifications.models import Notification

    world.patient.phone = "06 12 34 56 78"
    world.patient.save()
    issue(world, web_client(world.idec), send_sms="on")
    sms = Notification.objects.get(channel="sms")
    assert sms.to == "+33612345678" and "/etp/" in sms.body


def test_nearby_api_ranks_and_needs_home_coordinates(world, api_client, enrolment) -> None:
    client = api_client(world.idec)
    url = f"/api/v1/patients/{world.patient.external_id}/nearby-professionals?act=etp_session"
    world.patient.latitude = None
    world.patient.save()
    assert client.get(url).status_code == 422
    world.patient.latitude, world.patient.longitude = 45.75, 4.85
    world.patient.save()
    manager = UserFactory(role="manager", username="formation")
    services.profile_set(actor=manager, professional=world.idel, latitude=45.76, longitude=4.84)
    services.training_record_add(
        actor=manager, professional=world.idel, course_id="etp_40h", completed_on=dt.date(2024, 1, 8)
    )
    body = client.get(url).json()
    assert [(b["name"], b["qualified"]) for b in body] == [(str(world.idel.get_full_name()), True)]


def test_expiry_reminders_are_sent_once_per_expiry(world, enrolment, clock) -> None:
    from parcours.notifications.models import Notification

    manager = UserFactory(role="manager", username="formation")
    world.idel.email = "idel@example.org"
    world.idel.save()
    services.training_record_add(
        actor=manager,
        professional=world.idel,
        course_id="immuno_initiation",
        completed_on=dt.date(2024, 2, 15),
    )
    assert services.expiry_reminders_send() == 1
    services.expiry_reminders_send()
    mail = Notification.objects.get(channel="email")
    assert "14/02/2025" in mail.subject


def test_printable_sheets_carry_the_care_team_numbers(world, web_client, enrolment) -> None:
    world.idec.phone = "04 78 00 00 01"
    world.idec.save()
    client = web_client(world.idec)
    pv = enrolment.programme.external_id
    team = client.get(
        f"/education/programmes/{pv}/modules/whom_to_call/fiche.pdf?patient={world.patient.external_id}"
    )
    assert team.status_code == 200 and team.content.startswith(b"%PDF")
    url = issue(world, client)
    phone = web_client(world.idel).__class__()
    assert phone.get(f"{url}modules/immunotherapy_basics/fiche.pdf").content.startswith(b"%PDF")
    assert phone.get(f"{url}modules/anti_allergy_kit/fiche.pdf").status_code == 404
