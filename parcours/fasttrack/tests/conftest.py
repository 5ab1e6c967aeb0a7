"""Fixtures of the fast-track tests: a coordinator, resources with sanctuarised/shared/emergency slots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone

from parcours.accounts.models import User
from parcours.fasttrack import services
from parcours.fasttrack.models import DayTemplate, Referral, Resource, Slot
from parcours.testing.factories import UserFactory

PARIS = dt.timezone(dt.timedelta(hours=1))
# A Monday morning in Paris (winter time); tests travel here with time-machine.
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


def make_input(**over: object) -> services.ReferralInput:
    data: dict[str, object] = {
        "pathway": "pancreas",
        "referrer_name": "Dr Anne Généraliste",
        "referrer_email": "dr.generaliste@medecin.mssante.fr",
        "referrer_phone": "0472000000",
        "patient_birth_name": "Lefèvre",
        "patient_given_names": "Paul",
        "patient_birth_date": dt.date(1950, 4, 2),
        "patient_sex": "M",
        "patient_phone": "0601020304",
        "first_symptoms_date": dt.date(2026, 2, 10),
        "suspicion": "Ictère indolore, amaigrissement de 6 kg, masse de la tête du pancréas au scanner.",
        "exams_done": ["ct_tap", "bloods", "markers"],
        "urgency": "urgent",
    }
    data.update(over)
    return services.ReferralInput(**data)  # type: ignore[arg-type]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Ft:
    coordinator: User
    secretary: User
    gp: User
    ct: Resource
    mri: Resource
    consult: Resource
    biopsy: Resource
    template: DayTemplate
    day: dt.date  # Wednesday of the test week


def slot(resource: Resource, day: dt.date, hour: int, minute: int = 0, **kw: object) -> Slot:
    start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())
    return Slot.objects.create(
        resource=resource, start=start, day=day, end=start + dt.timedelta(minutes=45), **kw
    )


@pytest.fixture
def ft(db: None) -> Ft:
    coordinator = UserFactory(role="idec", username="coord", first_name="Inès", last_name="Coord")
    secretary = UserFactory(role="secretary", username="secr")
    gp = UserFactory(role="gp", username="dr.gp")
    ct = Resource.objects.create(name="Scanner 1", kind="ct")
    mri = Resource.objects.create(name="IRM 1", kind="mri", release_hours=24)
    consult = Resource.objects.create(name="Consultation oncologie", kind="consult_onco")
    biopsy = Resource.objects.create(name="Biopsie radiologique", kind="biopsy")
    day = dt.date(2026, 3, 4)
    template = DayTemplate.objects.create(
        name="Journée pancréas",
        pathway="pancreas",
        steps=[
            {"day": 1, "kind": "consult_onco"},
            {"day": 1, "kind": "ct"},
            {"day": 1, "kind": "mri"},
            {"day": 2, "kind": "biopsy"},
        ],
    )
    return Ft(coordinator, secretary, gp, ct, mri, consult, biopsy, template, day)


def accepted(ft: Ft, **over: object) -> Referral:
    referral = services.referral_submit(actor=None, data=make_input(**over))
    return services.referral_accept(actor=ft.coordinator, referral=referral)


@pytest.fixture
def at_now() -> Iterator[object]:
    """Freeze the clock at NOW (a Monday, 09:00 Paris)."""
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
