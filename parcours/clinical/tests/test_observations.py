from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from parcours.audit.models import AuditEvent
from parcours.clinical import hooks, selectors
from parcours.clinical.models import Observation
from parcours.clinical.services import ObservationInput, observations_mark_triaged, observations_record
from parcours.core.errors import ValidationFailed
from parcours.patients.models import TimelineEvent

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def _alt(value: str = "40", **kw: object) -> ObservationInput:
    base: dict[str, object] = {
        "kind": "lab",
        "code": "ALT",
        "value": value,
        "unit": "U/L",
        "observed_at": NOW,
        "upper": "35",
    }
    base.update(kw)
    return ObservationInput(**base)  # type: ignore[arg-type]


@time_machine.travel(NOW, tick=False)
def test_recording_writes_audits_and_goes_on_the_timeline(world) -> None:
    rows = observations_record(
        actor=world.idec,
        patient=world.patient,
        items=[_alt(), ObservationInput("vital", "TEMP", "38,2", "°C", NOW)],
        source="cure",
        context="cure-1",
    )
    assert [r.code for r in rows] == ["ALT", "TEMP"]
    assert rows[1].value == Decimal("38.2")
    assert rows[0].recorded_by == world.idec and rows[0].triaged_at is None
    assert (
        AuditEvent.objects.filter(
            action="create", object_type="observation", patient_id=world.patient.pk
        ).count()
        == 1
    )
    event = TimelineEvent.objects.get(patient=world.patient, kind="observations.recorded")
    assert "ALAT 40" in event.data["label"]["fr"]
    assert set(selectors.latest_by_code(world.patient, kind="lab")) == {"ALT"}


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("item", "field"),
    [
        (_alt(unit=""), "unit"),
        (_alt(upper=None), "upper"),
        (_alt(value="abc"), "value"),
        (_alt(value=None), "value"),
        (_alt(observed_at=NOW + dt.timedelta(minutes=10)), "observed_at"),
        (_alt(observed_at=None), "observed_at"),
        (_alt(code="UNOBTANIUM"), "code"),
        (ObservationInput("vital", "TEMP", "52", "°C", NOW), "value"),
        (ObservationInput("vital", "TEMP", "37", "°F", NOW), "unit"),
        (ObservationInput("lab", "TSH", "2", "mUI/L", NOW, upper="4"), "lower"),
        (_alt(lower="50", upper="35"), "lower"),
    ],
)
def test_bad_items_are_refused_by_field_and_nothing_is_written(
    world, item: ObservationInput, field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        observations_record(actor=world.idec, patient=world.patient, items=[_alt(), item], source="cure")
    assert f"items[1].{field}" in exc.value.field_errors
    assert not Observation.objects.exists()
    assert not TimelineEvent.objects.filter(kind="observations.recorded").exists()


@time_machine.travel(NOW, tick=False)
def test_small_clock_skew_is_tolerated(world) -> None:
    rows = observations_record(
        actor=world.idec,
        patient=world.patient,
        items=[_alt(observed_at=NOW + dt.timedelta(seconds=90))],
        source="api",
    )
    assert len(rows) == 1


@time_machine.travel(NOW, tick=False)
def test_hooks_run_after_commit_and_a_failing_hook_loses_nothing(
    world, django_capture_on_commit_callbacks
) -> None:
    seen: list[tuple[int, list[int]]] = []

    def good(patient_id: int, ids: list[int]) -> None:
        seen.append((patient_id, ids))
        observations_mark_triaged(observation_ids=ids)

    def bad(patient_id: int, ids: list[int]) -> None:
        raise RuntimeError("triage down")

    hooks.on_observations_recorded(bad)
    hooks.on_observations_recorded(good)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            rows = observations_record(actor=world.idec, patient=world.patient, items=[_alt()], source="cure")
    finally:
        hooks._HOOKS.remove(bad)
        hooks._HOOKS.remove(good)
    assert seen == [(world.patient.pk, [rows[0].pk])]
    assert Observation.objects.get().triaged_at is not None


@time_machine.travel(NOW, tick=False)
def test_untriaged_lists_what_the_hooks_missed(world) -> None:
    with transaction.atomic():
        observations_record(actor=world.idec, patient=world.patient, items=[_alt()], source="cure")
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert [o.code for o in selectors.untriaged()] == ["ALT"]
