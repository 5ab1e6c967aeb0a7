"""The learning demo runs on top of a small base demo."""

from __future__ import annotations

import pytest

from parcours.learning import demo, selectors
from parcours.learning.models import Enrolment, ModuleProgress, ProfessionalQualification, TrainingRecord
from parcours.web import demo as base_demo

pytestmark = pytest.mark.django_db


def test_demo_adds_programme_progress_and_training_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base_demo, "APP_DEMOS", ())
    base_demo.load_demo(patients=30, plan_days=0, seed=7)
    messages: list[str] = []
    demo.load_demo(seed=7, progress=messages.append)
    assert Enrolment.objects.exists() and ModuleProgress.objects.exists()
    assert TrainingRecord.objects.filter(professional__username="idel").count() >= 3
    ok, reason = selectors.qualification_check(
        user=TrainingRecord.objects.filter(professional__username="idel").first().professional,
        act="immunotherapy_administration",
        on=selectors.clock.today(),
    )
    assert ok, reason
    assert ProfessionalQualification.objects.filter(valid_until__lt=selectors.clock.today()).exists()
    assert selectors.indicators().virtual_classes_per_year
    assert messages
