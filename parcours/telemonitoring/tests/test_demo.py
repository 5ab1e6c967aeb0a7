"""The telemonitoring demo runs on top of a small base demo."""

from __future__ import annotations

from typing import Any

import pytest

from parcours.telemonitoring import demo
from parcours.telemonitoring.models import Alert, MonitoringPlan, QuestionnaireResponse, TriageAssessment
from parcours.web import demo as base_demo

pytestmark = pytest.mark.django_db


def test_demo_adds_plans_questionnaires_triages_and_open_alerts(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(base_demo, "APP_DEMOS", ())
    base_demo.load_demo(patients=30, plan_days=0, seed=7)
    messages: list[str] = []
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the lab hook runs after commit, as in a real load
        demo.load_demo(seed=7, progress=messages.append, limit=6)
    assert MonitoringPlan.objects.count() == 6
    assert QuestionnaireResponse.objects.filter(channel="link").exists()
    assert QuestionnaireResponse.objects.filter(channel="proxy").exists()
    assert TriageAssessment.objects.filter(trigger="observations").exists()
    assert Alert.objects.filter(status="closed").exists()
    assert set(Alert.objects.exclude(status="closed").values_list("level", flat=True)) >= {
        "urgent",
        "same_day",
    }
    assert messages and "open alerts" in messages[-1]
