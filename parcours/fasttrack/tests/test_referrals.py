"""Referral intake and the coordinator's decisions (services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail

from parcours.audit.models import AuditEvent
from parcours.core.errors import Conflict, Forbidden, StaleEdit, ValidationFailed
from parcours.fasttrack import selectors, services
from parcours.fasttrack.enums import EventKind, ReferralStatus
from parcours.fasttrack.models import GpMessage, PathwayEvent, Referral, ReferralDocument
from parcours.fasttrack.tests.conftest import NOW, PDF, Ft, accepted, make_input
from parcours.notifications.models import Notification
from parcours.patients.models import Patient
from parcours.testing.factories import PatientFactory, add_member, next_ins

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_a_public_referral_is_saved_acknowledged_and_dated(
    ft: Ft, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        r = services.referral_submit(
            actor=None,
            data=make_input(),
            documents=[services.Upload("scanner.pdf", PDF)],
            client_ip="10.0.0.1",
        )
    assert r.status == ReferralStatus.NEW and r.priority == 0 and r.completeness == 100
    assert r.answer_hours == 48
    assert ReferralDocument.objects.get(referral=r).content_type == "application/pdf"
    assert PathwayEvent.objects.get(referral=r).kind == EventKind.RECEIVED
    ack = Notification.objects.get(idempotency_key=f"ft-ack-{r.external_id}")
    assert "48 heures ouvrées" in ack.body and ack.to == "dr.generaliste@medecin.mssante.fr"
    assert mail.outbox and mail.outbox[-1].to == ["dr.generaliste@medecin.mssante.fr"]
    assert AuditEvent.objects.filter(object_type="referral", action="create").exists()


def test_an_incomplete_referral_is_kept_and_says_what_is_missing(ft: Ft) -> None:
    r = services.referral_submit(actor=None, data=make_input(suspicion="", exams_done=[]))
    assert r.completeness < 100
    assert "suspicion" in r.missing and "exams_done.ct_tap" in r.missing


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"pathway": "nope"}, "pathway"),
        ({"referrer_name": " "}, "referrer_name"),
        ({"referrer_email": "", "referrer_phone": ""}, "referrer_email"),
        ({"patient_birth_date": dt.date(2030, 1, 1)}, "patient_birth_date"),
        ({"patient_birth_date": None}, "patient_birth_date"),
        ({"patient_ins": "123"}, "patient_ins"),
        ({"referrer_rpps": "12ab"}, "referrer_rpps"),
        ({"first_symptoms_date": dt.date(2027, 1, 1)}, "first_symptoms_date"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"exams_done": ["ct_tap", "x-ray-of-soul"]}, "exams_done"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(ft: Ft, over: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.referral_submit(actor=None, data=make_input(**over))
    assert field in exc.value.field_errors
    assert not Referral.objects.exists() and not Notification.objects.exists()


def test_a_refused_document_refuses_the_whole_referral(ft: Ft) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.referral_submit(
            actor=None,
            data=make_input(),
            documents=[services.Upload("ok.pdf", PDF), services.Upload("virus.pdf", b"MZ\x90\x00")],
        )
    assert "virus.pdf" in exc.value.field_errors["documents"][0]
    assert not Referral.objects.exists() and not ReferralDocument.objects.exists()


def test_a_second_referral_of_the_same_patient_is_flagged_as_duplicate(ft: Ft) -> None:
    first = services.referral_submit(actor=None, data=make_input())
    second = services.referral_submit(
        actor=None, data=make_input(patient_birth_name="LEFÈVRE ", referrer_name="Dr B")
    )
    assert second.duplicate_of == first
    ins = next_ins("1")
    a = services.referral_submit(actor=None, data=make_input(patient_birth_name="Autre", patient_ins=ins))
    b = services.referral_submit(
        actor=None, data=make_input(patient_birth_name="Nom changé", patient_ins=ins)
    )
    assert b.duplicate_of == a


def test_the_queue_puts_urgent_first_then_the_longest_waiting(ft: Ft) -> None:
    with time_machine.travel(NOW - dt.timedelta(hours=5), tick=False):
        old_rapid = services.referral_submit(
            actor=None, data=make_input(urgency="rapid", patient_birth_name="A")
        )
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        new_urgent = services.referral_submit(actor=None, data=make_input(patient_birth_name="B"))
    old_urgent = services.referral_submit(actor=None, data=make_input(patient_birth_name="C"))
    rows = selectors.queue(user=ft.coordinator)
    assert [r.pk for r in rows] == [new_urgent.pk, old_urgent.pk, old_rapid.pk]


def test_the_per_ip_rate_limit_is_kept_in_the_database(ft: Ft) -> None:
    for _ in range(3):
        services.throttle_hit(ip="192.0.2.7", limit=3)
    with pytest.raises(services.RateLimited):
        services.throttle_hit(ip="192.0.2.7", limit=3)
    services.throttle_hit(ip="192.0.2.8", limit=3)  # another address is not affected
    with time_machine.travel(NOW + dt.timedelta(minutes=61), tick=False):
        services.throttle_hit(ip="192.0.2.7", limit=3)


def test_accepting_creates_the_patient_and_tells_the_gp(ft: Ft) -> None:
    r = services.referral_submit(actor=None, data=make_input())
    r = services.referral_accept(actor=ft.coordinator, referral=r, expected_version=r.version)
    assert r.status == ReferralStatus.ACCEPTED and r.patient is not None
    assert r.patient.birth_name == "Lefèvre" and r.patient.birth_date == dt.date(1950, 4, 2)
    assert GpMessage.objects.filter(referral=r, event="admission").exists()
    with pytest.raises(Conflict):
        services.referral_accept(actor=ft.coordinator, referral=r)


def test_accepting_links_the_existing_patient_with_the_same_ins(ft: Ft) -> None:
    patient = PatientFactory(birth_name="LEFEVRE", given_names="Paul")
    add_member(patient, ft.coordinator)
    r = services.referral_submit(actor=None, data=make_input(patient_ins=patient.ins))
    r = services.referral_accept(actor=ft.coordinator, referral=r)
    assert r.patient == patient and Patient.objects.count() == 1


def test_an_ins_known_to_another_team_is_not_silently_duplicated(ft: Ft) -> None:
    patient = PatientFactory()
    r = services.referral_submit(actor=None, data=make_input(patient_ins=patient.ins))
    with pytest.raises(Conflict):
        services.referral_accept(actor=ft.coordinator, referral=r)
    assert Referral.objects.get(pk=r.pk).status == ReferralStatus.NEW


def test_a_stale_version_is_refused(ft: Ft) -> None:
    r = services.referral_submit(actor=None, data=make_input())
    services.referral_assign(actor=ft.coordinator, referral=r, assignee=ft.coordinator)
    with pytest.raises(StaleEdit):
        services.referral_accept(actor=ft.coordinator, referral=r, expected_version=1)


def test_only_coordinators_decide(ft: Ft) -> None:
    r = services.referral_submit(actor=None, data=make_input())
    with pytest.raises(Forbidden):
        services.referral_accept(actor=ft.gp, referral=r)
    with pytest.raises(ValidationFailed):
        services.referral_assign(actor=ft.coordinator, referral=r, assignee=ft.gp)


def test_asking_for_missing_information_mails_the_referrer(ft: Ft) -> None:
    r = services.referral_submit(actor=None, data=make_input(exams_done=[]))
    r = services.referral_request_info(
        actor=ft.coordinator, referral=r, message="Le compte rendu du scanner."
    )
    assert r.status == ReferralStatus.INFO_REQUESTED
    note = Notification.objects.filter(subject__startswith="Demande d'informations").get()
    assert "Le compte rendu du scanner." in note.body
    r = services.referral_update(
        actor=ft.coordinator, referral=r, changes={"exams_done": ["ct_tap", "bloods", "markers"]}
    )
    assert r.status == ReferralStatus.NEW and "exams_done.ct_tap" not in r.missing
    with pytest.raises(ValidationFailed):
        services.referral_request_info(actor=ft.coordinator, referral=r, message="  ")


def test_redirecting_tells_the_referrer_why(ft: Ft) -> None:
    r = services.referral_submit(actor=None, data=make_input())
    r = services.referral_redirect(
        actor=ft.coordinator, referral=r, reason="Consultation de gastro-entérologie."
    )
    assert r.status == ReferralStatus.REDIRECTED
    assert (
        "gastro-entérologie" in Notification.objects.get(idempotency_key=f"ft-redirect-{r.external_id}").body
    )
    with pytest.raises(ValidationFailed):
        services.referral_redirect(
            actor=ft.coordinator, referral=services.referral_submit(actor=None, data=make_input()), reason=""
        )


def test_gp_events_are_sent_with_french_templates(ft: Ft) -> None:
    r = accepted(ft)
    for event, words in (("transfer", "transféré"), ("discharge", "sorti(e)"), ("death", "décès")):
        with time_machine.travel(NOW + dt.timedelta(minutes=len(event)), tick=False):
            message = services.gp_event_notify(actor=ft.coordinator, referral=r, event=event)
        assert message is not None
        assert words in Notification.objects.get(pk=message.notification_id).body
    with pytest.raises(ValidationFailed):
        services.gp_event_notify(actor=ft.coordinator, referral=r, event="birthday")
