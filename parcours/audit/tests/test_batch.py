"""audit_batch / timeline_batch: several events of one transaction written in one INSERT, or not at all."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from parcours.audit.models import AuditEvent
from parcours.audit.services import audit_batch, audit_record
from parcours.patients.models import TimelineEvent
from parcours.patients.timeline import timeline_batch, timeline_record

pytestmark = pytest.mark.django_db


def _three_events(world) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        audit_record(
            actor=world.idec,
            action="create",
            object_type="thing",
            object_id=str(n),
            patient_id=world.patient.pk,
        )


def test_events_recorded_in_a_batch_are_written_together_at_the_end_of_the_block(world) -> None:
    before = AuditEvent.objects.count()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with audit_batch():
            _three_events(world)
            assert AuditEvent.objects.count() == before  # nothing written yet
        inserts = [
            q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')
        ]
    assert len(inserts) == 1
    rows = list(AuditEvent.objects.order_by("-id")[:3])
    assert sorted(r.object_id for r in rows) == ["0", "1", "2"]
    assert all(r.actor_id == world.idec.pk and r.actor_role == "idec" for r in rows)


def test_a_batch_that_raises_writes_none_of_its_events(world) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), audit_batch():
        _three_events(world)
        raise RuntimeError("refused half-way")
    assert AuditEvent.objects.count() == before
    # and the next event outside a batch is written at once
    audit_record(actor=world.idec, action="read", object_type="thing", object_id="x")
    assert AuditEvent.objects.count() == before + 1


def test_a_nested_batch_joins_the_outer_one(world) -> None:
    before = AuditEvent.objects.count()
    with audit_batch():
        with audit_batch():
            _three_events(world)
        assert AuditEvent.objects.count() == before  # the inner block did not flush
    assert AuditEvent.objects.count() == before + 3


def test_timeline_events_in_a_batch_are_written_in_one_insert_or_not_at_all(world) -> None:
    before = TimelineEvent.objects.filter(patient=world.patient).count()
    with CaptureQueriesContext(connection) as queries, timeline_batch():
        for kind in ("a.one", "a.two"):
            timeline_record(patient=world.patient, actor=world.idec, kind=kind, data={"label": kind})
    assert len([q for q in queries.captured_queries if "patients_timelineevent" in q["sql"]]) == 1
    assert TimelineEvent.objects.filter(patient=world.patient).count() == before + 2
    with pytest.raises(ValueError), timeline_batch():
        timeline_record(patient=world.patient, actor=None, kind="a.three")
        raise ValueError
    assert TimelineEvent.objects.filter(patient=world.patient).count() == before + 2
