"""Property test at the service level: whatever the order of steps, no cure reaches "administered" without a
valid OK at the start of the administration and an unexpired, cold-chain-compliant bag."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from parcours.core.errors import DomainError
from parcours.cures import services
from parcours.cures.models import Administration, Bag, Cure, OkDecision
from parcours.cures.tests.conftest import T0, CureWorld, lab_items

pytestmark = pytest.mark.django_db

ACTIONS = st.sampled_from(
    [
        "labs",
        "vitals",
        "ok_cycle",
        "ok_day",
        "ok_day_by_oncologist",
        "refuse_ok",
        "prepare",
        "release",
        "pickup",
        "reading_ok",
        "reading_hot",
        "handover",
        "administer",
        "wait_hour",
        "wait_day",
        "postpone",
        "cancel",
    ]
)


class _Rollback(Exception):
    pass


def _do(cw: CureWorld, cure: Cure, action: str, traveller) -> None:  # type: ignore[no-untyped-def]
    now = T0
    from parcours.core import clock

    now = clock.now()
    if action == "labs":
        services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(now - dt.timedelta(hours=1)))
    elif action == "vitals":
        services.cure_vitals_record(
            actor=cw.nurse, cure=cure, values={"TEMP": Decimal("36.7")}, observed_at=now
        )
    elif action == "ok_cycle":
        services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    elif action == "ok_day":
        services.cure_ok_give(actor=cw.had_physician, cure=cure, kind="day_of_cure")
    elif action == "ok_day_by_oncologist":
        services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="day_of_cure")
    elif action == "refuse_ok":
        services.cure_ok_refuse(actor=cw.had_physician, cure=cure, kind="day_of_cure", reason="Fièvre")
    elif action == "prepare":
        services.cure_preparation_record(actor=cw.pharmacist, cure=cure, lot="L1", prepared_at=now)
    elif action == "release":
        services.bag_release(actor=cw.pharmacist, cure=cure)
    elif action == "pickup":
        services.delivery_pickup(actor=cw.logistician, cure=cure)
    elif action == "reading_ok":
        services.cold_chain_record(actor=cw.logistician, cure=cure, temperature_c=Decimal("5"))
    elif action == "reading_hot":
        services.cold_chain_record(actor=cw.logistician, cure=cure, temperature_c=Decimal("14"))
    elif action == "handover":
        services.delivery_handover(
            actor=cw.logistician,
            cure=cure,
            kit_antihistamine=True,
            kit_adrenaline=True,
            kit_corticosteroid=True,
        )
    elif action == "administer":
        traveller.shift(dt.timedelta(minutes=45))
        now = clock.now()
        services.cure_administer(
            actor=cw.nurse,
            cure=cure,
            patient=cw.patient,
            identity_checked=True,
            started_at=now - dt.timedelta(minutes=30),
            ended_at=now,
            lot="L1",
            dasri_disposed=True,
            vitals_before={"TEMP": Decimal("36.8")},
            vitals_after={"TEMP": Decimal("36.9")},
        )
    elif action == "wait_hour":
        traveller.shift(dt.timedelta(hours=1))
    elif action == "wait_day":
        traveller.shift(dt.timedelta(days=1))
    elif action == "postpone":
        services.cure_postpone(actor=cw.oncologist, cure=cure, days=1, reason="Report")
    elif action == "cancel":
        services.cure_cancel(actor=cw.oncologist, cure=cure, reason="Arrêt")


HAPPY = [
    "labs",
    "vitals",
    "ok_cycle",
    "ok_day",
    "prepare",
    "release",
    "pickup",
    "reading_ok",
    "handover",
    "administer",
]


@st.composite
def journeys(draw: st.DrawFn) -> list[str]:
    """Mostly the happy path, with steps dropped, swapped for another or preceded by an extra one."""
    out: list[str] = []
    for step in HAPPY:
        choice = draw(st.sampled_from(["keep"] * 5 + ["drop", "replace", "extra"]))
        if choice == "keep":
            out.append(step)
        elif choice == "replace":
            out.append(draw(ACTIONS))
        elif choice == "extra":
            out.extend([draw(ACTIONS), step])
    return out + draw(st.lists(ACTIONS, max_size=3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.one_of(journeys(), st.lists(ACTIONS, min_size=1, max_size=20)))
def test_no_path_reaches_administered_without_a_valid_ok_and_a_valid_bag(
    cw: CureWorld, clock, actions: list[str]
) -> None:  # type: ignore[no-untyped-def]
    clock.move_to(T0)
    try:
        with transaction.atomic():
            plan = cw.plan()
            cure = cw.first_cure(plan)
            for action in actions:
                try:
                    with transaction.atomic():
                        _do(cw, cure, action, clock)
                except DomainError:
                    pass
                cure.refresh_from_db()
            event(f"final status: {cure.status}")
            admin = Administration.objects.filter(cure=cure).first()
            if cure.status in {"administered", "closed"}:
                assert admin is not None
            if admin is not None:
                start = admin.started_at
                valid = {
                    ok.kind
                    for ok in OkDecision.objects.filter(cure=cure, decision="given", revoked_at__isnull=True)
                    if ok.valid_from <= start < ok.valid_until and ok.cure_date == cure.date
                }
                assert valid == {"cycle", "day_of_cure"}, actions
                bag = Bag.objects.get(cure=cure)
                assert bag.released_at is not None and start < bag.deadline and start <= bag.latest_start
                readings = list(bag.readings.all())
                assert readings and all(r.in_range for r in readings if r.at <= start), actions
                assert cure.delivered_at is not None and cure.delivered_at <= start
            raise _Rollback
    except _Rollback:
        pass
