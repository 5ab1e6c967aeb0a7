"""Gathering the day's visits from the registered sources (logistics.sources), with stand-in sources."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from parcours.core.errors import ValidationFailed
from parcours.logistics import services, sources
from parcours.logistics.models import HomeVisit
from parcours.logistics.sources import VisitProposal
from parcours.logistics.views import gather_messages


def _proposal(patient, ref: str, **kwargs: object) -> VisitProposal:  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "source_ref": ref,
        "patient_id": patient.pk,
        "kind": "follow_up",
        "window_start": dt.time(9),
        "window_end": dt.time(12),
        "duration_min": 30,
        "skills": (),
        "label": f"{patient.display_name} — {ref}",
    }
    args.update(kwargs)
    return VisitProposal(**args)  # type: ignore[arg-type]


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    """An empty source registry for the test (the apps' own sources are put back afterwards)."""
    found: dict = {}  # type: ignore[type-arg]
    monkeypatch.setattr(sources, "_sources", found)
    return found


def test_every_source_is_asked_and_a_failing_one_is_named_not_fatal(day, registry) -> None:  # type: ignore[no-untyped-def]
    p0, p1 = day.patients[0], day.patients[1]

    def broken(had, date):  # type: ignore[no-untyped-def]
        raise RuntimeError("down")

    sources.register_visit_source("good", lambda had, date: [_proposal(p0, "good:1")])
    sources.register_visit_source("broken", broken)
    sources.register_visit_source(
        "bags",
        lambda had, date: [
            _proposal(
                p1,
                "bags:1",
                kind="administration",
                skills=("immuno",),
                bag_pharmacy_id=day.pharmacy.pk,
                bag_ready=dt.time(8),
                bag_stability_min=240,
            )
        ],
    )
    report = services.visits_gather(actor=day.planner, had=day.had, date=day.date)
    assert sorted(v.source_ref for v in report.created) == ["bags:1", "good:1"]
    assert report.failed_sources == ["broken"]
    assert report.stale == []  # not judged while a source is down
    bag = HomeVisit.objects.get(source_ref="bags:1")
    assert (bag.bag_pharmacy_id, bag.bag_ready, bag.bag_stability_min) == (day.pharmacy.pk, dt.time(8), 240)
    levels = [text for _level, text in gather_messages(report)]
    assert any("broken" in t for t in levels)


def test_what_cannot_be_planned_is_reported_with_its_reason(day, registry) -> None:  # type: ignore[no-untyped-def]
    p = day.patients
    sources.register_visit_source(
        "s",
        lambda had, date: [
            _proposal(p[0], "s:problem", problem="Poche bloquée"),
            _proposal(p[1], "s:skill", skills=("astrology",)),
            _proposal(
                p[2],
                "s:expired",
                window_start=dt.time(14),
                window_end=dt.time(16),
                bag_pharmacy_id=day.pharmacy.pk,
                bag_ready=dt.time(8),
                bag_stability_min=60,
            ),
            _proposal(p[3], "s:ok"),
        ],
    )
    report = services.visits_gather(actor=day.planner, had=day.had, date=day.date)
    assert [v.source_ref for v in report.created] == ["s:ok"]
    reasons = {s.source_ref: s.reason for s in report.skipped}
    assert reasons["s:problem"] == "Poche bloquée"
    assert "astrology" in reasons["s:skill"]
    assert "stable" in reasons["s:expired"]
    text = " ".join(t for _l, t in gather_messages(report))
    assert "3 visites non ajoutées" in text and "Poche bloquée" in text


def test_a_visit_no_longer_proposed_is_reported_and_left_alone(day, registry) -> None:  # type: ignore[no-untyped-def]
    proposals = [_proposal(day.patients[0], "s:1"), _proposal(day.patients[1], "s:2")]
    sources.register_visit_source("s", lambda had, date: list(proposals))
    services.visits_gather(actor=day.planner, had=day.had, date=day.date)
    proposals.pop()
    report = services.visits_gather(actor=day.planner, had=day.had, date=day.date)
    assert [v.source_ref for v in report.stale] == ["s:2"]
    assert HomeVisit.objects.filter(source_ref="s:2", status="planned").exists()
    assert services.gather_pending(had=day.had, date=day.date) == 0


def test_the_database_refuses_a_second_visit_from_the_same_source_on_the_same_day(day) -> None:  # type: ignore[no-untyped-def]
    first = day.visits[2]
    first.source_ref = "cure:x"
    first.save(update_fields=["source_ref"])
    second = day.visits[3]
    second.source_ref = "cure:x"
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save(update_fields=["source_ref"])
    day.visits[4].source_ref = ""  # typed-in visits (no source) are many on a day
    day.visits[4].save(update_fields=["source_ref"])


def test_a_past_day_is_not_gathered(day, registry) -> None:  # type: ignore[no-untyped-def]
    sources.register_visit_source("s", lambda had, date: [_proposal(day.patients[0], "s:1")])
    with pytest.raises(ValidationFailed):
        services.visits_gather(actor=day.planner, had=day.had, date=day.date - dt.timedelta(days=7))
    assert not HomeVisit.objects.filter(source_ref="s:1").exists()
