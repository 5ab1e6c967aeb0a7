"""Pathway services: start, guarded transitions (every unmet condition listed), timers, checklist.

New pathways start on clb_home_immunotherapy v2: S1→S2 also needs readiness for home care (``education_ready``),
recorded through the learning services by ``parcours.testing.readiness.make_ready_for_home``."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from parcours.audit.models import AuditEvent
from parcours.core.errors import Conflict, Forbidden, NotFound, StaleEdit, TransitionRefused, ValidationFailed
from parcours.pathways import registry, services
from parcours.pathways.models import ChecklistCompletion, PathwayTransitionLog, PatientPathway
from parcours.patients import services as patient_services
from parcours.patients.models import TimelineEvent
from parcours.testing.readiness import HOME_ETP_OPENS_AFTER, make_ready_for_home

pytestmark = pytest.mark.django_db

CLB = registry.CLB_KEY
T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)


def start(world) -> PatientPathway:
    return services.pathway_start(actor=world.idec, patient=world.patient, definition_key=CLB)


def ready_for_s1(world) -> None:
    services.checklist_set(
        actor=world.idec,
        patient=world.patient,
        definition_key=registry.ADMISSION_KEY,
        step_id="eligibility_identified",
        done=True,
    )
    world.patient.referring_oncologist = world.oncologist
    world.patient.save()


def ready_for_s2(world) -> None:
    """Every to_s2 guard: HAD validated, informed consent, eligibility assessed, ready for home care."""
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
        risk_factors=[],
        conclusion="eligible",
    )
    make_ready_for_home(world.patient, world.idec, eligibility=False)


def move(
    world, transition: str, *, actor=None, reason: str = "", version: int | None = None
) -> PatientPathway:
    return services.pathway_transition(
        actor=actor or world.idec,
        patient=world.patient,
        definition_key=CLB,
        transition_id=transition,
        reason=reason,
        expected_version=version,
    )


@pytest.fixture
def in_s1(world) -> PatientPathway:
    """In S1 since 9 weeks: the home ETP modules (week 10) are open, so readiness can be recorded."""
    with time_machine.travel(timezone.now() - HOME_ETP_OPENS_AFTER, tick=False):
        start(world)
        ready_for_s1(world)
        return move(world, "start_s1")


# --------------------------------------------------------------------------------------------- start


def test_start_puts_the_patient_in_inclusion_and_records_it(world) -> None:
    pathway = start(world)
    assert pathway.state == "inclusion"
    assert pathway.definition_version == 2  # new pathways start on the latest version
    assert pathway.version == 1
    assert TimelineEvent.objects.filter(patient=world.patient, kind="pathway.started").count() == 1
    assert AuditEvent.objects.filter(
        action="create", object_type="pathway", patient_id=world.patient.pk
    ).exists()


def test_starting_the_same_pathway_twice_is_a_conflict(world) -> None:
    start(world)
    with pytest.raises(Conflict):
        start(world)
    assert PatientPathway.objects.filter(patient=world.patient).count() == 1


def test_unknown_pathway_is_refused(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.pathway_start(actor=world.idec, patient=world.patient, definition_key="astrology")
    assert "definition" in exc.value.field_errors


def test_start_needs_the_transition_permission(world) -> None:
    with pytest.raises(Forbidden):
        services.pathway_start(actor=world.idel, patient=world.patient, definition_key=CLB)


def test_transition_of_a_pathway_not_started_is_not_found(world) -> None:
    with pytest.raises(NotFound):
        move(world, "start_s1")


# --------------------------------------------------------------------------------------------- start_s1


def test_start_s1_is_refused_until_eligibility_identified_and_oncologist_named(world) -> None:
    start(world)
    with pytest.raises(TransitionRefused) as exc:
        move(world, "start_s1")
    assert [u.id for u in exc.value.unmet] == ["eligibility_identified", "referent_oncologist"]

    services.checklist_set(
        actor=world.idec,
        patient=world.patient,
        definition_key=registry.ADMISSION_KEY,
        step_id="eligibility_identified",
        done=True,
    )
    with pytest.raises(TransitionRefused) as exc:
        move(world, "start_s1")
    assert [u.id for u in exc.value.unmet] == ["referent_oncologist"]

    world.patient.referring_oncologist = world.oncologist
    world.patient.save()
    assert move(world, "start_s1").state == "s1"


# --------------------------------------------------------------------------------------------- S1 -> S2


def test_to_s2_is_refused_with_every_unmet_guard_and_nothing_changes(world, in_s1) -> None:
    transitions_before = PathwayTransitionLog.objects.count()
    timeline_before = TimelineEvent.objects.filter(kind="pathway.transition").count()

    with pytest.raises(TransitionRefused) as exc:
        move(world, "to_s2")

    assert [u.id for u in exc.value.unmet] == [
        "had_validated",
        "consent_informed",
        "eligibility_assessed",
        "education_ready",
    ]
    assert all(u.label for u in exc.value.unmet)
    assert "conditions non remplies" in exc.value.message
    assert exc.value.unmet[1].label == "Consentement éclairé du patient recueilli"
    pathway = PatientPathway.objects.get(pk=in_s1.pk)
    assert (pathway.state, pathway.version, pathway.state_entered_at) == (
        "s1",
        in_s1.version,
        in_s1.state_entered_at,
    )
    assert PathwayTransitionLog.objects.count() == transitions_before
    assert TimelineEvent.objects.filter(kind="pathway.transition").count() == timeline_before
    denied = AuditEvent.objects.get(action="denied", object_type="pathway")
    assert denied.detail["unmet"] == [
        "had_validated",
        "consent_informed",
        "eligibility_assessed",
        "education_ready",
    ]


def test_withdrawn_consent_blocks_to_s2_again(world, in_s1) -> None:
    ready_for_s2(world)
    patient_services.consent_record(actor=world.idec, patient=world.patient, kind="had_informed", given=False)
    with pytest.raises(TransitionRefused) as exc:
        move(world, "to_s2")
    assert [u.id for u in exc.value.unmet] == ["consent_informed"]


def test_refused_had_request_does_not_validate_feasibility(world, in_s1) -> None:
    req = patient_services.had_request_create(
        actor=world.oncologist, patient=world.patient, had=world.had, motive="HAD"
    )
    patient_services.had_request_decide(
        actor=world.had_physician,
        patient=world.patient,
        request_id=str(req.external_id),
        validate=False,
        note="Hors zone",
    )
    with pytest.raises(TransitionRefused) as exc:
        move(world, "to_s2")
    assert "had_validated" in [u.id for u in exc.value.unmet]


def test_to_s2_succeeds_once_guards_are_met_and_is_logged_everywhere(world, in_s1) -> None:
    ready_for_s2(world)
    pathway = move(world, "to_s2", version=in_s1.version)

    assert pathway.state == "s2"
    assert pathway.version == in_s1.version + 1
    assert pathway.ended_at is None
    log = PathwayTransitionLog.objects.get(pathway=pathway, transition_id="to_s2")
    assert (log.source, log.target, log.actor) == ("s1", "s2", world.idec)
    event = TimelineEvent.objects.get(
        patient=world.patient, kind="pathway.transition", data__transition="to_s2"
    )
    assert event.data["source_label"]["fr"].startswith("Séquence 1")
    audit = AuditEvent.objects.get(action="transition", detail__transition="to_s2")
    assert audit.actor == world.idec
    assert audit.patient_id == world.patient.pk
    assert audit.detail["source"] == "s1"
    assert audit.detail["target"] == "s2"


def test_stale_expected_version_is_refused(world, in_s1) -> None:
    ready_for_s2(world)
    with pytest.raises(StaleEdit):
        move(world, "to_s2", version=in_s1.version - 1)
    assert PatientPathway.objects.get(pk=in_s1.pk).state == "s1"


def test_role_without_transition_permission_is_forbidden(world, in_s1) -> None:
    ready_for_s2(world)
    with pytest.raises(Forbidden):
        move(world, "to_s2", actor=world.idel)
    assert PatientPathway.objects.get(pk=in_s1.pk).state == "s1"


def test_transition_not_from_this_state_is_refused(world, in_s1) -> None:
    with pytest.raises(TransitionRefused) as exc:
        move(world, "to_s3")
    assert exc.value.unmet == []
    with pytest.raises(TransitionRefused):
        move(world, "teleport")


# --------------------------------------------------------------------------------------------- S2 -> S3 (time)


def test_s2_to_s3_needs_150_days_in_s2(world) -> None:
    with time_machine.travel(T0 - HOME_ETP_OPENS_AFTER, tick=False) as traveller:
        start(world)
        ready_for_s1(world)
        move(world, "start_s1")
        traveller.move_to(T0)
        ready_for_s2(world)
        entered_s2 = move(world, "to_s2").state_entered_at
        world.patient.gp = world.oncologist  # any named doctor satisfies gp_named here
        world.patient.save()

        traveller.move_to(T0 + dt.timedelta(days=149, hours=23))
        with pytest.raises(TransitionRefused) as exc:
            move(world, "to_s3")
        assert [u.id for u in exc.value.unmet] == ["s2_min_duration"]

        traveller.move_to(T0 + dt.timedelta(days=150))
        pathway = move(world, "to_s3")
    assert entered_s2 == T0
    assert pathway.state == "s3"
    assert pathway.state_entered_at == T0 + dt.timedelta(days=150)


def test_s2_to_s3_lists_both_unmet_guards(world) -> None:
    with time_machine.travel(T0 - HOME_ETP_OPENS_AFTER, tick=False) as traveller:
        start(world)
        ready_for_s1(world)
        move(world, "start_s1")
        traveller.move_to(T0)
        ready_for_s2(world)
        move(world, "to_s2")
        with pytest.raises(TransitionRefused) as exc:
            move(world, "to_s3")
    assert [u.id for u in exc.value.unmet] == ["gp_named", "s2_min_duration"]


# --------------------------------------------------------------------------------------------- day hospital, end


def test_back_to_day_hospital_requires_a_reason_and_resume_needs_a_new_assessment(world, in_s1) -> None:
    ready_for_s2(world)
    move(world, "to_s2")
    with pytest.raises(TransitionRefused) as exc:
        move(world, "back_to_day_hospital", reason="   ")
    assert "motif" in exc.value.message
    assert PatientPathway.objects.get(pk=in_s1.pk).state == "s2"

    pathway = move(world, "back_to_day_hospital", reason="toxicity")
    assert pathway.state == "hdj"
    assert PathwayTransitionLog.objects.get(transition_id="back_to_day_hospital").reason == "toxicity"

    with pytest.raises(TransitionRefused) as exc:
        move(world, "resume_home")
    assert [u.id for u in exc.value.unmet] == ["hdj_assessment_favourable"]
    patient_services.eligibility_assess(
        actor=world.idec, patient=world.patient, success_factors=[], risk_factors=[], conclusion="eligible"
    )
    assert move(world, "resume_home").state == "s2"


def test_end_moves_to_the_final_state_and_closes_the_pathway(world, in_s1) -> None:
    with pytest.raises(TransitionRefused):
        move(world, "end")
    pathway = move(world, "end", reason="patient_choice")
    assert pathway.state == "ended"
    assert pathway.ended_at is not None
    assert services.pathway_of(patient=world.patient, definition_key=CLB) is None
    with pytest.raises(NotFound):
        move(world, "start_s1")
    # a closed pathway does not block a new one
    assert start(world).state == "inclusion"


# --------------------------------------------------------------------------------------------- checklist


def test_checklist_tick_is_idempotent_and_untick_removes_it(world) -> None:
    def tick(done: bool) -> None:
        services.checklist_set(
            actor=world.idec,
            patient=world.patient,
            definition_key=registry.ADMISSION_KEY,
            step_id="first_cure_hdj",
            done=done,
        )

    tick(True)
    tick(True)
    assert ChecklistCompletion.objects.filter(patient=world.patient, step_id="first_cure_hdj").count() == 1
    assert TimelineEvent.objects.filter(patient=world.patient, kind="checklist.done").count() == 1
    tick(False)
    assert not ChecklistCompletion.objects.filter(patient=world.patient).exists()
    assert TimelineEvent.objects.filter(patient=world.patient, kind="checklist.undone").count() == 1


def test_checklist_refuses_unknown_step_and_roles_without_permission(world) -> None:
    with pytest.raises(ValidationFailed):
        services.checklist_set(
            actor=world.idec,
            patient=world.patient,
            definition_key=registry.ADMISSION_KEY,
            step_id="nap",
            done=True,
        )
    with pytest.raises(Forbidden):
        services.checklist_set(
            actor=world.idel,
            patient=world.patient,
            definition_key=registry.ADMISSION_KEY,
            step_id="delivery",
            done=True,
        )
