"""Facts about a patient that pathway guards read (``had.validated``, ``consent.informed``…).

Each provider is a plain function ``(patient, pathway, now) -> dict``. Later capabilities (cures, labs,
education) plug their own facts in with :func:`register_fact_provider` from their ``AppConfig.ready``,
so their guards use the same mechanism without this module knowing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from parcours.pathways.engine import state_facts
from parcours.pathways.models import ChecklistCompletion, PatientPathway
from parcours.patients.enums import ConsentKind, EligibilityConclusion, HadRequestStatus
from parcours.patients.models import Consent, EligibilityAssessment, HadRequest, Patient

FactProvider = Callable[[Patient, PatientPathway | None, dt.datetime], dict[str, object]]
_providers: list[FactProvider] = []


def register_fact_provider(provider: FactProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def _core_facts(patient: Patient, pathway: PatientPathway | None, now: dt.datetime) -> dict[str, object]:
    facts: dict[str, object] = {
        "referent.oncologist": patient.referring_oncologist_id,
        "gp.named": patient.gp_id is not None,
        "identity.validated": patient.identity_status == "validated",
        "had.requested": HadRequest.objects.filter(patient=patient).exists(),
        "had.validated": HadRequest.objects.filter(patient=patient, status=HadRequestStatus.VALIDATED).exists(),
    }
    consent = (
        Consent.objects.filter(patient=patient, kind=ConsentKind.HAD_INFORMED).order_by("-recorded_at", "-id").first()
    )
    facts["consent.informed"] = bool(consent and consent.given)
    latest: Any = (
        EligibilityAssessment.objects.filter(patient=patient).order_by("-assessed_at", "-id").first()
    )
    facts["eligibility.assessed"] = latest is not None
    facts["eligibility.eligible"] = latest is not None and latest.conclusion != EligibilityConclusion.NOT_ELIGIBLE
    if pathway is not None:
        facts.update(state_facts(pathway.state_entered_at, now))
        # Back in day hospital: a favourable assessment recorded since the patient came back.
        facts["hdj.assessment_favourable"] = bool(
            latest is not None
            and latest.assessed_at >= pathway.state_entered_at
            and latest.conclusion != EligibilityConclusion.NOT_ELIGIBLE
        )
    for step_id in ChecklistCompletion.objects.filter(patient=patient).values_list("step_id", flat=True):
        facts[f"checklist.{step_id}"] = True
    return facts


def patient_facts(*, patient: Patient, pathway: PatientPathway | None, now: dt.datetime) -> dict[str, object]:
    facts = _core_facts(patient, pathway, now)
    for provider in _providers:
        facts.update(provider(patient, pathway, now))
    return facts
