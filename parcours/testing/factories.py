"""factory_boy factories for the test suites.

Roles come from data (migration ``accounts/0002_roles``), so ``UserFactory(role="idec")`` looks the role up.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import factory
from django.utils import timezone

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, Role, User
from parcours.patients.enums import IdentityStatus
from parcours.patients.ins import make_ins
from parcours.patients.models import CareTeamMembership, Patient

_nir_serial = itertools.count(1)
PASSWORD = "motdepasse"  # noqa: S105 (test fixtures only)


def next_ins(sex: str = "2") -> str:
    """A fresh, valid INS (NIR + key); unique within a test session."""
    serial = next(_nir_serial)
    # sex, year 60, month 05, department 69, commune 123, order number from the serial
    return make_ins(f"{sex}6005691{serial % 100:02d}{serial // 100 % 1000:03d}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.HOSPITAL
    name = factory.Sequence(lambda n: f"Centre hospitalier {n}")
    postcode = "69008"
    city = "Lyon"
    service_area: Any = factory.LazyFunction(list)

    class Params:
        had = factory.Trait(
            kind=OrganisationKind.HAD,
            name=factory.Sequence(lambda n: f"HAD du Rhône {n}"),
            service_area=factory.LazyFunction(lambda: ["69"]),
        )


class UserFactory(factory.django.DjangoModelFactory):
    """``UserFactory(role="idec")``: the role code is resolved to the Role row; password "motdepasse"."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    role: Any = "idec"
    organisation = None

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        role = kwargs.get("role")
        if isinstance(role, str):
            kwargs["role"] = Role.objects.get(code=role)
        password = kwargs.pop("password", PASSWORD)
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.save()
        return user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    birth_name = factory.Sequence(lambda n: f"DUPONT{n}")
    given_names = "Marie"
    sex = "F"
    birth_date = dt.date(1960, 5, 17)
    ins = factory.LazyFunction(next_ins)
    identity_status = IdentityStatus.VALIDATED
    postcode = "69003"
    city = "Lyon"


def add_member(patient: Patient, user: User, *, until: dt.datetime | None = None) -> CareTeamMembership:
    """Put ``user`` on ``patient``'s care team (directly, without service, audit or timeline)."""
    return CareTeamMembership.objects.create(
        patient=patient, user=user, team_role=str(user.role or ""), since=timezone.now(), until=until
    )
