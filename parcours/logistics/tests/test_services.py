from __future__ import annotations

import datetime as dt

import pytest

from parcours.core.errors import Conflict, Forbidden, ValidationFailed
from parcours.logistics import services
from parcours.logistics.enums import RunStatus, VisitStatus
from parcours.logistics.models import HomeVisit, PlanRun
from parcours.optimiser.check import check_plan
from parcours.testing.factories import UserFactory


def _visits_of(plan: dict, nurse_key: str) -> list[str]:
    route = next((r for r in plan["routes"] if r["nurse"] == nurse_key), {"stops": []})
    return [s["visit"] for s in route["stops"] if s["type"] == "visit"]


def _run(day, capture, seconds: int = 2) -> PlanRun:  # type: ignore[no-untyped-def]
    with capture(execute=True):  # the task is queued on commit; the test queue runs it at once
        run = services.plan_run_request(actor=day.planner, had=day.had, date=day.date, time_limit_s=seconds)
    run.refresh_from_db()
    return run


def test_a_planning_run_places_every_visit_and_its_plan_passes_the_independent_checker(
    day, django_capture_on_commit_callbacks
) -> None:
    run = _run(day, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.DONE
    assert run.plan is not None
    assert run.plan["unassigned"] == []
    result = check_plan(run.instance, run.plan)
    assert result.ok, result.violations
    assert result.visits_placed == 5
    # the ETP visit needs a skill only the IDEL has; bag visits need "immuno", only the HAD nurse has it
    etp = str(day.visits[4].external_id)
    assert etp in _visits_of(run.plan, str(day.nurses[1].external_id))
    for bag_visit in day.visits[:2]:
        assert str(bag_visit.external_id) in _visits_of(run.plan, str(day.nurses[0].external_id))


def test_a_pinned_visit_goes_to_its_nurse_at_its_time(day, django_capture_on_commit_callbacks) -> None:
    follow_up = day.visits[2]
    services.visit_pin(actor=day.planner, visit=follow_up, nurse=day.nurses[1], start=dt.time(13, 15))
    run = _run(day, django_capture_on_commit_callbacks)
    nurse_key = str(day.nurses[1].external_id)
    assert str(follow_up.external_id) in _visits_of(run.plan, nurse_key)
    route = next(r for r in run.plan["routes"] if r["nurse"] == nurse_key)
    stop = next(s for s in route["stops"] if s.get("visit") == str(follow_up.external_id))
    assert stop["start"] == pytest.approx(13 * 60 + 15)
    assert check_plan(run.instance, run.plan).ok


def test_pinning_outside_the_agreed_window_is_refused_and_nothing_changes(day) -> None:
    visit = day.visits[2]
    with pytest.raises(ValidationFailed) as exc:
        services.visit_pin(actor=day.planner, visit=visit, nurse=None, start=dt.time(7, 0))
    assert "start" in exc.value.field_errors
    visit.refresh_from_db()
    assert visit.pinned_start is None


def test_only_planners_of_the_hads_own_team_may_plan(day) -> None:
    nurse = day.nurses[0]
    with pytest.raises(Forbidden):
        services.plan_run_request(actor=nurse, had=day.had, date=day.date, time_limit_s=5)
    other_had_planner = UserFactory(role="logistician", organisation=day.pharmacy)
    with pytest.raises(Forbidden):
        services.visit_cancel(actor=other_had_planner, visit=day.visits[0], reason="x")
    assert PlanRun.objects.count() == 0


@pytest.mark.parametrize("seconds", [0, 601])
def test_time_limit_out_of_range_is_refused(day, seconds: int) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.plan_run_request(actor=day.planner, had=day.had, date=day.date, time_limit_s=seconds)
    assert "time_limit_s" in exc.value.field_errors
    assert PlanRun.objects.count() == 0


def test_a_day_without_visits_cannot_be_planned(day) -> None:
    with pytest.raises(ValidationFailed):
        services.plan_run_request(
            actor=day.planner, had=day.had, date=day.date + dt.timedelta(days=3), time_limit_s=5
        )


def test_cancelling_needs_a_reason_and_is_on_the_patient_timeline(day) -> None:
    visit = day.visits[3]
    with pytest.raises(ValidationFailed):
        services.visit_cancel(actor=day.planner, visit=visit, reason="  ")
    services.visit_cancel(actor=day.planner, visit=visit, reason="Patient hospitalisé")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    assert visit.patient.timeline.filter(kind="visit.cancelled", reason="Patient hospitalisé").exists()
    with pytest.raises(Conflict):
        services.visit_cancel(actor=day.planner, visit=visit, reason="encore")


def test_replanning_after_a_cancellation_keeps_started_visits_and_frees_the_slot(
    day, django_capture_on_commit_callbacks
) -> None:
    run = _run(day, django_capture_on_commit_callbacks)
    starts = {
        s["visit"]: (r["nurse"], s["start"])
        for r in run.plan["routes"]
        for s in r["stops"]
        if s["type"] == "visit"
    }
    first_visit, (first_nurse, first_start) = min(starts.items(), key=lambda kv: kv[1][1])
    cancelled = next(v for v in day.visits if str(v.external_id) != first_visit)
    services.visit_cancel(actor=day.planner, visit=cancelled, reason="Annulée par le patient")
    now = dt.time(int(first_start // 60), int(first_start % 60) + 1 if first_start % 60 < 59 else 59)
    replanned = services.replan_day(actor=day.planner, had=day.had, date=day.date, now=now)
    plan = replanned.plan
    assert {"visit": str(cancelled.external_id), "reason": "cancelled"} in plan["unassigned"]
    after = {
        s["visit"]: (r["nurse"], s["start"])
        for r in plan["routes"]
        for s in r["stops"]
        if s["type"] == "visit"
    }
    assert after[first_visit] == (first_nurse, first_start)  # already started: not moved
    assert check_plan(replanned.instance, plan).ok


def test_replanning_without_a_plan_is_refused(day) -> None:
    with pytest.raises(Conflict):
        services.replan_day(actor=day.planner, had=day.had, date=day.date)


def test_a_run_in_progress_blocks_a_second_one_and_can_be_stopped(day) -> None:
    run = PlanRun.objects.create(
        had=day.had, date=day.date, requested_by=day.planner, status=RunStatus.RUNNING
    )
    with pytest.raises(Conflict):
        services.plan_run_request(actor=day.planner, had=day.had, date=day.date, time_limit_s=5)
    services.plan_run_stop(actor=day.planner, run=run)
    run.refresh_from_db()
    assert run.stop_requested
    assert HomeVisit.objects.count() == 5


def test_a_stop_request_ends_the_search_early_with_a_valid_plan(day) -> None:
    import time

    from parcours.logistics import solving
    from parcours.logistics.adapter import build_instance

    shifts, visits, pharmacies = services.day_inputs(had=day.had, date=day.date)
    instance = build_instance(date=day.date, shifts=shifts, visits=visits, pharmacies=pharmacies)
    t0 = time.perf_counter()
    plan = solving.solve_instance(instance, time_limit_s=30, seed=1, should_stop=lambda: True)
    assert time.perf_counter() - t0 < 10  # far below the 30 s budget
    assert check_plan(instance, plan).ok


def test_a_planner_adds_a_visit_with_a_bag_and_bad_input_writes_nothing(day) -> None:
    patient = day.patients[0]
    args = {
        "actor": day.planner,
        "had": day.had,
        "patient": patient,
        "date": day.date,
        "kind": "administration",
        "window_start": dt.time(10),
        "window_end": dt.time(12),
        "duration_min": 60,
        "skills": ["immuno"],
        "bag_pharmacy": day.pharmacy,
        "bag_ready": dt.time(9),
        "bag_stability_min": 240,
    }
    before = HomeVisit.objects.count()
    for bad, field in (
        ({"window_end": dt.time(9)}, "window_end"),
        ({"skills": ["chirurgie"]}, "skills"),
        ({"bag_ready": None}, "bag_pharmacy"),
        ({"bag_stability_min": 30}, "bag_stability_min"),  # expired before the window opens
        ({"duration_min": 2}, "duration_min"),
        ({"date": day.date - dt.timedelta(days=5)}, "date"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            services.visit_create(**{**args, **bad})
        assert field in exc.value.field_errors, (bad, exc.value.field_errors)
    assert HomeVisit.objects.count() == before
    visit = services.visit_create(**args)
    assert visit.bag_pharmacy == day.pharmacy and visit.skills == ["immuno"]


def test_a_planner_puts_a_nurse_on_the_day_once(day) -> None:
    nurse = UserFactory(role="idel", username="ide3")
    with pytest.raises(ValidationFailed) as exc:
        services.shift_create(
            actor=day.planner,
            had=day.had,
            nurse=nurse,
            date=day.date,
            start_time=dt.time(8),
            end_time=dt.time(16),
            skills=["etp"],
        )
    assert "start_point" in exc.value.field_errors  # no organisation address to start from
    shift = services.shift_create(
        actor=day.planner,
        had=day.had,
        nurse=nurse,
        date=day.date,
        start_time=dt.time(8),
        end_time=dt.time(16),
        skills=["etp"],
        start_point=(45.75, 4.85),
    )
    assert shift.start_latitude == 45.75
    with pytest.raises(ValidationFailed) as exc:
        services.shift_create(
            actor=day.planner,
            had=day.had,
            nurse=nurse,
            date=day.date,
            start_time=dt.time(8),
            end_time=dt.time(16),
            skills=[],
            start_point=(45.75, 4.85),
        )
    assert "nurse" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.shift_create(
            actor=day.planner,
            had=day.had,
            nurse=day.planner,
            date=day.date,
            start_time=dt.time(8),
            end_time=dt.time(16),
            skills=[],
            start_point=(45.75, 4.85),
        )
    assert "nurse" in exc.value.field_errors
