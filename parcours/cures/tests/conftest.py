"""Fixtures of the cures tests: a home-cure world on a fixed clock, labs and a clean triage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine

from parcours.accounts.models import Convention, Organisation, User
from parcours.accounts.responsibilities import default_matrix
from parcours.clinical.services import ObservationInput
from parcours.cures import gate, services
from parcours.cures.models import Cure, CurePlan
from parcours.notifications.tests.conftest import smtp_server  # noqa: F401 (fixture)
from parcours.pathways.models import PatientPathway
from parcours.patients.models import Patient
from parcours.testing.factories import UserFactory, add_member
from parcours.treatments.ok_gate import TriageSummary

# Monday 23 November 2026, 08:00 in Paris: today's cure starts at 09:00.
T0 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def lab_items(at: dt.datetime, **overrides: Decimal) -> list[ObservationInput]:
    """A complete, normal pre-cure checklist (values, units and reference ranges)."""
    rows = [
        ("NEUTROPHILS", "3.2", "10^9/L", "1.5", "7"),
        ("PLATELETS", "230", "10^9/L", "150", "400"),
        ("CREATININE", "80", "µmol/L", "45", "90"),
        ("ALT", "25", "U/L", "0", "40"),
        ("AST", "22", "U/L", "0", "40"),
        ("BILIRUBIN", "10", "µmol/L", "0", "17"),
        ("GLUCOSE", "5.2", "mmol/L", "3.9", "6.1"),
        ("TSH", "2.1", "mUI/L", "0.4", "4"),
    ]
    return [
        ObservationInput(
            kind="lab",
            code=code,
            value=overrides.get(code, Decimal(value)),
            unit=unit,
            observed_at=at,
            lower=Decimal(low),
            upper=Decimal(high),
        )
        for code, value, unit, low, high in rows
    ]


@dataclass
class CureWorld:
    hospital: Organisation
    had: Organisation
    pharmacy: Organisation
    oncologist: User
    had_physician: User
    pharmacist: User
    logistician: User
    nurse: User
    idec: User
    patient: Patient
    other_patient: Patient
    outsider: User

    def plan(self, **kwargs: object) -> CurePlan:
        args: dict[str, object] = {
            "actor": self.oncologist,
            "patient": self.patient,
            "regimen_id": "pembrolizumab_200mg_q3w",
            "start": TODAY,
            "pharmacy": self.pharmacy,
            "cycles": 4,
            "first_number": 5,
        }
        args.update(kwargs)
        return services.cure_plan_create(**args).plan  # type: ignore[arg-type]

    def first_cure(self, plan: CurePlan) -> Cure:
        return Cure.objects.filter(plan=plan).order_by("number").first()  # type: ignore[return-value]


@pytest.fixture
def clean_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        gate,
        "telemonitoring_status",
        lambda patient: (
            TriageSummary(hold_treatment=False, assessed_at=T0 - dt.timedelta(days=1)),
            (),
            False,
            "",
        ),
    )


@pytest.fixture
def cw(world, clock, clean_triage) -> CureWorld:  # type: ignore[no-untyped-def]
    pharmacy = Organisation.objects.create(kind="pharmacy", name="PUI Léon Bérard")
    Convention.objects.create(
        hospital=world.hospital, had=world.had, name="Convention", responsibilities=default_matrix()
    )
    pharmacist = UserFactory(role="pharmacist", organisation=pharmacy, username="pharma")
    logistician = UserFactory(role="logistician", organisation=world.had, username="logi")
    nurse = UserFactory(role="had_nurse", organisation=world.had, username="idehad")
    PatientPathway.objects.create(
        patient=world.patient,
        definition_key="clb_home_immunotherapy",
        definition_version=1,
        state="s2",
        state_entered_at=T0 - dt.timedelta(days=30),
        started_at=T0 - dt.timedelta(days=200),
    )
    world.patient.gp = UserFactory(role="gp", username="gp", email="gp@cabinet.example.org")
    world.patient.save()
    world.oncologist.email = "onco@clb.example.org"
    world.oncologist.save()
    add_member(world.other_patient, world.oncologist)
    return CureWorld(
        hospital=world.hospital,
        had=world.had,
        pharmacy=pharmacy,
        oncologist=world.oncologist,
        had_physician=world.had_physician,
        pharmacist=pharmacist,
        logistician=logistician,
        nurse=nurse,
        idec=world.idec,
        patient=world.patient,
        other_patient=world.other_patient,
        outsider=world.outsider,
    )


def run_to_delivered(cw: CureWorld, cure: Cure, traveller: time_machine.Traveller) -> Cure:
    """Labs, both OKs, preparation, release, pick-up, one reading, hand-over: the cure is at home."""
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=20)))
    services.cure_vitals_record(
        actor=cw.nurse, cure=cure, values={"TEMP": Decimal("36.8")}, observed_at=T0 - dt.timedelta(minutes=5)
    )
    services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    services.cure_ok_give(actor=cw.had_physician, cure=cure, kind="day_of_cure")
    services.cure_preparation_record(
        actor=cw.pharmacist, cure=cure, lot="LOT-42", prepared_at=T0 - dt.timedelta(minutes=1)
    )
    services.bag_release(actor=cw.pharmacist, cure=cure)
    traveller.shift(dt.timedelta(minutes=10))
    services.delivery_pickup(actor=cw.logistician, cure=cure)
    services.cold_chain_record(actor=cw.logistician, cure=cure, temperature_c=Decimal("5.1"))
    traveller.shift(dt.timedelta(minutes=30))
    services.delivery_handover(
        actor=cw.logistician, cure=cure, kit_antihistamine=True, kit_adrenaline=True, kit_corticosteroid=True
    )
    cure.refresh_from_db()
    return cure


def administer(cw: CureWorld, cure: Cure, traveller: time_machine.Traveller, **overrides: object) -> object:
    traveller.shift(dt.timedelta(minutes=60))
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
        "material_to_return": "Pompe et pied à perfusion",
    }
    args.update(overrides)
    return services.cure_administer(**args)  # type: ignore[arg-type]
