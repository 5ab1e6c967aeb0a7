"""Browser journey of a home cure: the IDEC sees the board, the oncologist gives the OK, the pharmacist
releases the bag, the nurse records the administration on a phone (390 px), the synthesis is mailed (real
SMTP, captured) and shows on the patient's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from parcours.accounts.models import Convention
from parcours.accounts.responsibilities import default_matrix
from parcours.cures import services
from parcours.cures.models import Cure
from parcours.cures.tests.conftest import CureWorld, lab_items
from parcours.notifications.tests.conftest import SmtpServer
from parcours.web.tests.e2e.test_accessibility import _violations

PASSWORD = "un-mot-de-passe-solide"
START = dt.datetime.combine(timezone.localdate(), dt.time(7, 0), tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_home_cure_from_board_to_synthesis(
    browser: Any, live_server: Any, cw: CureWorld, clock: Any, smtp_server: SmtpServer
) -> None:
    for user in (cw.idec, cw.oncologist, cw.pharmacist, cw.nurse):
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])
    Convention.objects.filter(hospital=cw.hospital, had=cw.had).update(
        responsibilities={**default_matrix(), "ok_day_of_cure": "both"}
    )
    plan = cw.plan(start=timezone.localdate())
    cure = Cure.objects.get(plan=plan, number=5)
    now = timezone.now()
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(now - dt.timedelta(hours=1)))
    services.cure_vitals_record(actor=cw.nurse, cure=cure, values={"TEMP": Decimal("36.6")}, observed_at=now)
    base = live_server.url

    desk = browser.new_context(locale="fr-FR")
    page = desk.new_page()
    _login(page, base, "idec")
    page.goto(f"{base}/cures/aujourdhui/")
    oks = page.get_by_test_id("board-oks")
    assert "MARTIN Jeanne" in oks.inner_text() and "OK du cycle" in oks.inner_text()
    page.screenshot(path="var/e2e-cures-board.png", full_page=True)
    found = {"board": [f"{v['id']}: {v['help']}" for v in _violations(page)]}
    desk.close()

    desk = browser.new_context(locale="fr-FR")
    page = desk.new_page()
    _login(page, base, "onco")
    page.goto(f"{base}/cures/{cure.external_id}/")
    assert "✔ dernier triage sans suspension du traitement" in page.locator("main").inner_text()
    found["cure page"] = [f"{v['id']}: {v['help']}" for v in _violations(page)]
    for kind in ("cycle", "day_of_cure"):
        page.locator("#id_ok-kind").select_option(kind)
        page.get_by_role("button", name="Donner l'OK").click()
        assert "OK enregistré." in page.locator(".messages").inner_text()
    assert page.get_by_test_id("cure-status").inner_text() == "OK donné"
    desk.close()

    desk = browser.new_context(locale="fr-FR")
    page = desk.new_page()
    _login(page, base, "pharma")
    page.goto(f"{base}/cures/aujourdhui/")
    page.get_by_test_id("board-preparations").get_by_role("link", name="Ouvrir").click()
    page.get_by_label("Numéro de lot").fill("PEM-2611-A")
    page.get_by_label("Préparée le").fill(_local(timezone.now()))
    page.get_by_role("button", name="Enregistrer la préparation").click()
    assert "Limite de stabilité" in page.locator("main").inner_text()
    page.get_by_role("button", name="Libérer la poche").click()
    assert page.get_by_test_id("cure-status").inner_text() == "Poche libérée"
    desk.close()

    clock.shift(dt.timedelta(minutes=10))
    services.delivery_pickup(actor=cw.logistician, cure=cure)
    services.cold_chain_record(actor=cw.logistician, cure=cure, temperature_c=Decimal("5.2"))
    clock.shift(dt.timedelta(minutes=20))
    services.delivery_handover(
        actor=cw.logistician, cure=cure, kit_antihistamine=True, kit_adrenaline=True, kit_corticosteroid=True
    )
    clock.shift(dt.timedelta(minutes=45))

    phone = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    _login(page, base, "idehad")
    page.goto(f"{base}/cures/aujourdhui/")
    page.get_by_test_id("board-administrations").get_by_role("link", name="Administrer").click()
    assert "MARTIN Jeanne" in page.get_by_test_id("identity").inner_text()
    page.get_by_label("Identité vérifiée").check()
    page.locator("#id_before_TEMP").fill("36.7")
    page.locator("#id_before_SBP").fill("128")
    page.locator("#id_after_TEMP").fill("36.9")
    now = timezone.now()
    page.get_by_label("Début de la perfusion").fill(_local(now - dt.timedelta(minutes=35)))
    page.get_by_label("Fin de la perfusion").fill(_local(now - dt.timedelta(minutes=2)))
    page.get_by_label("Numéro de lot de la poche").fill("PEM-2611-A")
    page.get_by_label("Tolérance").fill("Bonne tolérance, pas de réaction")
    page.get_by_label("Déchets (DASRI) éliminés").check()
    page.get_by_label("Matériel à reprendre").fill("Pied à perfusion")
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    page.screenshot(path="var/e2e-cures-nurse.png", full_page=True)
    found["nurse page"] = [f"{v['id']}: {v['help']}" for v in _violations(page)]
    page.get_by_role("button", name="Enregistrer l'administration").click()
    assert "Administration enregistrée." in page.locator(".messages").inner_text()
    assert page.get_by_test_id("cure-status").inner_text() == "Administrée"
    phone.close()

    desk = browser.new_context(locale="fr-FR")
    page = desk.new_page()
    _login(page, base, "idec")
    page.goto(f"{base}/cures/syntheses/")
    page.get_by_role("button", name="Produire et envoyer les synthèses").click()
    page.wait_for_selector("[data-testid=syntheses] a", timeout=30_000)
    assert "gp@cabinet.example.org" in page.get_by_test_id("syntheses").inner_text()
    assert {m.rcpt_tos[0] for m in smtp_server.messages} == {"onco@clb.example.org", "gp@cabinet.example.org"}
    page.goto(f"{base}/patients/{cw.patient.external_id}/")
    assert "Synthèse quotidienne des soins" in page.locator("main").inner_text()
    page.goto(f"{base}/cures/syntheses/")
    found["syntheses"] = [f"{v['id']}: {v['help']}" for v in _violations(page)]
    desk.close()
    assert found == {name: [] for name in found}, found
