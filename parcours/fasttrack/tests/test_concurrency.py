"""200 concurrent bookings on the same 20 slots on PostgreSQL: zero double bookings."""

from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count

from parcours.core.errors import Conflict
from parcours.fasttrack import services
from parcours.fasttrack.enums import ReferralStatus
from parcours.fasttrack.models import Booking, Referral, Resource, Slot, local_day
from parcours.testing.factories import UserFactory

pytestmark = [
    pytest.mark.guardless,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    # A transactional test flushes every table, which the append-only audit trigger forbids.
    pytest.mark.skipif(
        settings.PARCOURS_AUDIT_DB_GUARD, reason="run with PARCOURS_AUDIT_DB_GUARD=false (as the e2e run)"
    ),
]


def make_contention(n_slots: int, n_referrals: int) -> tuple[list[int], list[Referral]]:
    resource = Resource.objects.create(name="Scanner course", kind="ct")
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
    slots = Slot.objects.bulk_create(
        Slot(
            resource=resource,
            start=start + dt.timedelta(minutes=30 * i),
            day=local_day(start + dt.timedelta(minutes=30 * i)),
            end=start + dt.timedelta(minutes=30 * i + 30),
        )
        for i in range(n_slots)
    )
    referrals = Referral.objects.bulk_create(
        Referral(
            pathway="lung",
            status=ReferralStatus.ACCEPTED,
            urgency="rapid",
            received_at=start,
            referrer_name="Dr",
            patient_birth_name=f"P{i}",
            patient_given_names="X",
            patient_birth_date=dt.date(1950, 1, 1),
        )
        for i in range(n_referrals)
    )
    return [s.pk for s in slots], referrals


def book_concurrently(
    actor_id: int, slot_ids: list[int], referrals: list[Referral], workers: int
) -> tuple[int, int]:
    from parcours.accounts.models import User

    rng = random.Random(7)
    plan = [(rng.choice(slot_ids), r) for r in referrals]

    def attempt(job: tuple[int, Referral]) -> bool:
        slot_id, referral = job
        try:
            actor = User.objects.get(pk=actor_id)
            services.slot_book(actor=actor, slot_id=slot_id, referral=referral)
            return True
        except Conflict:
            return False
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(attempt, plan))
    return sum(results), len(results) - sum(results)


def test_200_concurrent_bookings_on_20_slots_never_double_book() -> None:
    from parcours.accounts.services import roles_sync

    roles_sync()
    actor = UserFactory(role="idec")
    slot_ids, referrals = make_contention(20, 200)
    ok, refused = book_concurrently(actor.pk, slot_ids, referrals, workers=40)
    per_slot = Booking.objects.filter(cancelled_at__isnull=True).values("slot").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in per_slot)
    assert ok == per_slot.count() == len({s for s in slot_ids if Booking.objects.filter(slot_id=s).exists()})
    assert ok + refused == 200 and ok <= 20
