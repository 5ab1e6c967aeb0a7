"""Access gates: need-to-know by care team, and every refusal traced."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from parcours.audit.models import AuditEvent
from parcours.core.errors import Forbidden, NotFound
from parcours.patients.access import access_patient_by_id, access_patient_for_export, patients_visible_to
from parcours.patients.models import CareTeamMembership
from parcours.testing.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db


def test_member_sees_her_patient_and_not_the_other_teams(world) -> None:
    visible = list(patients_visible_to(user=world.idec))
    assert visible == [world.patient]
    assert world.other_patient not in visible


def test_access_by_id_returns_the_patient_and_records_a_read(world) -> None:
    patient = access_patient_by_id(user=world.idec, patient_id=str(world.patient.external_id))
    assert patient == world.patient
    event = AuditEvent.objects.get(action="read", actor=world.idec)
    assert event.patient_id == world.patient.pk
    assert event.object_id == str(world.patient.external_id)


@pytest.mark.parametrize("kind", ["unknown_uuid", "garbage", "other_team"])
def test_missing_garbage_and_foreign_ids_all_raise_the_same_not_found(world, kind: str) -> None:
    patient_id = {
        "unknown_uuid": str(uuid.uuid4()),
        "garbage": "../../etc/passwd",
        "other_team": str(world.other_patient.external_id),
    }[kind]
    with pytest.raises(NotFound) as exc:
        access_patient_by_id(user=world.idec, patient_id=patient_id)
    assert exc.value.message == "Patient introuvable."
    assert exc.value.code == "not_found"


def test_denied_access_is_written_to_the_audit_trail(world) -> None:
    with pytest.raises(NotFound):
        access_patient_by_id(user=world.idec, patient_id=str(world.other_patient.external_id))
    denied = AuditEvent.objects.get(action="denied")
    assert denied.actor == world.idec
    assert denied.object_id == str(world.other_patient.external_id)
    assert not AuditEvent.objects.filter(action="read").exists()


def test_ended_membership_removes_access(world) -> None:
    CareTeamMembership.objects.filter(patient=world.patient, user=world.idec).update(until=timezone.now())
    assert not patients_visible_to(user=world.idec).exists()
    with pytest.raises(NotFound):
        access_patient_by_id(user=world.idec, patient_id=str(world.patient.external_id))


@pytest.mark.parametrize("role", ["privacy_officer", "manager", "patient"])
def test_role_without_patient_view_sees_nothing_even_as_member(world, role: str) -> None:
    user = UserFactory(role=role)
    add_member(world.patient, user)
    assert not patients_visible_to(user=user).exists()
    with pytest.raises(NotFound):
        access_patient_by_id(user=user, patient_id=str(world.patient.external_id))


def test_inactive_user_sees_nothing(world) -> None:
    world.idec.is_active = False
    world.idec.save()
    assert not patients_visible_to(user=world.idec).exists()


def test_write_without_patient_edit_is_forbidden_and_traced(world) -> None:
    with pytest.raises(Forbidden) as exc:
        access_patient_by_id(user=world.idel, patient_id=str(world.patient.external_id), for_write=True)
    assert "patient.edit" in exc.value.message
    denied = AuditEvent.objects.get(action="denied", actor=world.idel)
    assert denied.patient_id == world.patient.pk
    assert denied.detail["permission"] == "patient.edit"


def test_action_permission_is_checked_for_members(world) -> None:
    with pytest.raises(Forbidden):
        access_patient_by_id(
            user=world.idel, patient_id=str(world.patient.external_id), permission="pathway.transition"
        )
    patient = access_patient_by_id(
        user=world.idec, patient_id=str(world.patient.external_id), permission="pathway.transition"
    )
    assert patient == world.patient


def test_write_access_does_not_record_a_read(world) -> None:
    access_patient_by_id(user=world.idec, patient_id=world.patient.external_id, for_write=True)
    assert not AuditEvent.objects.filter(action="read").exists()


def test_privacy_officer_reaches_any_patient_for_export_but_others_do_not(world) -> None:
    assert access_patient_for_export(
        user=world.privacy_officer, patient_id=str(world.other_patient.external_id)
    ) == (world.other_patient)
    with pytest.raises(NotFound):
        access_patient_for_export(user=world.privacy_officer, patient_id=str(uuid.uuid4()))
    with pytest.raises(Forbidden):
        access_patient_for_export(user=world.idec, patient_id=str(world.patient.external_id))
    with pytest.raises(NotFound):
        access_patient_for_export(user=world.idec, patient_id=str(world.other_patient.external_id))
