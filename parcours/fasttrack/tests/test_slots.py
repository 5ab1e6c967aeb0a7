"""Slots: sanctuarised slots released N hours before (time-machine), booking rules, diagnostic days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction

from parcours.core.errors import Conflict, Forbidden, ValidationFailed
from parcours.fasttrack import selectors, services, tasks
from parcours.fasttrack.enums import EventKind, ReferralStatus, SlotStatus
from parcours.fasttrack.models import Booking, GpMessage, PathwayEvent, Slot
from parcours.fasttrack.tests.conftest import NOW, Ft, accepted, make_input, slot
from parcours.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _refresh(s: Slot) -> Slot:
    s.refresh_from_db()
    return s


def test_an_unused_sanctuarised_slot_is_released_48_hours_before_not_earlier(ft: Ft) -> None:
    s = slot(ft.ct, ft.day + dt.timedelta(days=1), 10, pathway="pancreas")  # Thursday 10:00
    shared = slot(ft.ct, ft.day + dt.timedelta(days=1), 11)
    start = s.start
    with time_machine.travel(start - dt.timedelta(hours=48, minutes=1), tick=False):
        assert services.slots_release_due() == 0
        assert _refresh(s).status == SlotStatus.OPEN
    with time_machine.travel(start - dt.timedelta(hours=48), tick=False):
        assert tasks.release_sanctuarised_slots.call_local() == 1
    s = _refresh(s)
    assert s.status == SlotStatus.RELEASED and s.released_at == start - dt.timedelta(hours=48)
    assert _refresh(shared).status == SlotStatus.OPEN  # shared slots are never "released"
    with time_machine.travel(start - dt.timedelta(hours=47), tick=False):
        assert services.slots_release_due() == 0  # idempotent


def test_the_release_delay_is_per_resource(ft: Ft) -> None:
    ct = slot(ft.ct, ft.day + dt.timedelta(days=1), 10, pathway="pancreas")
    mri = slot(ft.mri, ft.day + dt.timedelta(days=1), 10, pathway="pancreas")  # MRI: 24 h
    with time_machine.travel(ct.start - dt.timedelta(hours=30), tick=False):
        services.slots_release_due()
    assert _refresh(ct).status == SlotStatus.RELEASED and _refresh(mri).status == SlotStatus.OPEN
    with time_machine.travel(mri.start - dt.timedelta(hours=24), tick=False):
        services.slots_release_due()
    assert _refresh(mri).status == SlotStatus.RELEASED


def test_a_booked_sanctuarised_slot_is_kept(ft: Ft) -> None:
    r = accepted(ft)
    s = slot(ft.ct, ft.day, 14, pathway="pancreas")
    services.slot_book(actor=ft.coordinator, slot_id=s.pk, referral=r)
    with time_machine.travel(s.start - dt.timedelta(hours=1), tick=False):
        assert services.slots_release_due() == 0
    assert _refresh(s).status == SlotStatus.OPEN


def test_booking_a_released_or_past_slot_is_refused(ft: Ft) -> None:
    r = accepted(ft)
    released = slot(ft.ct, ft.day, 10, pathway="pancreas", status=SlotStatus.RELEASED)
    past = slot(ft.ct, NOW.date(), 8)
    with pytest.raises(Conflict, match="libéré"):
        services.slot_book(actor=ft.coordinator, slot_id=released.pk, referral=r)
    with pytest.raises(Conflict, match="passé"):
        services.slot_book(actor=ft.coordinator, slot_id=past.pk, referral=r)
    assert not Booking.objects.exists()


def test_sanctuarised_slots_belong_to_their_pathway_and_emergency_slots_to_urgent_requests(ft: Ft) -> None:
    lung = slot(ft.ct, ft.day, 9, pathway="lung")
    emergency = slot(ft.ct, ft.day, 10, emergency=True)
    rapid = accepted(ft, urgency="rapid")
    with pytest.raises(Conflict, match="autre filière"):
        services.slot_book(actor=ft.coordinator, slot_id=lung.pk, referral=rapid)
    with pytest.raises(Conflict, match="urgentes"):
        services.slot_book(actor=ft.coordinator, slot_id=emergency.pk, referral=rapid)
    urgent = accepted(ft, patient_birth_name="Urgent")
    assert services.slot_book(actor=ft.coordinator, slot_id=emergency.pk, referral=urgent).slot == emergency


def test_a_slot_is_never_booked_twice(ft: Ft) -> None:
    s = slot(ft.ct, ft.day, 9)
    a = accepted(ft)
    b = accepted(ft, patient_birth_name="Autre")
    services.slot_book(actor=ft.coordinator, slot_id=s.pk, referral=a)
    with pytest.raises(Conflict):
        services.slot_book(actor=ft.coordinator, slot_id=s.pk, referral=b)
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(slot=s, referral=b, booked_by=ft.coordinator)


def test_a_cancelled_booking_frees_the_slot(ft: Ft) -> None:
    s = slot(ft.ct, ft.day, 9)
    a = accepted(ft)
    booking = services.slot_book(actor=ft.coordinator, slot_id=s.pk, referral=a)
    assert PathwayEvent.objects.filter(referral=a, kind=EventKind.IMAGING).exists()
    services.booking_cancel(actor=ft.coordinator, booking=booking)
    assert not PathwayEvent.objects.filter(referral=a, kind=EventKind.IMAGING).exists()
    b = accepted(ft, patient_birth_name="Autre")
    services.slot_book(actor=ft.coordinator, slot_id=s.pk, referral=b)
    with pytest.raises(Conflict):
        services.booking_cancel(actor=ft.coordinator, booking=booking)


def test_booking_needs_an_accepted_referral_and_the_permission(ft: Ft) -> None:
    s = slot(ft.ct, ft.day, 9)
    new = services.referral_submit(actor=None, data=make_input())
    with pytest.raises(Conflict):
        services.slot_book(actor=ft.coordinator, slot_id=s.pk, referral=new)
    with pytest.raises(Forbidden):
        services.slot_book(actor=ft.gp, slot_id=s.pk, referral=new)


def _day_slots(ft: Ft) -> dict[str, Slot]:
    d1, d2 = ft.day, ft.day + dt.timedelta(days=1)
    return {
        "consult_shared": slot(ft.consult, d1, 8, 30),
        "consult": slot(ft.consult, d1, 9, pathway="pancreas"),
        "ct_early": slot(ft.ct, d1, 9),  # before the consultation ends: skipped
        "ct": slot(ft.ct, d1, 10, pathway="pancreas"),
        "ct_shared": slot(ft.ct, d1, 10, 30),
        "mri": slot(ft.mri, d1, 11, pathway="pancreas"),
        "biopsy": slot(ft.biopsy, d2, 9, pathway="pancreas"),
    }


def test_a_diagnostic_day_is_booked_in_one_go_on_sanctuarised_slots_and_the_gp_is_told(
    ft: Ft, django_capture_on_commit_callbacks: Any
) -> None:
    s = _day_slots(ft)
    r = accepted(ft)
    with django_capture_on_commit_callbacks(execute=True):
        dday = services.diagnostic_day_book(
            actor=ft.coordinator, referral=r, template=ft.template, first_day=ft.day
        )
    booked = {b.slot_id for b in dday.bookings.all()}
    assert booked == {s["consult"].pk, s["ct"].pk, s["mri"].pk, s["biopsy"].pk}
    r.refresh_from_db()
    assert r.status == ReferralStatus.SCHEDULED
    msg = GpMessage.objects.get(referral=r, event="appointments")
    body = Notification.objects.get(pk=msg.notification_id).body
    assert "Scanner" in body and "Biopsie" in body and "04/03/2026" in body
    kinds = set(PathwayEvent.objects.filter(referral=r).values_list("kind", flat=True))
    assert {"received", "first_visit", "imaging", "biopsy"} <= kinds


def test_a_diagnostic_day_that_cannot_be_completed_books_nothing(ft: Ft) -> None:
    s = _day_slots(ft)
    s["biopsy"].delete()
    r = accepted(ft)
    with pytest.raises(Conflict, match="Biopsie"):
        services.diagnostic_day_book(actor=ft.coordinator, referral=r, template=ft.template, first_day=ft.day)
    assert not Booking.objects.exists()
    r.refresh_from_db()
    assert r.status == ReferralStatus.ACCEPTED


def test_diagnostic_day_refuses_a_past_day_and_bad_templates(ft: Ft) -> None:
    r = accepted(ft)
    with pytest.raises(ValidationFailed):
        services.diagnostic_day_book(
            actor=ft.coordinator,
            referral=r,
            template=ft.template,
            first_day=NOW.date() - dt.timedelta(days=1),
        )
    with pytest.raises(ValidationFailed):
        services.day_template_create(
            actor=ft.coordinator, name="x", pathway="", steps=[{"day": 1, "kind": "xray"}]
        )


def test_first_day_letter_is_sent_once_after_the_first_day(ft: Ft) -> None:
    _day_slots(ft)
    r = accepted(ft)
    services.diagnostic_day_book(actor=ft.coordinator, referral=r, template=ft.template, first_day=ft.day)
    assert services.first_day_letters_send() == 0
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        assert services.first_day_letters_send() == 1
        assert services.first_day_letters_send() == 0
    assert GpMessage.objects.filter(referral=r, event="first_day_letter").count() == 1


def test_slots_are_generated_without_duplicates(ft: Ft) -> None:
    kw = {
        "actor": ft.coordinator,
        "resource": ft.ct,
        "first_day": ft.day,
        "days": 7,
        "times": [dt.time(8), dt.time(14)],
        "minutes": 30,
    }
    assert services.slots_create(**kw, pathway="lung") == 10  # 5 weekdays x 2
    assert services.slots_create(**kw) == 0
    with pytest.raises(ValidationFailed):
        services.slots_create(**{**kw, "minutes": 1})
    with pytest.raises(Forbidden):
        services.slots_create(**{**kw, "actor": ft.gp})


def test_availability_counts_free_sanctuarised_emergency_booked(ft: Ft) -> None:
    slot(ft.ct, ft.day, 8)
    slot(ft.ct, ft.day, 9, pathway="pancreas")
    slot(ft.ct, ft.day, 10, emergency=True)
    b = slot(ft.ct, ft.day, 11)
    services.slot_book(actor=ft.coordinator, slot_id=b.pk, referral=accepted(ft))
    view = selectors.availability(first_day=NOW.date(), weeks=1)
    row = next(r for r in view.rows if r.resource == ft.ct)
    cell = next(c for c in row.cells if c.day == ft.day)
    assert (cell.free, cell.sanctuarised, cell.emergency, cell.booked) == (1, 1, 1, 1)
    assert len(view.days) == 7 and len(view.rows) == 4
