"""Learning services: versioning, sequencing, quizzes, sessions, readiness guard S1→S2, training registry,
qualification expiry and the assignment guard."""

from __future__ import annotations

import datetime as dt

import pytest

from parcours.audit.models import AuditEvent
from parcours.core.errors import Conflict, Forbidden, TransitionRefused, ValidationFailed
from parcours.learning import selectors, services
from parcours.learning.models import (
    Assignment,
    ModuleProgress,
    QuizAttempt,
    ReadinessAssessment,
    TrainingRecord,
)
from parcours.learning.tests.conftest import CLB, T0, correct_answers, had_ready, wrong_answers
from parcours.pathways import registry
from parcours.pathways import services as pathway_services
from parcours.patients.models import CareTeamMembership, TimelineEvent
from parcours.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

HDJ_MODULES = ["immunotherapy_basics", "whom_to_call", "warning_signs_1", "warning_signs_2"]
HOME_MODULES = ["home_care_organisation", "anti_allergy_kit", "caregivers"]


def statuses(enrolment) -> dict[str, str]:
    return {s.module_id: s.status for s in selectors.module_statuses(enrolment=enrolment)}


# ---------------------------------------------------------------------------------------- versioning


def test_first_enrolment_stores_the_builtin_programme_as_published_v1(world, enrolment) -> None:
    assert (enrolment.programme.key, enrolment.programme.version, enrolment.programme.status) == (
        "clb_immunotherapy_etp",
        1,
        "published",
    )
    assert TimelineEvent.objects.filter(patient=world.patient, kind="education.enrolled").exists()


def test_a_patient_keeps_the_version_she_started_when_a_module_is_edited(world, enrolment) -> None:
    draft = services.programme_draft_create(actor=world.idec, key="clb_immunotherapy_etp")
    text = draft.texts["immunotherapy_basics.v1.md"].replace("Ce module", "Ce module révisé", 1)
    draft = services.programme_module_text_set(
        actor=world.idec, draft=draft, module_id="immunotherapy_basics", text=text
    )
    services.programme_publish(actor=world.idec, draft=draft)

    enrolment.refresh_from_db()
    assert enrolment.programme.version == 1
    old = selectors.programme_of(enrolment.programme).module("immunotherapy_basics")
    assert "révisé" not in old.text
    newcomer = world.other_patient
    CareTeamMembership.objects.create(patient=newcomer, user=world.idec, since=T0)
    new = services.enrol(actor=world.idec, patient=newcomer)
    assert new.programme.version == 2
    assert "Ce module révisé" in selectors.programme_of(new.programme).module("immunotherapy_basics").text
    # enrolling again changes nothing
    assert services.enrol(actor=world.idec, patient=world.patient).programme.version == 1


def test_a_published_version_cannot_be_edited(world, enrolment) -> None:
    with pytest.raises(Conflict):
        services.programme_modules_set(actor=world.idec, draft=enrolment.programme, module_ids=HDJ_MODULES)


def test_a_module_text_missing_a_quiz_section_is_refused_with_the_section(world, enrolment) -> None:
    draft = services.programme_draft_create(actor=world.idec, key="clb_immunotherapy_etp")
    with pytest.raises(ValidationFailed) as exc:
        services.programme_module_text_set(
            actor=world.idec, draft=draft, module_id="immunotherapy_basics", text="# Titre\n\nPlus rien.\n"
        )
    assert "Section manquante" in exc.value.field_errors["text"][0]


def test_removing_a_module_another_one_needs_is_refused(world, enrolment) -> None:
    draft = services.programme_draft_create(actor=world.idec, key="clb_immunotherapy_etp")
    with pytest.raises(ValidationFailed):
        services.programme_modules_set(actor=world.idec, draft=draft, module_ids=["whom_to_call"])


def test_only_educators_build_programmes(world, enrolment) -> None:
    with pytest.raises(Forbidden):
        services.programme_draft_create(actor=world.idel, key="clb_immunotherapy_etp")


# ---------------------------------------------------------------------------------------- sequencing


def test_modules_unlock_with_the_pathway_and_home_modules_from_week_10_of_s1(world, enrolment, clock) -> None:
    assert statuses(enrolment) == {
        "immunotherapy_basics": "unlocked",
        "whom_to_call": "locked",
        "warning_signs_1": "locked",
        "warning_signs_2": "locked",
        "home_care_organisation": "locked",
        "anti_allergy_kit": "locked",
        "caregivers": "locked",
    }
    with pytest.raises(ValidationFailed):
        services.quiz_submit(
            actor=world.idel,
            enrolment=enrolment,
            module_id="whom_to_call",
            answers=correct_answers(enrolment, "whom_to_call"),
        )
    services.module_complete(actor=world.idel, enrolment=enrolment, module_id="immunotherapy_basics")
    assert statuses(enrolment)["whom_to_call"] == "unlocked"
    clock.move_to(T0 + dt.timedelta(days=62))
    services.module_complete(actor=world.idel, enrolment=enrolment, module_id="whom_to_call")
    assert statuses(enrolment)["home_care_organisation"] == "locked"
    clock.move_to(T0 + dt.timedelta(days=63))
    assert statuses(enrolment)["home_care_organisation"] == "unlocked"


# ---------------------------------------------------------------------------------------------- quiz


def test_quiz_scores_are_stored_with_what_is_understood_and_what_to_revisit(world, enrolment) -> None:
    failed = services.quiz_submit(
        actor=world.idel,
        enrolment=enrolment,
        module_id="immunotherapy_basics",
        answers=wrong_answers(enrolment, "immunotherapy_basics"),
        by_proxy=True,
    )
    assert (failed.score, failed.passed) == (0, False)
    assert failed.to_revisit and failed.understood == []
    passed = services.quiz_submit(
        actor=world.idel,
        enrolment=enrolment,
        module_id="immunotherapy_basics",
        answers=correct_answers(enrolment, "immunotherapy_basics"),
    )
    assert (passed.score, passed.total, passed.passed, passed.to_revisit) == (4, 4, True, [])
    assert ModuleProgress.objects.filter(enrolment=enrolment, module_id="immunotherapy_basics").count() == 1


def test_bad_quiz_answers_are_refused_and_nothing_is_recorded(world, enrolment) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.quiz_submit(
            actor=world.idel,
            enrolment=enrolment,
            module_id="immunotherapy_basics",
            answers={"nope": ["x"]},
        )
    assert "answers" in exc.value.field_errors
    assert not QuizAttempt.objects.exists()


# ---------------------------------------------------------------------------------------- sessions


def test_home_session_records_attendance_and_completes_the_modules(world, enrolment, clock) -> None:
    services.module_complete(actor=world.idel, enrolment=enrolment, module_id="immunotherapy_basics")
    clock.move_to(T0 + dt.timedelta(days=70))
    session = services.session_record(
        actor=world.idel,
        patient=world.patient,
        date=dt.date(2025, 3, 17),
        attendees=["patient", "aidant : Paul Martin"],
        module_ids=["whom_to_call", "caregivers"],
        observations="Bonne compréhension.",
    )
    done = set(ModuleProgress.objects.filter(session=session).values_list("module_id", flat=True))
    assert done == {"whom_to_call", "caregivers"}


def test_a_session_in_the_future_or_on_a_locked_module_is_refused(world, enrolment) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.session_record(
            actor=world.idel,
            patient=world.patient,
            date=dt.date(2025, 2, 1),
            attendees=["patient"],
            module_ids=["anti_allergy_kit"],
        )
    assert set(exc.value.field_errors) == {"date", "modules"}
    assert not ModuleProgress.objects.exists()


# --------------------------------------------------------------------------------------- readiness


def _educate(world, enrolment) -> None:
    for module_id in [*HDJ_MODULES, "home_care_organisation", "anti_allergy_kit"]:
        services.quiz_submit(
            actor=world.idel,
            enrolment=enrolment,
            module_id=module_id,
            answers=correct_answers(enrolment, module_id),
        )


def test_readiness_guard_blocks_then_allows_s1_to_s2(world, enrolment, clock) -> None:
    had_ready(world)
    with pytest.raises(TransitionRefused) as exc:
        pathway_services.pathway_transition(
            actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="to_s2"
        )
    assert [u.id for u in exc.value.unmet] == ["education_ready"]

    clock.move_to(T0 + dt.timedelta(days=70))
    _educate(world, enrolment)
    with pytest.raises(TransitionRefused):  # home not assessed yet
        pathway_services.pathway_transition(
            actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="to_s2"
        )
    services.home_assessment_record(
        actor=world.idel,
        patient=world.patient,
        space_for_material=True,
        access_for_teams=True,
        caregiver_present=True,
    )
    pathway = pathway_services.pathway_transition(
        actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="to_s2"
    )
    assert pathway.state == "s2"


def test_v1_pathways_are_not_affected_by_the_education_guard(world, clock, monkeypatch) -> None:
    from parcours.learning.tests.conftest import ready_for_s1

    # a pathway started when v1 was current (new pathways start on v2) keeps v1 and its guards
    monkeypatch.setitem(registry.START_VERSIONS, CLB, 1)
    pathway_services.pathway_start(actor=world.idec, patient=world.patient, definition_key=CLB)
    ready_for_s1(world)
    pathway_services.pathway_transition(
        actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="start_s1"
    )
    had_ready(world)
    moved = pathway_services.pathway_transition(
        actor=world.idec, patient=world.patient, definition_key=CLB, transition_id="to_s2"
    )
    assert (moved.definition_version, moved.state) == (1, "s2")


def test_risk_factors_produce_a_stored_support_plan(world, enrolment) -> None:
    had_ready(world, risk=["isolated", "alert_difficulty"])
    services.home_assessment_record(
        actor=world.idel,
        patient=world.patient,
        space_for_material=True,
        access_for_teams=False,
        caregiver_present=False,
    )
    row = services.readiness_assess(actor=world.idel, patient=world.patient)
    assert row.ready is False and row.pathway_state == "s1"
    ids = {a["id"] for a in row.support_plan}
    assert {"social_worker", "proxy_pro_entry"} <= ids or len(ids) >= 2
    assert {c["id"] for c in row.criteria if not c["met"]} >= {"home_access", "understands_treatment"}
    assert ReadinessAssessment.objects.filter(patient=world.patient).count() == 1


# ---------------------------------------------------------------------------------------- training


@pytest.fixture
def manager(world):
    return UserFactory(role="manager", username="formation")


def test_certificate_dated_in_the_future_is_refused(world, manager, clock) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.training_record_add(
            actor=manager, professional=world.idel, course_id="etp_40h", completed_on=dt.date(2025, 2, 1)
        )
    assert "futur" in exc.value.field_errors["completed_on"][0]
    assert not TrainingRecord.objects.exists()


def test_an_expired_certificate_is_refused_with_its_date(world, manager, clock) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.training_record_add(
            actor=manager,
            professional=world.idel,
            course_id="immuno_initiation",
            completed_on=dt.date(2023, 1, 1),
            certificate_expires_on=dt.date(2023, 12, 31),
        )
    assert "expiré le 31/12/2023" in exc.value.field_errors["certificate_expires_on"][0]


def test_qualification_expires_and_assignment_is_refused_with_the_reason(world, manager, clock) -> None:
    services.training_record_add(
        actor=manager,
        professional=world.idel,
        course_id="immuno_initiation",
        completed_on=dt.date(2024, 3, 1),
    )
    ok, reason = selectors.qualification_check(
        user=world.idel, act="immunotherapy_administration", on=dt.date(2025, 1, 10)
    )
    assert ok, reason
    ok, reason = selectors.qualification_check(
        user=world.idel, act="immunotherapy_administration", on=dt.date(2025, 3, 10)
    )
    assert not ok and "28/02/2025" in reason
    with pytest.raises(ValidationFailed) as exc:
        services.assignment_create(
            actor=world.idec,
            patient=world.patient,
            professional=world.idel,
            act="immunotherapy_administration",
            starts_on=dt.date(2025, 3, 10),
        )
    assert "28/02/2025" in exc.value.message
    assert not Assignment.objects.exists()
    assert AuditEvent.objects.filter(action="denied", object_type="assignment").exists()


def test_a_lapsed_qualification_is_expired_and_needs_the_initiation_again(world, manager, clock) -> None:
    services.training_record_add(
        actor=manager,
        professional=world.idel,
        course_id="immuno_initiation",
        completed_on=dt.date(2023, 6, 1),
    )
    outcome = services.training_record_add(
        actor=manager, professional=world.idel, course_id="virtual_class", completed_on=dt.date(2024, 9, 1)
    )
    assert outcome.warnings
    validity = selectors.validity_of(user=world.idel)
    assert validity["immuno"].status == "expired"
    ok, reason = selectors.qualification_check(
        user=world.idel, act="immunotherapy_administration", on=T0.date()
    )
    assert not ok and reason


def test_a_qualified_nurse_is_assigned_and_joins_the_care_team(world, manager, clock) -> None:
    nurse = UserFactory(role="idel", username="idel2")
    services.training_record_add(
        actor=manager, professional=nurse, course_id="etp_40h", completed_on=dt.date(2024, 5, 1)
    )
    a = services.assignment_create(
        actor=world.idec, patient=world.patient, professional=nurse, act="etp_session", starts_on=T0.date()
    )
    assert a.valid_until is None
    assert CareTeamMembership.objects.filter(patient=world.patient, user=nurse, until__isnull=True).exists()


def test_nearby_search_ranks_qualified_nurses_first_then_by_distance(world, manager, clock) -> None:
    near = UserFactory(role="idel", username="near", first_name="Proche", last_name="Non formée")
    far = UserFactory(role="idel", username="far", first_name="Loin", last_name="Formée")
    out = UserFactory(role="idel", username="out", first_name="Hors", last_name="Zone")
    services.profile_set(actor=manager, professional=near, latitude=45.76, longitude=4.84)
    services.profile_set(actor=manager, professional=far, latitude=45.85, longitude=4.95)
    services.profile_set(actor=manager, professional=out, latitude=46.5, longitude=4.84)
    for c in ("immuno_initiation", "etp_40h"):
        services.training_record_add(
            actor=manager, professional=far, course_id=c, completed_on=dt.date(2024, 9, 1)
        )
    found = selectors.nearby_professionals(
        latitude=45.75, longitude=4.85, act="immunotherapy_administration", on=T0.date(), radius_km=30
    )
    assert [n.name for n in found] == ["Loin Formée", "Proche Non formée"]
    assert found[0].qualified and not found[1].qualified
    assert found[1].distance_km == pytest.approx(1.34, abs=0.05)


def test_profile_coordinates_are_validated(world, manager) -> None:
    with pytest.raises(ValidationFailed):
        services.profile_set(actor=manager, professional=world.idel, latitude=95.0, longitude=4.0)
