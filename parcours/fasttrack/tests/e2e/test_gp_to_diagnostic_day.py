"""Browser journey: a GP submits the public form (with a report), the coordinator accepts the request and books
a diagnostic day on the pathway's sanctuarised slots, and the GP's notification leaves through the outbox."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from parcours.accounts.models import Role, User
from parcours.fasttrack.models import Booking, DayTemplate, Referral, Resource, Slot
from parcours.notifications.models import Notification

PASSWORD = "un-mot-de-passe-solide"
AXE = Path(__file__).resolve().parents[3] / "web" / "tests" / "e2e" / "vendor" / "axe.min.js"


def _violations(page: Any) -> list[str]:
    """Serious or critical WCAG 2.1 AA violations found by axe-core (as the web app's accessibility test)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [f"{v['id']}: {v['help']}" for v in result["violations"] if v["impact"] in {"serious", "critical"}]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _next_weekday(after_days: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    while day.weekday() >= 4:  # Monday–Thursday, so that day 2 is a weekday too
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def setting(transactional_db: Any) -> dict[str, Any]:
    coordinator = User.objects.create(
        username="ines.coord",
        password=make_password(PASSWORD),
        first_name="Inès",
        last_name="Coord",
        role=Role.objects.get(code="idec"),
    )
    day = _next_weekday(4)
    tz = timezone.get_current_timezone()
    slots = []
    for kind, name, hour, offset in (
        ("consult_onco", "Consultation oncologie", 9, 0),
        ("ct", "Scanner 1", 10, 0),
        ("mri", "IRM 1", 11, 0),
        ("biopsy", "Biopsie", 9, 1),
    ):
        resource = Resource.objects.create(name=name, kind=kind)
        start = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(hour), tzinfo=tz)
        # A shared slot earlier the same day must not be preferred to the sanctuarised one.
        Slot.objects.create(
            resource=resource,
            day=start.date(),
            start=start - dt.timedelta(hours=1),
            end=start - dt.timedelta(minutes=15),
        )
        slots.append(
            Slot.objects.create(
                resource=resource,
                start=start,
                day=start.date(),
                end=start + dt.timedelta(minutes=45),
                pathway="pancreas",
            )
        )
    DayTemplate.objects.create(
        name="Journée diagnostique pancréas",
        pathway="pancreas",
        steps=[
            {"day": 1, "kind": "consult_onco"},
            {"day": 1, "kind": "ct"},
            {"day": 1, "kind": "mri"},
            {"day": 2, "kind": "biopsy"},
        ],
    )
    return {"coordinator": coordinator, "day": day, "slots": slots}


def test_gp_refers_and_coordinator_books_a_diagnostic_day(
    browser: Any, live_server: Any, setting: dict[str, Any], tmp_path: Any
) -> None:
    base = live_server.url
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    # 1. The GP, without an account, fills in the public form.
    page.goto(f"{base}/orientation/")
    page.get_by_role("link", name="Pancréas et voies biliaires").click()
    assert "48 heures ouvrées" in page.locator("main").inner_text()
    found = {"form": _violations(page)}
    page.get_by_label("Votre nom").fill("Dr Anne Généraliste")
    page.get_by_label("Votre courriel (messagerie sécurisée de préférence)").fill(
        "dr.generaliste@medecin.mssante.fr"
    )
    page.get_by_label("Votre téléphone").fill("0472000000")
    page.get_by_label("Nom de naissance du patient").fill("Lefèvre")
    page.get_by_label("Prénom(s) du patient").fill("Paul")
    page.get_by_label("Date de naissance du patient").fill("1950-04-02")
    page.get_by_label("Sexe du patient").select_option("M")
    page.get_by_label("Téléphone du patient").fill("0601020304")
    page.get_by_label("Suspicion diagnostique et signes cliniques").fill(
        "Ictère indolore, masse de la tête du pancréas."
    )
    # Completeness is checked as they type (htmx).
    page.wait_for_function(
        "document.querySelector('#completude').innerText.includes('Date des premiers symptômes')"
    )
    page.get_by_label("Date des premiers symptômes").fill("2026-02-10")
    for exam in (
        "Scanner thoraco-abdomino-pelvien",
        "Bilan biologique récent",
        "Marqueurs tumoraux (CA 19-9, AFP…)",
    ):
        page.get_by_label(exam).check()
    report = tmp_path / "scanner.pdf"
    report.write_bytes(PDF)
    page.get_by_label(re.compile("Comptes rendus")).set_input_files(str(report))
    page.get_by_label("Urgence").select_option("urgent")
    page.wait_for_function("document.querySelector('#completude').innerText.includes('100 %')")
    page.wait_for_timeout(3200)  # a person takes longer than the anti-robot minimum
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_selector("text=Demande envoyée")
    assert "48 heures ouvrées" in page.locator("main").inner_text()
    referral = Referral.objects.get()
    assert referral.completeness == 100 and referral.documents.count() == 1
    page.screenshot(path="var/e2e-fasttrack-referral.png", full_page=True)

    # 2. The coordinator sees it first in her queue, accepts it and books the diagnostic day.
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill("ines.coord")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{base}/parcours-rapide/")
    found["queue"] = _violations(page)
    page.get_by_role("link", name="LEFÈVRE Paul").click()
    page.get_by_role("button", name="Accepter dans le parcours").click()
    assert "Demande acceptée" in page.locator(".messages").inner_text()
    page.get_by_label("Modèle de journée").select_option(label="Journée diagnostique pancréas")
    page.get_by_label("Premier jour").fill(setting["day"].isoformat())
    page.get_by_role("button", name="Réserver la journée diagnostique").click()
    assert "Journée diagnostique réservée" in page.locator(".messages").inner_text()
    assert page.locator("#day tbody tr").count() == 4
    found["referral"] = _violations(page)
    for name, path in (("availability", "disponibilites/"), ("rcp", "rcp/"), ("indicators", "indicateurs/")):
        page.goto(f"{base}/parcours-rapide/{path}")
        found[name] = _violations(page)
    assert not any(found.values()), found
    page.screenshot(path="var/e2e-fasttrack-day.png", full_page=True)
    context.close()

    booked = set(
        Booking.objects.filter(referral=referral, cancelled_at__isnull=True).values_list("slot_id", flat=True)
    )
    assert booked == {s.pk for s in setting["slots"]}  # the sanctuarised ones
    # 3. The GP's notification (appointments) has been sent by the outbox.
    note = Notification.objects.get(
        to="dr.generaliste@medecin.mssante.fr", subject__startswith="Rendez-vous programmés"
    )
    assert note.status == "sent"
    sent = [m for m in mail.outbox if m.subject.startswith("Rendez-vous programmés")]
    assert sent and "Scanner" in sent[0].body and sent[0].to == ["dr.generaliste@medecin.mssante.fr"]
