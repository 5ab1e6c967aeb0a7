"""Facts about a patient that pathway guards read (``had.validated``, ``consent.informed``…).

Each provider is a plain function ``(patient, pathway, now) -> dict``. Later capabilities (cures, labs,
education) plug their own facts in with :func:`register_fact_provider` from their ``AppConfig.ready``,
so their guards use the same mechanism without this module knowing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from parcours.core.clock import now as clock_now
from parcours.pathways.engine import state_facts
from parcours.pathways.models import ChecklistCompletion, PatientPathway
from parcours.patients.enums import ConsentKind, EligibilityConclusion, HadRequestStatus
from parcours.patients.models import Consent, EligibilityAssessment, HadRequest, Patient

FactProvider = Callable[[Patient, PatientPathway | None, dt.datetime], dict[str, object]]
_providers: list[FactProvider] = []


def register_fact_provider(provider: FactProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def base_facts(patient: Patient) -> dict[str, object]:
    """Facts that do not depend on a pathway: computed once per patient and request."""
    facts: dict[str, object] = {
        "referent.oncologist": patient.referring_oncologist_id,
        "gp.named": patient.gp_id is not None,
        "identity.validated": patient.identity_status == "validated",
    }
    statuses = set(HadRequest.objects.filter(patient=patient).values_list("status", flat=True))
    facts["had.requested"] = bool(statuses)
    facts["had.validated"] = HadRequestStatus.VALIDATED in statuses
    consent = (
        Consent.objects.filter(patient=patient, kind=ConsentKind.HAD_INFORMED)
        .order_by("-recorded_at", "-id")
        .values_list("given", flat=True)
        .first()
    )
    facts["consent.informed"] = bool(consent)
    latest = (
        EligibilityAssessment.objects.filter(patient=patient)
        .order_by("-assessed_at", "-id")
        .values_list("assessed_at", "conclusion")
        .first()
    )
    facts["eligibility.assessed"] = latest is not None
    facts["eligibility.eligible"] = latest is not None and latest[1] != EligibilityConclusion.NOT_ELIGIBLE
    facts["eligibility.last_at"] = latest[0] if latest is not None else None
    for step_id in ChecklistCompletion.objects.filter(patient=patient).values_list("step_id", flat=True):
        facts[f"checklist.{step_id}"] = True
    for provider in _providers:
        facts.update(provider(patient, None, clock_now()))
    return facts


def patient_facts(
    *,
    patient: Patient,
    pathway: PatientPathway | None,
    now: dt.datetime,
    base: dict[str, object] | None = None,
) -> dict[str, object]:
    """Every fact the guards of ``pathway`` may read. Pass ``base`` to reuse :func:`base_facts`."""
    facts = dict(base if base is not None else base_facts(patient))
    if pathway is not None:
        facts.update(state_facts(pathway.state_entered_at, now))
        last_at = facts.get("eligibility.last_at")
        # Back in day hospital: a favourable assessment recorded since the patient came back.
        facts["hdj.assessment_favourable"] = bool(
            facts["eligibility.eligible"]
            and isinstance(last_at, dt.datetime)
            and last_at >= pathway.state_entered_at
        )
        for provider in _providers:
            facts.update(provider(patient, pathway, now))
    return facts
