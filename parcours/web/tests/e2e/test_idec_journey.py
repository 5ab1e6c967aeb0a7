"""IDEC journey: log in, open a patient, try S1→S2 (refused with reasons), complete the guards, succeed.

The patient is on clb_home_immunotherapy v2 (the version new pathways start on): S1→S2 also needs readiness for
home care. Her ETP and the IDEL's home assessment were recorded during S1 (through the learning services); the
IDEC's eligibility assessment (« souhaite être soigné(e) à domicile ») completes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from parcours.accounts.models import Organisation, Role, User
from parcours.pathways.models import ChecklistCompletion, PatientPathway
from parcours.patients.models import CareTeamMembership, HadRequest, Patient
from parcours.testing.readiness import make_ready_for_home

PASSWORD = "un-mot-de-passe-solide"


def _user(username: str, role: str, org: Organisation, first: str, last: str) -> User:
    return User.objects.create(
        username=username,
        password=make_password(PASSWORD),
        first_name=first,
        last_name=last,
        role=Role.objects.get(code=role),
        organisation=org,
    )


@pytest.fixture
def s1_patient(transactional_db: Any) -> dict[str, Any]:
    hospital = Organisation.objects.create(kind="hospital", name="Hôpital Test")
    had = Organisation.objects.create(kind="had", name="HAD Test", service_area=["69"])
    idec = _user("claire.idec", "idec", hospital, "Claire", "Moreau")
    onco = _user("paul.onco", "oncologist", hospital, "Paul", "Girard")
    had_md = _user("ines.had", "had_physician", had, "Inès", "Fabre")
    now = timezone.now()
    patient = Patient.objects.create(
        birth_name="Lambert",
        given_names="Jeanne",
        sex="F",
        birth_date=dt.date(1956, 3, 14),
        postcode="69003",
        city="Lyon",
        hospital=hospital,
        had=had,
        referring_oncologist=onco,
    )
    for user in (idec, onco, had_md):
        CareTeamMembership.objects.create(patient=patient, user=user, since=now)
    PatientPathway.objects.create(
        patient=patient,
        definition_key="clb_home_immunotherapy",
        definition_version=2,
        state="s1",
        state_entered_at=now - dt.timedelta(days=170),
        started_at=now - dt.timedelta(days=180),
    )
    ChecklistCompletion.objects.create(
        patient=patient,
        definition_key="had_admission",
        step_id="eligibility_identified",
        done_at=now,
        done_by=idec,
    )
    HadRequest.objects.create(
        patient=patient, had=had, requested_by=onco, requested_at=now, motive="Poursuite à domicile"
    )
    make_ready_for_home(patient, idec, eligibility=False)  # ETP passed and home assessed during S1
    return {"patient": patient}


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_idec_moves_patient_from_s1_to_s2_once_guards_are_met(
    browser: Any, live_server: Any, s1_patient: dict[str, Any]
) -> None:
    base = live_server.url
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    _login(page, base, "claire.idec")
    page.get_by_role("link", name="LAMBERT Jeanne").click()
    assert page.get_by_test_id("pathway-state-clb_home_immunotherapy").inner_text().startswith("Séquence 1")

    # 1. Try S1 → S2: refused, and the unmet conditions are listed.
    transition = page.locator("[data-transition=to_s2]")
    transition.get_by_role("button").click()
    alert = page.locator(".messages .error")
    assert "conditions non remplies" in alert.inner_text()
    for missing in (
        "Faisabilité HAD validée",
        "Consentement éclairé",
        "Éligibilité à l'HAD évaluée",
        "Prêt(e) pour le domicile",  # readiness reads the eligibility: she must wish home care
    ):
        assert missing in alert.inner_text()
    assert "Séquence 1" in page.get_by_test_id("pathway-state-clb_home_immunotherapy").inner_text()

    # 2. The IDEC records the informed consent and assesses eligibility.
    page.get_by_text("Enregistrer un consentement").click()
    page.get_by_role("combobox", name="Consentement", exact=True).select_option("had_informed")
    page.get_by_role("combobox", name="Décision").select_option("1")
    page.locator("#consentements").get_by_role("button", name="Enregistrer").click()
    assert "Consentement enregistré" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="Évaluer l'éligibilité").click()
    page.get_by_label("Entouré(e) (aidant)").check()
    page.get_by_label("Souhaite être soigné(e) à domicile").check()
    page.get_by_label("Logement adapté (place, accès équipes et livraisons)").check()
    page.get_by_role("combobox", name="Conclusion").select_option("eligible")
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    assert "Évaluation enregistrée" in page.locator(".messages").inner_text()

    # 3. The HAD physician validates feasibility (her own session).
    had_context = browser.new_context(locale="fr-FR")
    had_page = had_context.new_page()
    _login(had_page, base, "ines.had")
    had_page.get_by_role("link", name="LAMBERT Jeanne").click()
    had_page.get_by_role("button", name="Valider la faisabilité").click()
    assert "Décision enregistrée" in had_page.locator(".messages").inner_text()
    had_context.close()

    # 4. Back to the IDEC: the transition is now allowed and succeeds.
    page.reload()
    assert "conditions remplies" in page.locator("[data-transition=to_s2]").inner_text()
    page.locator("[data-transition=to_s2]").get_by_role("button").click()
    assert "Parcours mis à jour" in page.locator(".messages").inner_text()
    assert "Séquence 2" in page.get_by_test_id("pathway-state-clb_home_immunotherapy").inner_text()
    timeline = page.locator("#chronologie").inner_text()
    assert "Séquence 1 — initiation en hôpital de jour → Séquence 2" in timeline
    assert "Claire Moreau" in timeline
    page.screenshot(path="var/e2e-idec-s2.png", full_page=True)
    context.close()
