"""The cures app tells telemonitoring when the cures are (pre-cure questionnaires, cure marks on the charts)."""

from __future__ import annotations

from parcours.cures.models import Cure
from parcours.cures.tests.conftest import CureWorld
from parcours.telemonitoring.schedules import cure_dates


def test_telemonitoring_sees_the_planned_cure_dates(cw: CureWorld) -> None:
    plan = cw.plan(cycles=3)
    dates = sorted(Cure.objects.filter(plan=plan).values_list("date", flat=True))
    assert len(dates) == 3
    assert sorted(cure_dates(cw.patient)) == dates


def test_cancelled_cures_are_not_announced(cw: CureWorld) -> None:
    plan = cw.plan(cycles=2)
    last = Cure.objects.filter(plan=plan).order_by("-number").first()
    assert last is not None
    Cure.objects.filter(pk=last.pk).update(status="cancelled")
    assert last.date not in cure_dates(cw.patient)
    assert cure_dates(cw.patient) == [cw.first_cure(plan).date]
