"""Two nurses submit the same administration at the same moment: one wins, the other is refused (PostgreSQL:
row locks; SQLite serialises writers, so the race is only meaningful on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections

from parcours.core.errors import DomainError
from parcours.cures import services
from parcours.cures.models import Administration, CureEvent
from parcours.cures.tests.conftest import T0, CureWorld, run_to_delivered

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.guardless,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    # A transactional test flushes every table, which the append-only audit trigger forbids.
    pytest.mark.skipif(
        settings.PARCOURS_AUDIT_DB_GUARD, reason="run with PARCOURS_AUDIT_DB_GUARD=false (as the e2e run)"
    ),
]


def test_a_double_submission_administers_once(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    clock.shift(dt.timedelta(minutes=60))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            barrier.wait()
            services.cure_administer(
                actor=cw.nurse,
                cure=cure,
                patient=cw.patient,
                identity_checked=True,
                started_at=T0 + dt.timedelta(minutes=45),
                ended_at=T0 + dt.timedelta(minutes=75),
                lot="LOT-42",
                dasri_disposed=True,
                vitals_before={"TEMP": Decimal("36.8")},
                vitals_after={"TEMP": Decimal("36.9")},
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "transition_refused"]
    assert Administration.objects.filter(cure=cure).count() == 1
    assert CureEvent.objects.filter(cure=cure, event="administer").count() == 1
