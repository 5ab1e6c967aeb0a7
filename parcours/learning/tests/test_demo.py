"""The learning demo runs on top of a small base demo."""

from __future__ import annotations

import pytest

from parcours.learning import demo, selectors
from parcours.learning.models import (
    Enrolment,
    ModuleProgress,
    ProfessionalQualification,
    ReadinessAssessment,
    TrainingRecord,
)
from parcours.pathways import registry
from parcours.pathways import selectors as pathway_selectors
from parcours.pathways.models import PatientPathway
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

    # S1 patients on v2 (the start version): some ready for home care — S1→S2 allowed —, others refused by the
    # readiness guard only, with the unmet readiness criteria recorded for the education page.
    to_s2: dict[str, list[PatientPathway]] = {"allowed": [], "education_ready": []}
    for pathway in PatientPathway.objects.filter(
        definition_key=registry.CLB_KEY, state="s1", ended_at__isnull=True
    ).select_related("patient"):
        assert pathway.definition_version == 2
        view = next(
            v
            for v in pathway_selectors.pathway_views(patient=pathway.patient, now=selectors.clock.now())
            if v.pathway.pk == pathway.pk
        )
        check = next(c for c, _guards in view.checks if c.transition.id == "to_s2")
        if check.allowed:
            to_s2["allowed"].append(pathway)
        elif [u.id for u in check.unmet] == ["education_ready"]:
            to_s2["education_ready"].append(pathway)
    assert to_s2["allowed"] and to_s2["education_ready"], to_s2
    for pathway in to_s2["allowed"] + to_s2["education_ready"]:
        assert pathway.patient.care_team.filter(user__username="idec").exists()  # the README's IDEC
    blocked = ReadinessAssessment.objects.get(patient=to_s2["education_ready"][0].patient)
    assert not blocked.ready and any(not c["met"] for c in blocked.criteria)
