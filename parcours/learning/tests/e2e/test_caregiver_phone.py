"""Browser: a caregiver follows a module and its quiz on a phone (390 px) through her link; the IDEC then
sees the progress on the patient's education page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from parcours.learning import services
from parcours.learning.content import programme_of
from parcours.pathways.models import PatientPathway
from parcours.patients.models import Caregiver

PASSWORD = "un-mot-de-passe-solide"
AXE = Path(__file__).resolve().parents[3] / "web" / "tests" / "e2e" / "vendor" / "axe.min.js"


def _violations(page: Any) -> list[str]:
    """Serious or critical WCAG 2.1 AA violations found by axe-core on the current page."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [v["id"] for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def test_caregiver_completes_a_module_and_quiz_on_a_phone_and_the_idec_sees_it(
    browser: Any, live_server: Any, world: Any
) -> None:
    world.idec.password = make_password(PASSWORD)
    world.idec.save(update_fields=["password"])
    PatientPathway.objects.create(
        patient=world.patient,
        definition_key="clb_home_immunotherapy",
        definition_version=2,
        state="s1",
        state_entered_at=timezone.now(),
        started_at=timezone.now(),
    )
    carer = Caregiver.objects.create(
        patient=world.patient,
        name="Paul Martin",
        relationship="conjoint",
        phone="0612345678",
        is_primary=True,
    )
    enrolment = services.enrol(actor=world.idec, patient=world.patient)
    issued = services.education_link_issue(
        actor=world.idec, patient=world.patient, audience="caregiver", caregiver_id=str(carer.external_id)
    )
    module = programme_of(enrolment.programme).module("immunotherapy_basics")
    base = live_server.url

    phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{base}/etp/{issued.token}/")
    assert page.get_by_role("heading", name="Modules pour les aidants").count() == 1
    assert "0 module(s) suivi(s) sur 7" in page.get_by_test_id("phone-progress").inner_text()
    page.get_by_role("link", name="Comprendre l'immunothérapie").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Comprendre")
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    assert _violations(page) == []
    page.get_by_role("link", name="Répondre au quiz").click()
    assert _violations(page) == []
    for question in module.quiz.questions:
        for choice in sorted(question.correct):
            page.check(f'input[name="{question.id}"][value="{choice}"]')
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    score = page.get_by_test_id("quiz-score").inner_text()
    assert "4/4" in score and "acquis" in score
    assert page.get_by_role("heading", name="Ce que vous avez compris").count() == 1
    page.screenshot(path="var/e2e-etp-caregiver-phone.png", full_page=True)
    page.get_by_role("link", name="Retour à mes modules").click()
    assert "1 module(s) suivi(s) sur 7" in page.get_by_test_id("phone-progress").inner_text()
    phone.close()

    desk = browser.new_context(locale="fr-FR")
    page = desk.new_page()
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill("idec")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{base}/patients/{world.patient.external_id}/education/")
    progress = page.get_by_test_id("etp-progress").inner_text()
    assert "1 module(s) suivi(s) sur 7, 1 quiz réussi(s)" in progress
    row = page.locator("tr[data-module=immunotherapy_basics]").inner_text()
    assert "suivi" in row and "Aidant" in row and "4/4" in row
    assert _violations(page) == []
    page.screenshot(path="var/e2e-etp-idec-progress.png", full_page=True)
    for url in ("/education/programmes/", "/formation/", "/education/indicateurs/"):
        page.goto(f"{base}{url}")
        assert page.get_by_role("heading", level=1).count() == 1
        assert _violations(page) == [], url
    desk.close()
