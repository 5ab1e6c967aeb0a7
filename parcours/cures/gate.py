"""Fact providers of the pre-infusion OK gate: clinical observations, telemonitoring status, convention, place.

Each provider is one small function so tests (and a missing app) can replace it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Literal

from django.conf import settings
from django.utils import timezone

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import User
from parcours.accounts.selectors import convention_between
from parcours.clinical.selectors import observations_for
from parcours.patients.models import Patient
from parcours.treatments.ok_gate import (
    DEFAULT_LAB_CHECKLIST,
    Convention,
    LabResult,
    OkInputs,
    TriageSummary,
)

HOME_STATES = frozenset({"s2", "s3"})
TSH_WINDOW = dt.timedelta(days=43)


def telemonitoring_status(patient: Patient) -> tuple[TriageSummary | None, tuple[str, ...], bool, str]:
    """(latest triage, open alert levels, hold open, hold reason) from ``telemonitoring.selectors.gate_status``."""
    from parcours.telemonitoring.selectors import gate_status

    status = gate_status(patient)
    return status.latest_triage, tuple(status.open_alert_levels), status.hold_open, status.hold_reason


def place_of_care(patient: Patient) -> Literal["hdj", "home"]:
    """Home in sequences 2 and 3 of the CLB home-immunotherapy pathway; day hospital otherwise."""
    from parcours.pathways.selectors import clb_states

    state = clb_states(patient_ids=[patient.pk]).get(patient.pk)
    return "home" if state is not None and state[0] in HOME_STATES else "hdj"


def convention_for(patient: Patient) -> Convention:
    """Who gives each OK under the hospital–HAD agreement (CHU Limoges default when there is none)."""
    return convention_between_ids(hospital_id=patient.hospital_id, had_id=patient.had_id)


def convention_between_ids(*, hospital_id: int | None, had_id: int | None) -> Convention:
    """``convention_for`` from the two organisations' ids (the board reads them without the patient)."""
    row = convention_between(hospital_id=hospital_id, had_id=had_id)
    if row is None:
        return Convention()
    matrix = row.responsibilities or {}
    return Convention(
        ok_cycle=matrix.get("ok_cycle", "hospital"),
        ok_day_of_cure=matrix.get("ok_day_of_cure", "had"),
        delegation_allowed=bool(matrix.get("ok_delegation", False)),
    )


def party_of(user: User) -> Literal["hospital", "had"] | None:
    org = user.organisation
    if org is None:
        return None
    if org.kind == OrganisationKind.HOSPITAL:
        return "hospital"
    if org.kind == OrganisationKind.HAD:
        return "had"
    return None


def ok_inputs(*, patient: Patient, planned_start: dt.datetime) -> tuple[OkInputs, bool, str]:
    """The gate's inputs for a cure starting at ``planned_start``; also (hold open, hold reason)."""
    codes = [item.code for item in DEFAULT_LAB_CHECKLIST]
    labs = [
        LabResult(
            code=o.code, value=o.value, unit=o.unit, sampled_at=o.observed_at, lower=o.lower, upper=o.upper
        )
        for o in observations_for(patient, kind="lab", codes=codes, since=planned_start - TSH_WINDOW)
    ]
    day_start = timezone.localtime(planned_start).replace(hour=0, minute=0, second=0, microsecond=0)
    vital = observations_for(patient, kind="vital", since=day_start).first()
    triage, levels, hold_open, hold_reason = telemonitoring_status(patient)
    inputs = OkInputs(
        planned_start=planned_start,
        labs=labs,
        latest_triage=triage,
        open_alert_levels=levels,
        vitals_recorded_at=vital.observed_at if vital is not None else None,
    )
    return inputs, hold_open, hold_reason


def qualified_for_administration(user: User, on: dt.date) -> tuple[bool, str] | None:
    """``(ok, reason)`` from the training registry (``learning.selectors.qualification_check``), or None when
    the check is not required (setting ``PARCOURS_CURES_REQUIRE_QUALIFICATION``, off by default until every
    demo and production nurse has her training records) or not available."""
    if not getattr(settings, "PARCOURS_CURES_REQUIRE_QUALIFICATION", False):
        return None
    try:
        selectors = importlib.import_module("parcours.learning.selectors")
    except ImportError:
        return None
    check = getattr(selectors, "qualification_check", None)
    if check is None:
        return None
    ok, reason = check(user=user, act="immunotherapy_administration", on=on)
    return bool(ok), str(reason)
