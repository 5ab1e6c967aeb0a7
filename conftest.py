"""Shared pytest fixtures: a small world of organisations, professionals and patients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from parcours.accounts.models import Organisation, User
from parcours.accounts.services import api_token_create
from parcours.patients.models import Patient
from parcours.testing.factories import OrganisationFactory, PatientFactory, UserFactory, add_member


@dataclass
class World:
    hospital: Organisation
    had: Organisation
    other_had: Organisation
    idec: User
    oncologist: User
    had_physician: User
    other_had_physician: User
    idel: User
    privacy_officer: User
    outsider: User  # an IDEC of another care team
    patient: Patient  # in the care team of idec, oncologist, had_physician and idel
    other_patient: Patient  # only in the outsider's care team


@pytest.fixture
def world(db: None) -> World:
    hospital = OrganisationFactory(name="Centre Léon Bérard")
    had = OrganisationFactory(had=True, name="HAD Soins et Santé", service_area=["69"])
    other_had = OrganisationFactory(had=True, name="HAD de l'Ain", service_area=["01"])
    idec = UserFactory(
        role="idec", organisation=hospital, username="idec", first_name="Inès", last_name="Coord"
    )
    oncologist = UserFactory(role="oncologist", organisation=hospital, username="onco")
    had_physician = UserFactory(role="had_physician", organisation=had, username="medhad")
    other_had_physician = UserFactory(role="had_physician", organisation=other_had, username="medain")
    idel = UserFactory(role="idel", username="idel")
    privacy_officer = UserFactory(role="privacy_officer", organisation=hospital, username="dpo")
    outsider = UserFactory(role="idec", organisation=hospital, username="autre_idec")
    patient = PatientFactory(birth_name="MARTIN", given_names="Jeanne", hospital=hospital, had=had)
    for member in (idec, oncologist, had_physician, idel):
        add_member(patient, member)
    other_patient = PatientFactory(birth_name="BERNARD", given_names="Paul", hospital=hospital)
    add_member(other_patient, outsider)
    return World(
        hospital=hospital,
        had=had,
        other_had=other_had,
        idec=idec,
        oncologist=oncologist,
        had_physician=had_physician,
        other_had_physician=other_had_physician,
        idel=idel,
        privacy_officer=privacy_officer,
        outsider=outsider,
        patient=patient,
        other_patient=other_patient,
    )


@pytest.fixture
def api_client(db: None) -> Callable[[User], Client]:
    """``api_client(user)``: a test client sending that user's fresh bearer token on every request."""

    def make(user: User) -> Client:
        _token, key = api_token_create(user=user, label="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return make


@pytest.fixture
def web_client(db: None) -> Callable[[User], Client]:
    """``web_client(user)``: a test client with a logged-in session for that user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


# ---- browser tests: Debian's Chromium driven by Playwright (never `playwright install`) ----
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run `make chromium` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _roles_back_after_flush(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush every table, data migrations included: put the roles back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional_mark = marker is not None and bool(marker.kwargs.get("transaction"))
    if (
        transactional_mark
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    ):
        request.getfixturevalue("transactional_db")
        from parcours.accounts.services import roles_sync

        roles_sync()
