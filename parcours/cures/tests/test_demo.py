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


def test_the_demo_home_cures_of_today_can_be_gathered_into_the_day_plan() -> None:
    from django.utils import timezone

    from parcours.accounts.models import User
    from parcours.logistics.models import HomeVisit
    from parcours.logistics.services import visits_gather

    load_base_demo(patients=60, plan_days=0)
    load_demo(seed=7, progress=lambda _m: None)
    today = timezone.localdate()
    cure = Cure.objects.filter(date=today, place="home", status="planned").select_related("had").first()
    assert cure is not None and cure.had is not None
    planner = User.objects.filter(role__code="logistician", organisation=cure.had).first()
    assert planner is not None
    report = visits_gather(actor=planner, had=cure.had, date=today)
    assert report.created and report.skipped == [], report.skipped
    assert HomeVisit.objects.filter(source_ref=f"cure:{cure.external_id}").exists()
