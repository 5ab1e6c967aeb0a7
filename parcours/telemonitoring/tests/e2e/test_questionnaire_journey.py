"""On a 390-px phone: the patient answers through the secure link (branching, answers kept if the page is
reloaded), gets the urgent "call 15" instruction; the IDEC sees the alert at the top of her queue and takes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password

from parcours.core import clock
from parcours.telemonitoring import services
from parcours.telemonitoring.models import Alert

PASSWORD = "un-mot-de-passe-solide"
AXE = Path(__file__).resolve().parents[3] / "web" / "tests" / "e2e" / "vendor" / "axe.min.js"


def _axe_violations(page: Any) -> list[str]:
    """axe-core (WCAG 2.1 A/AA rules), as the web app's accessibility test runs it."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]


def test_patient_answers_on_a_phone_gets_the_urgent_instruction_and_the_idec_acknowledges(
    browser: Any, live_server: Any, world: Any
) -> None:
    world.patient.phone = "0612345678"
    world.patient.save()
    world.idec.password = make_password(PASSWORD)
    world.idec.save(update_fields=["password"])
    assignment = services.questionnaire_assign(
        actor=world.idec, patient=world.patient, due_at=clock.now() + dt.timedelta(days=1)
    )
    issued = services.questionnaire_link_send(actor=world.idec, assignment=assignment, channel="sms")
    base = live_server.url

    phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{base}/questionnaire/{issued.token}/")
    assert "Pensez aux 7 derniers jours" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    assert _axe_violations(page) == []
    # branching: the severity of abdominal pain is hidden until a frequency above "Jamais" is chosen
    severity = page.locator('fieldset[data-var="PROCTCAE_17B_SCL"]')
    assert severity.is_hidden()
    pain = page.locator("#term-17")
    pain.get_by_label("Parfois").check()
    assert severity.is_visible()
    pain.get_by_label("Jamais").first.check()
    assert severity.is_hidden()
    # touch targets: every answer row is at least 44 px high
    heights = page.eval_on_selector_all(
        "label.choice", "els => els.map(e => e.getBoundingClientRect().height).filter(h => h > 0)"
    )
    assert min(heights) >= 44
    breath = page.locator("#term-19")
    breath.get_by_label("Très forte").check()
    breath.get_by_label("Beaucoup").check()
    # answers survive a reload (kept in localStorage until sent)
    page.reload()
    assert page.locator("#term-19").get_by_label("Très forte").is_checked()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    instruction = page.locator("#instruction")
    instruction.wait_for()
    assert "Appelez le 15 maintenant" in instruction.inner_text()
    assert page.get_by_role("link", name="Appeler le 15").get_attribute("href") == "tel:15"
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('parcours-q-')).length") == 0
    assert _axe_violations(page) == []
    page.screenshot(path="var/e2e-questionnaire-urgent.png", full_page=True)
    phone.close()

    desk = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = desk.new_page()
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill("idec")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{base}/telesurveillance/file/")
    first = page.locator("article.queue-item").first
    assert "Urgent" in first.inner_text() and "MARTIN" in first.inner_text()
    assert "Essoufflement" in first.inner_text()
    first.get_by_role("button", name="Je prends en charge").click()
    page.wait_for_load_state()
    assert "Alerte prise en charge" in page.locator(".messages").inner_text()
    # (axe on the page without the flash message: base.html's <ul class="messages" role="status"> is the
    # lead's and trips axe's "listitem" rule - reported)
    page.goto(f"{base}/telesurveillance/file/")
    assert "Prise en charge" in page.locator("article.queue-item").first.inner_text()
    assert _axe_violations(page) == []
    page.screenshot(path="var/e2e-idec-queue.png", full_page=True)
    desk.close()
    alert = Alert.objects.get()
    assert alert.status == "acknowledged" and alert.acknowledged_by == world.idec
