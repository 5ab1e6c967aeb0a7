from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from parcours.accounts.models import Organisation, User
from parcours.logistics.enums import VisitKind
from parcours.logistics.models import HomeVisit, NurseShift
from parcours.patients.models import Patient
from parcours.testing.factories import OrganisationFactory, PatientFactory, UserFactory


@dataclass
class Day:
    had: Organisation
    pharmacy: Organisation
    planner: User
    nurses: list[User]
    visits: list[HomeVisit]
    date: dt.date
    patients: list[Patient]


def _shift(
    had: Organisation, nurse: User, date: dt.date, lat: float, lon: float, skills: list[str]
) -> NurseShift:
    return NurseShift.objects.create(
        had=had,
        nurse=nurse,
        date=date,
        start_time=dt.time(8),
        end_time=dt.time(17),
        start_latitude=lat,
        start_longitude=lon,
        end_latitude=lat,
        end_longitude=lon,
        skills=skills,
    )


@pytest.fixture
def day(db: None) -> Day:
    had = OrganisationFactory(had=True, name="HAD Test", service_area=["69"])
    pharmacy = Organisation.objects.create(kind="pharmacy", name="PUI Test", latitude=45.75, longitude=4.85)
    planner = UserFactory(role="logistician", organisation=had, username="planif")
    nurses = [
        UserFactory(role="had_nurse", organisation=had, username="ide1", first_name="Anne", last_name="Un"),
        UserFactory(role="idel", username="ide2", first_name="Bruno", last_name="Deux"),
    ]
    date = timezone.localdate() + dt.timedelta(days=1)
    _shift(had, nurses[0], date, 45.76, 4.84, ["immuno", "logistics"])
    _shift(had, nurses[1], date, 45.77, 4.88, ["etp"])
    patients, visits = [], []
    spots = [(45.765, 4.835), (45.755, 4.86), (45.78, 4.87), (45.74, 4.83), (45.77, 4.89)]
    for i, (lat, lon) in enumerate(spots):
        p = PatientFactory(hospital=None, had=had, latitude=lat, longitude=lon)
        patients.append(p)
        bag = i < 2
        visits.append(
            HomeVisit.objects.create(
                patient=p,
                had=had,
                date=date,
                kind=VisitKind.ADMINISTRATION if bag else (VisitKind.ETP if i == 4 else VisitKind.FOLLOW_UP),
                window_start=dt.time(9 + i),
                window_end=dt.time(12 + i),
                duration_min=45,
                skills=["immuno"] if bag else (["etp"] if i == 4 else []),
                bag_pharmacy=pharmacy if bag else None,
                bag_ready=dt.time(8, 30) if bag else None,
                bag_stability_min=360 if bag else None,
            )
        )
    return Day(
        had=had,
        pharmacy=pharmacy,
        planner=planner,
        nurses=nurses,
        visits=visits,
        date=date,
        patients=patients,
    )
