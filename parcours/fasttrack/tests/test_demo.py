"""The fast-track demo loads on top of a small base demo: slots, referrals in every state, follow-up."""

from __future__ import annotations

import pytest

from parcours.fasttrack.demo import load_demo
from parcours.fasttrack.models import (
    Booking,
    CoordinatorTask,
    PathologyRequest,
    PathwayEvent,
    RcpCase,
    Referral,
    Resource,
    Slot,
)
from parcours.fasttrack.selectors import indicators
from parcours.web import demo as base_demo

pytestmark = pytest.mark.django_db


def test_demo_fills_resources_referrals_in_every_state_and_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base_demo, "APP_DEMOS", ())
    base_demo.load_demo(patients=20, plan_days=0, seed=7)
    messages: list[str] = []
    load_demo(seed=7, progress=messages.append)
    assert Resource.objects.count() == 12 and Slot.objects.count() > 12 * 5 * 8 * 4
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert {"new", "info_requested", "accepted", "scheduled", "redirected"} <= statuses, (statuses, messages)
    assert Referral.objects.filter(duplicate_of__isnull=False).exists()
    assert Booking.objects.exists() and PathologyRequest.objects.exists() and RcpCase.objects.exists()
    assert CoordinatorTask.objects.exists()
    assert PathwayEvent.objects.count() > 300
    assert len(indicators()) >= 5
