"""Services of the cures app: prescription, calendar, the whole home-cure workflow and its safety rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from parcours.audit.models import AuditEvent
from parcours.clinical.models import Observation
from parcours.core.errors import Conflict, Forbidden, StaleEdit, TransitionRefused, ValidationFailed
from parcours.cures import gate, services
from parcours.cures.models import Administration, Bag, Cure, CureEvent, OkDecision
from parcours.cures.tests.conftest import T0, TODAY, CureWorld, lab_items, run_to_delivered
from parcours.patients.models import TimelineEvent

pytestmark = pytest.mark.django_db
REAL_STATUS = gate.telemonitoring_status  # before the fixtures replace it with a clean triage


def _administer(cw: CureWorld, cure: Cure, **overrides: object) -> Administration:
    args: dict[str, object] = {
        "actor": cw.nurse,
        "cure": cure,
        "patient": cw.patient,
        "identity_checked": True,
        "started_at": T0 + dt.timedelta(minutes=45),
        "ended_at": T0 + dt.timedelta(minutes=75),
        "lot": "LOT-42",
        "dasri_disposed": True,
        "vitals_before": {"TEMP": Decimal("36.9"), "SBP": Decimal("125")},
        "vitals_after": {"TEMP": Decimal("37.0"), "SBP": Decimal("122")},
        "tolerance": "Bonne tolérance",
    }
    args.update(overrides)
    return services.cure_administer(**args)  # type: ignore[arg-type]


def test_prescription_lays_out_the_cures_at_home_in_sequence_2_with_their_lab_windows(cw: CureWorld) -> None:
    plan = cw.plan()
    cures = list(Cure.objects.filter(plan=plan).order_by("number"))
    assert [c.number for c in cures] == [5, 6, 7, 8]
    assert [c.date for c in cures] == [TODAY + dt.timedelta(days=21 * i) for i in range(4)]
    assert {c.place for c in cures} == {"home"}
    assert cures[0].planned_start - cures[0].lab_window_opens == dt.timedelta(hours=72)
    assert plan.regimen_version == 1 and plan.drug == "pembrolizumab"
    assert TimelineEvent.objects.filter(patient=cw.patient, kind="cure.prescribed").exists()


def test_a_dose_off_the_regimen_needs_a_written_confirmation_which_is_traced(cw: CureWorld) -> None:
    with pytest.raises(ValidationFailed) as exc:
        cw.plan(dose_mg=Decimal("180"))
    assert "180 mg" in exc.value.field_errors["confirm_reason"][0]
    assert not Cure.objects.exists()
    plan = cw.plan(dose_mg=Decimal("180"), confirm_reason="Insuffisance rénale, dose réduite en RCP")
    assert {c["reason"] for c in plan.confirmations} == {"Insuffisance rénale, dose réduite en RCP"}
    assert {w["code"] for w in plan.warnings} == {"dose_mismatch"}


def test_an_interval_off_the_regimen_also_needs_confirmation(cw: CureWorld) -> None:
    with pytest.raises(ValidationFailed):
        cw.plan(interval_days=28)


def test_a_first_cure_at_home_is_flagged(cw: CureWorld) -> None:
    with pytest.raises(ValidationFailed) as exc:
        cw.plan(first_number=1)
    assert "hôpital de jour" in exc.value.field_errors["confirm_reason"][0]


def test_only_a_prescriber_prescribes(cw: CureWorld) -> None:
    with pytest.raises(Forbidden):
        cw.plan(actor=cw.idec)


def test_postponing_a_cure_shifts_the_following_ones_and_says_so(cw: CureWorld) -> None:
    plan = cw.plan()
    second = Cure.objects.get(plan=plan, number=6)
    result = services.cure_postpone(actor=cw.oncologist, cure=second, days=7, reason="Colite grade 1")
    dates = dict(Cure.objects.filter(plan=plan).values_list("number", "date"))
    assert dates == {
        5: TODAY,
        6: TODAY + dt.timedelta(days=28),
        7: TODAY + dt.timedelta(days=49),
        8: TODAY + dt.timedelta(days=70),
    }
    assert "reportée de 7 jour(s)" in result.message and "2 cure(s) suivante(s)" in result.message
    assert [c["number"] for c in result.changes] == [6, 7, 8]
    second.refresh_from_db()
    assert second.status == "planned" and second.shifted_by_days == 7
    event = TimelineEvent.objects.get(patient=cw.patient, kind="cure.postponed")
    assert event.reason == "Colite grade 1"
    assert CureEvent.objects.filter(cure__plan=plan, event="shift").count() == 2


def test_postponing_needs_a_reason_and_clears_the_oks(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    with pytest.raises(ValidationFailed):
        services.cure_postpone(actor=cw.oncologist, cure=cure, days=7, reason=" ")
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    services.cure_postpone(actor=cw.oncologist, cure=cure, days=2, reason="Patient absent")
    assert OkDecision.objects.filter(cure=cure, revoked_at__isnull=True).count() == 0


def test_the_whole_home_cure_reaches_administered_and_every_step_is_logged(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    assert cure.status == "delivered"
    clock.shift(dt.timedelta(minutes=60))
    admin = _administer(cw, cure)
    cure.refresh_from_db()
    assert cure.status == "administered"
    assert admin.vitals_before == {"TEMP": "36.9", "SBP": "125"}
    events = list(CureEvent.objects.filter(cure=cure).values_list("event", "to_status"))
    assert [e for e, _ in events] == [
        "open_lab_window",
        "labs_received",
        "give_ok",
        "give_ok",
        "start_preparation",
        "release_bag",
        "start_delivery",
        "deliver",
        "administer",
    ]
    assert events[2][1] == "ready_for_ok" and events[3][1] == "ok_given"
    assert all(CureEvent.objects.filter(cure=cure).values_list("actor_label", flat=True))
    assert Observation.objects.filter(patient=cw.patient, kind="vital", source="cure").count() == 5
    assert Observation.objects.filter(kind="lab", context=str(cure.external_id)).count() == 8
    assert AuditEvent.objects.filter(
        action="transition", detail__event="administer", patient_id=cw.patient.pk
    ).exists()


def test_double_administration_is_refused(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    clock.shift(dt.timedelta(minutes=60))
    _administer(cw, cure)
    with pytest.raises(TransitionRefused) as exc:
        _administer(cw, cure)
    assert "already_administered" in [u.id for u in exc.value.unmet]
    assert Administration.objects.count() == 1


def test_administration_without_ok_is_refused_whatever_the_entry_point(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    OkDecision.objects.filter(cure=cure).update(valid_until=T0)  # the OKs lapse
    clock.shift(dt.timedelta(minutes=60))
    with pytest.raises(TransitionRefused) as exc:
        _administer(cw, cure)
    assert "ok_missing" in [u.id for u in exc.value.unmet]
    cure.refresh_from_db()
    assert cure.status == "delivered" and not Administration.objects.exists()
    assert not Observation.objects.filter(kind="vital", observed_at__gt=T0).exists()


def test_a_cold_chain_excursion_blocks_the_bag_and_the_administration(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    services.cold_chain_record(actor=cw.logistician, cure=cure, temperature_c=Decimal("12.5"))
    bag = Bag.objects.get(cure=cure)
    assert bag.blocked_at is not None and "12.5" in bag.blocked_reason
    clock.shift(dt.timedelta(minutes=60))
    with pytest.raises(TransitionRefused) as exc:
        _administer(cw, cure)
    assert "cold_chain_excursion" in [u.id for u in exc.value.unmet]


def test_an_expired_bag_blocks_the_administration(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    Bag.objects.filter(cure=cure).update(
        deadline=T0 + dt.timedelta(minutes=44), latest_start=T0 + dt.timedelta(minutes=14)
    )
    clock.shift(dt.timedelta(minutes=60))
    with pytest.raises(TransitionRefused) as exc:
        _administer(cw, cure)
    assert "bag_expired" in [u.id for u in exc.value.unmet]


def test_future_timestamps_are_refused(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    with pytest.raises(ValidationFailed) as exc:
        _administer(cw, cure, started_at=T0 + dt.timedelta(hours=3), ended_at=T0 + dt.timedelta(hours=4))
    assert "started_at" in exc.value.field_errors


def test_the_lot_must_match_the_released_bag_and_a_reaction_needs_its_actions(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    clock.shift(dt.timedelta(minutes=60))
    with pytest.raises(ValidationFailed) as exc:
        _administer(cw, cure, lot="LOT-43", reaction_grade=2, identity_checked=False, dasri_disposed=False)
    assert set(exc.value.field_errors) == {"lot", "immediate_actions", "identity_checked", "dasri_disposed"}


def test_ok_on_another_patients_cure_is_refused(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    with pytest.raises(Forbidden):
        services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle", patient=cw.other_patient)
    assert not OkDecision.objects.exists()


def test_the_ok_gate_lists_every_unmet_condition_and_only_a_doctor_overrides(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    items = lab_items(T0 - dt.timedelta(hours=3), NEUTROPHILS=Decimal("0.8"))
    services.cure_labs_record(actor=cw.idec, cure=cure, items=items)
    with pytest.raises(TransitionRefused) as exc:
        services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    assert "lab_grade:NEUTROPHILS" in [u.id for u in exc.value.unmet]
    ok = services.cure_ok_give(
        actor=cw.oncologist, cure=cure, kind="cycle", override_reason="Neutropénie ethnique connue, stable"
    )
    assert ok.overridden == ["lab_grade:NEUTROPHILS"]
    assert ok.override_reason.startswith("Neutropénie")


def test_the_convention_names_who_gives_each_ok(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    with pytest.raises(TransitionRefused) as exc:
        services.cure_ok_give(actor=cw.had_physician, cure=cure, kind="cycle")
    assert "party_not_allowed" in [u.id for u in exc.value.unmet]


def test_lab_values_without_unit_are_refused_and_nothing_is_written(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    items = lab_items(T0 - dt.timedelta(hours=3))
    items[2] = type(items[2])(
        kind="lab", code="CREATININE", value=Decimal(80), unit="", observed_at=T0, upper=Decimal(90)
    )
    with pytest.raises(ValidationFailed) as exc:
        services.cure_labs_record(actor=cw.idec, cure=cure, items=items)
    assert "items[2].unit" in exc.value.field_errors
    assert not Observation.objects.exists()
    cure.refresh_from_db()
    assert cure.status == "planned"


def test_a_stale_version_is_refused(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    with pytest.raises(StaleEdit):
        services.cure_labs_record(
            actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)), expected_version=99
        )


def test_preparation_needs_a_valid_ok_and_the_right_pharmacy(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    with pytest.raises(TransitionRefused):
        services.cure_preparation_record(actor=cw.pharmacist, cure=cure, lot="L1", prepared_at=T0)
    assert not Bag.objects.exists()


def test_nivolumab_needs_a_local_stability_limit(cw: CureWorld) -> None:
    plan = cw.plan(regimen_id="nivolumab_240mg_q2w", cycles=2)
    cure = cw.first_cure(plan)
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    services.cure_vitals_record(actor=cw.nurse, cure=cure, values={"TEMP": Decimal("36.8")}, observed_at=T0)
    services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    services.cure_ok_give(actor=cw.had_physician, cure=cure, kind="day_of_cure")
    with pytest.raises(ValidationFailed) as exc:
        services.cure_preparation_record(actor=cw.pharmacist, cure=cure, lot="N1", prepared_at=T0)
    assert "local_limit_hours" in exc.value.field_errors
    bag = services.cure_preparation_record(
        actor=cw.pharmacist,
        cure=cure,
        lot="N1",
        prepared_at=T0,
        local_limit_hours=24,
        local_limit_reason="Protocole PUI 2026-04",
    )
    assert bag.deadline == T0 + dt.timedelta(hours=24) and bag.basis == "local"


def test_handover_needs_the_anti_allergy_kit(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    with pytest.raises(ValidationFailed) as exc:
        services.delivery_handover(
            actor=cw.logistician,
            cure=cure,
            kit_antihistamine=True,
            kit_adrenaline=False,
            kit_corticosteroid=False,
        )
    assert set(exc.value.field_errors) == {"kit_adrenaline", "kit_corticosteroid"}


def test_cancel_needs_a_reason_and_ends_the_cure(cw: CureWorld) -> None:
    cure = cw.first_cure(cw.plan())
    with pytest.raises(TransitionRefused):
        services.cure_cancel(actor=cw.oncologist, cure=cure, reason="")
    services.cure_cancel(actor=cw.oncologist, cure=cure, reason="Progression")
    cure.refresh_from_db()
    assert cure.status == "cancelled"
    with pytest.raises(Conflict):
        services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0))


def test_the_lab_windows_open_periodically(cw: CureWorld) -> None:
    plan = cw.plan()
    assert services.cures_open_lab_windows() == 1
    assert Cure.objects.get(plan=plan, number=5).status == "labs_due"


def test_conflict_on_a_second_preparation(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    with pytest.raises((Conflict, TransitionRefused)):
        services.cure_preparation_record(actor=cw.pharmacist, cure=cure, lot="X", prepared_at=T0)


def test_a_refused_step_is_traced_although_nothing_is_written(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    OkDecision.objects.filter(cure=cure).update(valid_until=T0)
    clock.shift(dt.timedelta(minutes=60))
    with pytest.raises(TransitionRefused):
        _administer(cw, cure)
    denied = AuditEvent.objects.get(action="denied", object_id=str(cure.external_id))
    assert denied.detail["event"] == "administer" and "ok_missing" in denied.detail["reasons"]


@pytest.mark.parametrize(
    "regimen_id",
    [
        "pembrolizumab_200mg_q3w",
        "atezolizumab_1200mg_q3w",
        "durvalumab_1500mg_q4w",
        "cemiplimab_350mg_q3w",
        "dostarlimab_500mg_q3w_x4_then_1000mg_q6w",
    ],
)
def test_the_bag_deadline_follows_each_drugs_stability_data(cw: CureWorld, regimen_id: str) -> None:
    from parcours.treatments.regimens import load_builtin_regimens
    from parcours.treatments.stability import stability_deadline

    cure = cw.first_cure(cw.plan(regimen_id=regimen_id, cycles=1, first_number=2))
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    services.cure_vitals_record(actor=cw.nurse, cure=cure, values={"TEMP": Decimal("36.8")}, observed_at=T0)
    services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    services.cure_ok_give(actor=cw.had_physician, cure=cure, kind="day_of_cure")
    for storage in ("refrigerated",):
        bag = services.cure_preparation_record(
            actor=cw.pharmacist, cure=cure, lot="S1", prepared_at=T0, storage=storage, aseptic_validated=True
        )
        drug = load_builtin_regimens().regimen(regimen_id).drug
        expected = stability_deadline(
            drug,
            storage=storage,
            prepared_at=T0,
            aseptic_validated=True,
            infusion_minutes=cure.infusion_minutes,
        )
        assert bag.deadline == expected.deadline and bag.latest_start == expected.latest_start
        assert bag.deadline > T0 and bag.allowed_max_c == Decimal(8)


def test_without_a_telemonitoring_triage_the_gate_says_so(
    cw: CureWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parcours.cures import gate
    from parcours.cures.tests import conftest

    monkeypatch.setattr(gate, "telemonitoring_status", REAL_STATUS)  # this patient was never triaged
    assert gate.telemonitoring_status(cw.patient)[0] is None
    cure = cw.first_cure(cw.plan())
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=3)))
    result, hold_open, _why = services.gate_for(cure, "cycle")
    assert [c.id for c in result.unmet] == ["triage_hold"] and not hold_open
    assert conftest.T0 == T0


def test_an_unqualified_nurse_is_refused_when_the_qualification_is_required(
    cw: CureWorld, clock, settings
) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    settings.PARCOURS_CURES_REQUIRE_QUALIFICATION = True
    clock.shift(dt.timedelta(minutes=60))
    with pytest.raises(Forbidden) as exc:
        _administer(cw, cure)
    assert "Formation" in exc.value.message
    assert AuditEvent.objects.filter(action="denied", detail__reason="not_qualified").exists()
