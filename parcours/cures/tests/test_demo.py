"""The cures demo loads on top of a small base demo and leaves today's cures in various states."""

from __future__ import annotations

import pytest

from parcours.cures.demo import load_demo
from parcours.cures.models import Administration, Cure
from parcours.web.demo import load_demo as load_base_demo

pytestmark = pytest.mark.django_db


def test_demo_cures_in_various_states() -> None:
    load_base_demo(patients=60, plan_days=0)
    messages: list[str] = []
    load_demo(seed=7, progress=messages.append)
    statuses = set(Cure.objects.values_list("status", flat=True))
    assert {"planned", "ready_for_ok", "ok_given", "delivered", "administered"} <= statuses, (
        statuses,
        messages,
    )
    assert Administration.objects.exists()
