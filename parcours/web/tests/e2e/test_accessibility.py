"""Accessibility (RGAA / WCAG 2.1 AA): axe-core 4.14 run in Chromium on the main pages of each role."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from parcours.accounts.models import Organisation, Role, User
from parcours.pathways.models import PatientPathway
from parcours.patients.models import CareTeamMembership, Patient

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def people(transactional_db: Any) -> dict[str, Any]:
    hospital = Organisation.objects.create(kind="hospital", name="Hôpital Test")
    had = Organisation.objects.create(kind="had", name="HAD Test", service_area=["69"])
    users = {}
    for username, role, org in (("idec", "idec", hospital), ("dpo", "privacy_officer", hospital)):
        users[username] = User.objects.create(
            username=username,
            password=make_password(PASSWORD),
            first_name="Camille",
            last_name=username.upper(),
            role=Role.objects.get(code=role),
            organisation=org,
        )
    patient = Patient.objects.create(
        birth_name="Lambert",
        given_names="Jeanne",
        sex="F",
        birth_date=dt.date(1956, 3, 14),
        hospital=hospital,
        had=had,
    )
    CareTeamMembership.objects.create(patient=patient, user=users["idec"], since=timezone.now())
    PatientPathway.objects.create(
        patient=patient,
        definition_key="clb_home_immunotherapy",
        definition_version=1,
        state="s1",
        state_entered_at=timezone.now(),
        started_at=timezone.now(),
    )
    return {"patient": patient}


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_main_pages_have_no_serious_accessibility_violations(
    browser: Any, live_server: Any, people: dict[str, Any]
) -> None:
    base = live_server.url
    pid = people["patient"].external_id
    found: dict[str, list[str]] = {}
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base}/connexion/")
    found["login"] = [v["id"] for v in _violations(page)]
    _login(page, base, "idec")
    for name, url in (
        ("my patients", "/patients/"),
        ("patient page", f"/patients/{pid}/"),
        ("identity form", f"/patients/{pid}/modifier/"),
        ("eligibility form", f"/patients/{pid}/eligibilite/"),
        ("new patient", "/patients/nouveau/"),
    ):
        page.goto(base + url)
        found[name] = [f"{v['id']}: {v['help']}" for v in _violations(page)]
    context.close()
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _login(page, base, "dpo")
    page.goto(f"{base}/journal/?q=Lambert")
    found["access log"] = [f"{v['id']}: {v['help']}" for v in _violations(page)]
    context.close()
    assert all(not v for v in found.values()), json.dumps(found, ensure_ascii=False, indent=1)
