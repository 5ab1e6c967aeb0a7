"""Indicators computed in the database on a fixture with known delays (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.fasttrack import selectors
from parcours.fasttrack.models import PathwayEvent, Referral

UTC = dt.UTC
pytestmark = pytest.mark.django_db


def _referral(pathway: str, received: dt.datetime, **delays_days: float) -> Referral:
    r = Referral.objects.create(
        pathway=pathway,
        received_at=received,
        referrer_name="Dr X",
        patient_birth_name="P",
        patient_given_names="Q",
        patient_birth_date=dt.date(1950, 1, 1),
    )
    PathwayEvent.objects.create(referral=r, pathway=pathway, kind="received", at=received)
    base = {
        "first_visit": "received",
        "imaging": "received",
        "rcp": "received",
        "biopsy": "received",
        "treatment_start": "rcp",
        "pathology_result": "biopsy",
    }
    times = {"received": received}
    for kind in ("first_visit", "imaging", "biopsy", "rcp", "treatment_start", "pathology_result"):
        if kind in delays_days:
            times[kind] = times[base[kind]] + dt.timedelta(days=delays_days[kind])
            PathwayEvent.objects.create(referral=r, pathway=pathway, kind=kind, at=times[kind])
    for kind in ("supportive_assessment", "er_readmission"):
        if delays_days.get(kind):
            PathwayEvent.objects.create(referral=r, pathway=pathway, kind=kind, at=received)
    return r


def test_median_and_p90_per_pathway_and_month_match_a_hand_computation() -> None:
    march = dt.datetime(2026, 3, 3, 10, tzinfo=UTC)
    # reception → RCP for 10 pancreas referrals in March: 1..10 days → median (rank 5) 5, p90 (rank 9) 9.
    for i in range(1, 11):
        _referral(
            "pancreas",
            march + dt.timedelta(hours=i),
            rcp=i,
            first_visit=0.5 * i,
            supportive_assessment=i <= 4,
            er_readmission=i == 1,
        )
    # Two lung referrals in April; one without an RCP yet (excluded from that delay, counted in referrals).
    _referral(
        "lung", dt.datetime(2026, 4, 2, tzinfo=UTC), rcp=6, biopsy=2, pathology_result=4, treatment_start=3
    )
    _referral("lung", dt.datetime(2026, 4, 20, tzinfo=UTC), imaging=0.5)
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.indicators()
    assert len(queries) <= 1 + len(selectors.DELAYS)  # a fixed number of queries, whatever the row count
    by = {(r.pathway, r.month): r for r in rows}
    pancreas = by[("pancreas", "2026-03")]
    assert pancreas.referrals == 10
    assert pancreas.delays["reception_rcp"] == (10, 5.0, 9.0)
    assert pancreas.delays["referral_first_visit"] == (10, 2.5, 4.5)
    assert pancreas.delays["reception_imaging"] == (0, None, None)
    assert pancreas.supportive_share == 0.4 and pancreas.er_share == 0.1
    lung = by[("lung", "2026-04")]
    assert lung.referrals == 2
    assert lung.delays["reception_rcp"] == (1, 6.0, 6.0)
    assert lung.delays["rcp_treatment"] == (1, 3.0, 3.0)
    assert lung.delays["biopsy_pathology"] == (1, 4.0, 4.0)
    assert lung.delays["reception_imaging"] == (1, 0.5, 0.5)


def test_filters_by_pathway_and_period() -> None:
    _referral("pancreas", dt.datetime(2026, 1, 5, tzinfo=UTC), rcp=3)
    _referral("pancreas", dt.datetime(2026, 2, 5, tzinfo=UTC), rcp=7)
    _referral("liver", dt.datetime(2026, 2, 6, tzinfo=UTC), rcp=1)
    rows = selectors.indicators(pathway="pancreas", since=dt.date(2026, 2, 1))
    assert [(r.pathway, r.month, r.delays["reception_rcp"]) for r in rows] == [
        ("pancreas", "2026-02", (1, 7.0, 7.0))
    ]
    assert selectors.indicators(until=dt.date(2025, 1, 1)) == []


def test_nearest_rank_percentiles_with_an_even_and_odd_count() -> None:
    start = dt.datetime(2026, 5, 4, tzinfo=UTC)
    for d in (2, 4, 6, 8):
        _referral("thyroid", start, rcp=d)
    row = selectors.indicators(pathway="thyroid")[0]
    assert row.delays["reception_rcp"] == (4, 4.0, 8.0)  # median rank ceil(2)=2 → 4; p90 rank ceil(3.6)=4 → 8
