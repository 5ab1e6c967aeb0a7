"""Fixtures of the learning tests: a patient on the v2 pathway in S1, and helpers to pass modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from parcours.learning import services
from parcours.learning.content import programme_of
from parcours.learning.models import Enrolment
from parcours.pathways import registry
from parcours.pathways import services as pathway_services
from parcours.pathways.models import PatientPathway
from parcours.patients import services as patient_services

CLB = registry.CLB_KEY
T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)


def correct_answers(enrolment: Enrolment, module_id: str) -> dict[str, list[str]]:
    module = programme_of(enrolment.programme).module(module_id)
    return {q.id: sorted(q.correct) for q in module.quiz.questions}


def wrong_answers(enrolment: Enrolment, module_id: str) -> dict[str, list[str]]:
    module = programme_of(enrolment.programme).module(module_id)
    out: dict[str, list[str]] = {}
    for q in module.quiz.questions:
        wrong = [c.id for c in q.choices if c.id not in q.correct]
        out[q.id] = wrong[:1]
    return out


def ready_for_s1(world: Any) -> None:
    pathway_services.checklist_set(
        actor=world.idec,
        patient=world.patient,
        definition_key=registry.ADMISSION_KEY,
        step_id="eligibility_identified",
        done=True,
    )
    world.patient.referring_oncologist = world.oncologist
    world.patient.save()


def had_ready(world: Any, *, risk: list[str] | None = None) -> None:
    req = patient_services.had_request_create(
        actor=world.oncologist, patient=world.patient, had=world.had, motive="Immunothérapie à domicile"
    )
    patient_services.had_request_decide(
        actor=world.had_physician, patient=world.patient, request_id=str(req.external_id), validate=True
    )
    patient_services.consent_record(actor=world.idec, patient=world.patient, kind="had_informed", given=True)
    patient_services.eligibility_assess(
        actor=world.idec,
        patient=world.patient,
        success_factors=["wants_home", "morale"],
        risk_factors=risk or [],
        conclusion="eligible",
    )


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def in_s1(world: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> PatientPathway:
    """The world patient on clb_home_immunotherapy v2 (education guard), in S1 since T0."""
    monkeypatch.setitem(registry.START_VERSIONS, CLB, 2)  # the current start version, pinned for these tests
    pathway_services.pathway_start(actor=world.idec, patient=world.patient, definition_key=CLB)
    ready_for_s1(world)
    return pathway_services.pathway_transition(
        actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="start_s1"
    )


@pytest.fixture
def enrolment(world: Any, in_s1: PatientPathway) -> Enrolment:
    return services.enrol(actor=world.idec, patient=world.patient)
