"""Planner journey: open the day plan, compute the rounds, see the routes; the nurse sees her round on a phone."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password

PASSWORD = "un-mot-de-passe-solide"


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_planner_computes_the_rounds_and_the_nurse_sees_hers(
    browser: Any, live_server: Any, day: Any
) -> None:
    for user in (day.planner, day.nurses[0]):
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])
    base = live_server.url
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _login(page, base, "planif")
    page.get_by_role("link", name="Tournées").click()
    page.get_by_role("link", name="Lendemain »").click()
    assert "5 visites à faire · 2 avec poche à retirer en PUI · 2 infirmier(ère)s disponibles" in " ".join(
        page.locator("#calcul").inner_text().split()
    )
    page.get_by_label("Durée de calcul").select_option("10")
    page.get_by_role("button", name="Calculer les tournées").click()
    page.wait_for_selector("#plan", timeout=60_000)
    summary = page.locator("#plan").inner_text()
    assert "5 visites placées" in summary and "0 non placées" in summary
    assert page.locator("#plan svg polyline").count() == 2
    assert "Anne Un" in summary
    page.screenshot(path="var/e2e-planner.png", full_page=True)
    context.close()

    phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    _login(page, base, "ide1")
    page.get_by_role("link", name="Ma tournée").click()
    page.goto(f"{base}/ma-tournee/?date={day.date.isoformat()}")
    assert "Retrait des poches" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="S'abonner à ma tournée dans mon agenda (iCalendar)").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    page.screenshot(path="var/e2e-nurse-round.png", full_page=True)
    phone.close()
