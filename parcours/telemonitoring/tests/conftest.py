"""Fixtures of the telemonitoring tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from parcours.core import clock
from parcours.patients.models import Patient
from parcours.telemonitoring import services
from parcours.telemonitoring.models import QuestionnaireResponse, TriageAssessment

# Diarrhoea 16 (frequency only): 3 -> composite 2 (same_day, hold). Shortness of breath 19 at 2 -> red flag.
DIARRHOEA_G2 = {"PROCTCAE_16A_SCL": 3}
DYSPNOEA_RED_FLAG = {"PROCTCAE_19A_SCL": 3, "PROCTCAE_19B_SCL": 3}
ITCH_G1 = {"PROCTCAE_28A_SCL": 1}
NOTHING = {"PROCTCAE_16A_SCL": 0}


@pytest.fixture
def pro_triage(db: None, django_capture_on_commit_callbacks: Any) -> Callable[..., TriageAssessment]:
    """``pro_triage(patient, answers)``: store a response and triage it as the system would."""
    counter = iter(range(1, 10_000))

    def make(patient: Patient, answers: dict[str, Any], actor: Any = None) -> TriageAssessment:
        response = QuestionnaireResponse.objects.create(
            patient=patient,
            questionnaire="pro-ctcae-ici",
            questionnaire_version="1",
            answers=answers,
            submitted_at=clock.now(),
            channel="api",
            submission_key=f"test-{next(counter)}-{patient.pk}",
        )
        with django_capture_on_commit_callbacks(execute=True):  # as after a real commit: notify at once
            return services.triage_record(
                actor=actor, patient=patient, trigger="questionnaire", response=response
            )

    return make
