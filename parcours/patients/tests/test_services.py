"""Patient services: validation before any write, optimistic locking, care team, consents, HAD decisions."""

from __future__ import annotations

import datetime as dt

import pytest

from parcours.audit.models import AuditEvent
from parcours.core.errors import Conflict, Forbidden, StaleEdit, ValidationFailed
from parcours.patients import selectors, services
from parcours.patients.access import patients_visible_to
from parcours.patients.enums import ConsentKind, HadRequestStatus
from parcours.patients.models import CareTeamMembership, Patient, TimelineEvent
from parcours.patients.services import PatientInput
from parcours.testing.factories import next_ins

pytestmark = pytest.mark.django_db


def valid_input(**overrides: object) -> PatientInput:
    data = {
        "birth_name": "Durand",
        "given_names": "Lucie",
        "sex": "F",
        "birth_date": dt.date(1958, 3, 2),
        "ins": next_ins(),
        "identity_status": "validated",
        "postcode": "69007",
    }
    data.update(overrides)
    return PatientInput(**data)  # type: ignore[arg-type]


def counts() -> tuple[int, int, int, int]:
    return (
        Patient.objects.count(),
        TimelineEvent.objects.count(),
        AuditEvent.objects.count(),
        CareTeamMembership.objects.count(),
    )


# --------------------------------------------------------------------------------------------- create


def test_create_puts_the_creator_and_the_oncologist_on_the_care_team(world) -> None:
    patient = services.patient_create(
        actor=world.idec,
        data=valid_input(ins=" 2 55 08 14 168 025 38 "),
        referring_oncologist=world.oncologist,
    )
    assert patient.ins == "255081416802538"  # normalised
    assert patient.birth_name == "Durand"
    team = {m.user for m in selectors.active_care_team(patient=patient)}
    assert team == {world.idec, world.oncologist}
    assert patient in patients_visible_to(user=world.idec)
    assert TimelineEvent.objects.filter(patient=patient, kind="patient.created").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ins": "255081416802539"}, "ins"),
        ({"ins": "25508141680253"}, "ins"),
        ({"birth_date": dt.date.today() + dt.timedelta(days=2)}, "birth_date"),
        ({"birth_date": dt.date(1850, 1, 1)}, "birth_date"),
        ({"ins": "", "identity_status": "validated"}, "identity_status"),
        ({"birth_name": "  "}, "birth_name"),
        ({"sex": "X"}, "sex"),
        ({"postcode": "690"}, "postcode"),
        ({"latitude": 45.7}, "latitude"),
    ],
)
def test_invalid_input_is_refused_with_field_errors_and_nothing_is_written(world, overrides, field) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        services.patient_create(actor=world.idec, data=valid_input(**overrides))
    assert field in exc.value.field_errors
    assert exc.value.field_errors[field][0]
    assert counts() == before


def test_invalid_ins_message_names_the_expected_key(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.patient_create(actor=world.idec, data=valid_input(ins="255081416802539"))
    assert "attendue : 38" in exc.value.field_errors["ins"][0]


def test_several_errors_are_reported_together(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.patient_create(
            actor=world.idec, data=valid_input(ins="123", birth_date=dt.date.today() + dt.timedelta(days=3))
        )
    assert {"ins", "birth_date"} <= set(exc.value.field_errors)


def test_provisional_identity_without_ins_is_accepted(world) -> None:
    patient = services.patient_create(
        actor=world.idec, data=valid_input(ins="", identity_status="provisional")
    )
    assert patient.ins == ""


def test_duplicate_ins_is_refused(world) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        services.patient_create(actor=world.idec, data=valid_input(ins=world.patient.ins))
    assert exc.value.field_errors["ins"] == ["Un patient porte déjà cet INS."]
    assert counts() == before


def test_role_without_patient_create_is_forbidden(world) -> None:
    before = counts()
    with pytest.raises(Forbidden):
        services.patient_create(actor=world.idel, data=valid_input())
    assert counts() == before


# --------------------------------------------------------------------------------------------- update


def test_update_bumps_the_version_and_records_the_changed_fields(world) -> None:
    patient = services.patient_update(
        actor=world.idec, patient=world.patient, expected_version=1, changes={"phone": "0612345678"}
    )
    assert patient.version == 2
    assert patient.phone == "0612345678"
    event = TimelineEvent.objects.get(patient=patient, kind="patient.updated")
    assert event.data == {"fields": ["phone"]}


def test_stale_edit_is_refused_and_the_first_change_is_kept(world) -> None:
    read_by_idec = Patient.objects.get(pk=world.patient.pk)
    read_by_onco = Patient.objects.get(pk=world.patient.pk)
    assert read_by_idec.version == read_by_onco.version == 1

    services.patient_update(
        actor=world.idec, patient=read_by_idec, expected_version=1, changes={"used_name": "Roux"}
    )
    before = counts()
    with pytest.raises(StaleEdit):
        services.patient_update(
            actor=world.oncologist, patient=read_by_onco, expected_version=1, changes={"used_name": "Blanc"}
        )

    stored = Patient.objects.get(pk=world.patient.pk)
    assert stored.used_name == "Roux"
    assert stored.version == 2
    assert counts() == before


def test_update_with_invalid_value_writes_nothing(world) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        services.patient_update(
            actor=world.idec, patient=world.patient, expected_version=1, changes={"ins": "1"}
        )
    assert "ins" in exc.value.field_errors
    assert Patient.objects.get(pk=world.patient.pk).version == 1
    assert counts() == before


def test_update_of_a_non_editable_field_is_refused(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.patient_update(
            actor=world.idec, patient=world.patient, expected_version=1, changes={"version": 9}
        )
    assert "version" in exc.value.field_errors


def test_update_to_another_patients_ins_is_refused(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.patient_update(
            actor=world.idec,
            patient=world.patient,
            expected_version=1,
            changes={"ins": world.other_patient.ins},
        )
    assert "ins" in exc.value.field_errors


# --------------------------------------------------------------------------------------------- care team


def test_careteam_add_gives_access_and_remove_takes_it_back(world) -> None:
    assert world.patient not in patients_visible_to(user=world.outsider)
    membership = services.careteam_member_add(actor=world.idec, patient=world.patient, user=world.outsider)
    assert world.patient in patients_visible_to(user=world.outsider)
    assert TimelineEvent.objects.filter(patient=world.patient, kind="careteam.added").exists()

    services.careteam_member_remove(
        actor=world.idec, patient=world.patient, membership_id=str(membership.external_id)
    )
    membership.refresh_from_db()
    assert membership.until is not None
    assert world.patient not in patients_visible_to(user=world.outsider)
    assert TimelineEvent.objects.filter(patient=world.patient, kind="careteam.removed").exists()
    # the history stays: a new membership can be opened again
    services.careteam_member_add(actor=world.idec, patient=world.patient, user=world.outsider)
    assert CareTeamMembership.objects.filter(patient=world.patient, user=world.outsider).count() == 2


def test_careteam_add_twice_is_a_conflict(world) -> None:
    with pytest.raises(Conflict):
        services.careteam_member_add(actor=world.idec, patient=world.patient, user=world.idel)


def test_careteam_refuses_non_care_roles(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.careteam_member_add(actor=world.idec, patient=world.patient, user=world.privacy_officer)
    assert "user" in exc.value.field_errors


def test_careteam_management_needs_the_permission(world) -> None:
    with pytest.raises(Forbidden):
        services.careteam_member_add(actor=world.idel, patient=world.patient, user=world.outsider)


def test_careteam_remove_of_an_unknown_membership_is_refused(world) -> None:
    other = CareTeamMembership.objects.get(patient=world.other_patient)
    with pytest.raises(ValidationFailed):
        services.careteam_member_remove(
            actor=world.idec, patient=world.patient, membership_id=str(other.external_id)
        )
    other.refresh_from_db()
    assert other.until is None


# --------------------------------------------------------------------------------------------- consent


def test_withdrawn_consent_is_in_force_latest_wins(world) -> None:
    kind = ConsentKind.HAD_INFORMED
    services.consent_record(actor=world.idec, patient=world.patient, kind=kind, given=True)
    assert selectors.consent_given(patient=world.patient)
    services.consent_record(
        actor=world.idec, patient=world.patient, kind=kind, given=False, note="retrait oral"
    )
    assert not selectors.consent_given(patient=world.patient)
    assert selectors.consents_in_force(patient=world.patient)[kind].given is False
    services.consent_record(actor=world.idec, patient=world.patient, kind=kind, given=True)
    assert selectors.consent_given(patient=world.patient)


def test_consent_of_unknown_kind_is_refused(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.consent_record(actor=world.idec, patient=world.patient, kind="organ_donation", given=True)
    assert "kind" in exc.value.field_errors


def test_consent_needs_the_permission(world) -> None:
    with pytest.raises(Forbidden):
        services.consent_record(
            actor=world.idel, patient=world.patient, kind=ConsentKind.HAD_INFORMED, given=True
        )


# --------------------------------------------------------------------------------------------- eligibility


def test_not_eligible_needs_a_note(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.eligibility_assess(
            actor=world.idec,
            patient=world.patient,
            success_factors=[],
            risk_factors=["isolated"],
            conclusion="not_eligible",
            note="  ",
        )
    assert "note" in exc.value.field_errors
    assessment = services.eligibility_assess(
        actor=world.idec,
        patient=world.patient,
        success_factors=[],
        risk_factors=["isolated"],
        conclusion="not_eligible",
        note="Vit seul, sans aidant",
    )
    assert assessment.conclusion == "not_eligible"


def test_eligibility_refuses_unknown_factors_and_records_coverage(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.eligibility_assess(
            actor=world.idec,
            patient=world.patient,
            success_factors=["luck"],
            risk_factors=[],
            conclusion="eligible",
        )
    assert "success_factors" in exc.value.field_errors
    assessment = services.eligibility_assess(
        actor=world.idec,
        patient=world.patient,
        success_factors=["morale", "morale"],
        risk_factors=[],
        conclusion="eligible",
    )
    assert assessment.success_factors == ["morale"]
    assert assessment.had_covers_address is True  # postcode 69003, HAD service area ["69"]


# --------------------------------------------------------------------------------------------- HAD request


@pytest.fixture
def had_request(world):
    return services.had_request_create(
        actor=world.oncologist, patient=world.patient, had=world.had, motive="Immunothérapie à domicile"
    )


def test_only_a_hospital_doctor_requests_had(world) -> None:
    with pytest.raises(Forbidden):
        services.had_request_create(actor=world.idec, patient=world.patient, had=world.had, motive="x")


def test_second_pending_request_is_a_conflict(world, had_request) -> None:
    with pytest.raises(Conflict):
        services.had_request_create(
            actor=world.oncologist, patient=world.patient, had=world.had, motive="bis"
        )


def test_physician_of_another_had_cannot_decide(world, had_request) -> None:
    with pytest.raises(Forbidden) as exc:
        services.had_request_decide(
            actor=world.other_had_physician,
            patient=world.patient,
            request_id=str(had_request.external_id),
            validate=True,
        )
    assert world.had.name in exc.value.message
    had_request.refresh_from_db()
    assert had_request.status == HadRequestStatus.REQUESTED


def test_non_had_physician_cannot_decide(world, had_request) -> None:
    with pytest.raises(Forbidden):
        services.had_request_decide(
            actor=world.oncologist,
            patient=world.patient,
            request_id=str(had_request.external_id),
            validate=True,
        )


def test_refusal_needs_a_note(world, had_request) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.had_request_decide(
            actor=world.had_physician,
            patient=world.patient,
            request_id=str(had_request.external_id),
            validate=False,
            note=" ",
        )
    assert "note" in exc.value.field_errors
    refused = services.had_request_decide(
        actor=world.had_physician,
        patient=world.patient,
        request_id=str(had_request.external_id),
        validate=False,
        note="Hors zone",
    )
    assert refused.status == HadRequestStatus.REFUSED
    assert TimelineEvent.objects.filter(
        patient=world.patient, kind="had.refused", reason="Hors zone"
    ).exists()


def test_had_physician_of_that_had_validates_once(world, had_request) -> None:
    decided = services.had_request_decide(
        actor=world.had_physician,
        patient=world.patient,
        request_id=str(had_request.external_id),
        validate=True,
    )
    assert decided.status == HadRequestStatus.VALIDATED
    assert decided.decided_by == world.had_physician
    with pytest.raises(Conflict):
        services.had_request_decide(
            actor=world.had_physician,
            patient=world.patient,
            request_id=str(had_request.external_id),
            validate=False,
            note="revirement",
        )
