"""Readiness for home care in tests: record, through the real services, what the ``education_ready`` guard
of ``clb_home_immunotherapy`` v2 (transition ``to_s2``) reads — so that tests exercise the guard itself.

Readiness (``parcours.education.readiness``) needs the HAD eligibility assessed with « souhaite être soigné(e)
à domicile », the IDEL's home assessment (space for the material, access for the teams) and the ETP exit
criterion (every module of the programme's ``exit_criteria`` followed and its quiz passed). The home modules open
in **week 10 of sequence 1** only: start S1 at least :data:`HOME_ETP_OPENS_AFTER` before calling
:func:`make_ready_for_home` (e.g. under ``time_machine.travel(now - HOME_ETP_OPENS_AFTER)``), otherwise the quiz
of a locked module is refused (``ValidationFailed`` naming the unlock rule).

Eligibility, HAD validation and consent of the other ``to_s2`` guards are not recorded here.
"""

from __future__ import annotations

import datetime as dt

from parcours.accounts.models import User
from parcours.learning import services as learning_services
from parcours.learning.content import programme_of
from parcours.patients import services as patient_services
from parcours.patients.models import Patient

# Week 10 of S1 starts on day 63 (weeks count from the first entry in S1).
HOME_ETP_OPENS_AFTER = dt.timedelta(weeks=9)


def pass_exit_modules(patient: Patient, actor: User) -> None:
    """Enrol the patient (if needed) and pass, in programme order, the quiz of every module the ETP exit
    criterion lists (through ``learning.services.quiz_submit``; the module counts as followed)."""
    enrolment = learning_services.enrol(actor=actor, patient=patient)
    programme = programme_of(enrolment.programme)
    needed = {m for ids in programme.exit_criteria.values() for m in ids}
    for module in programme.modules:
        if module.id not in needed:
            continue
        answers = {q.id: sorted(q.correct) for q in module.quiz.questions}
        learning_services.quiz_submit(actor=actor, enrolment=enrolment, module_id=module.id, answers=answers)


def make_ready_for_home(
    patient: Patient,
    actor: User,
    *,
    eligibility: bool = True,
    home: bool = True,
    education: bool = True,
) -> None:
    """Record what readiness for home care needs (each part can be left out to test what is missing).

    ``actor`` needs ``eligibility.assess``, ``readiness.assess`` and ``education.session`` (an IDEC has all
    three). The patient must be in (or past) week 10 of S1 for ``education`` (see the module docstring)."""
    if eligibility:
        patient_services.eligibility_assess(
            actor=actor,
            patient=patient,
            success_factors=["wants_home"],
            risk_factors=[],
            conclusion="eligible",
        )
    if home:
        learning_services.home_assessment_record(
            actor=actor,
            patient=patient,
            space_for_material=True,
            access_for_teams=True,
            caregiver_present=True,
        )
    if education:
        pass_exit_modules(patient, actor)
