"""Demo data of the cures app: regimens prescribed to patients cared for at home (CLB sequences 2 and 3), with
today's home cures in every state of their life cycle.

Every step goes through the services (so the demo obeys the same safety rules); the morning is simulated by
moving the project clock (``parcours.core.clock.now``) from 06:00 to the moment of each step.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.utils import timezone

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.clinical.services import ObservationInput
from parcours.core import clock
from parcours.core.errors import DomainError
from parcours.cures import services
from parcours.cures.models import Cure
from parcours.pathways.models import PatientPathway
from parcours.patients.models import CareTeamMembership, Patient

REGIMENS = [
    ("pembrolizumab_200mg_q3w", None),
    ("pembrolizumab_400mg_q6w", None),
    ("nivolumab_480mg_q4w", 24),
    ("atezolizumab_1200mg_q3w", None),
    ("durvalumab_1500mg_q4w", None),
    ("cemiplimab_350mg_q3w", None),
]
# how far today's cure goes (share of the demo patients)
STAGES = [
    ("planned", 0.15),
    ("labs", 0.15),
    ("ok_cycle", 0.10),
    ("ok_given", 0.12),
    ("prepared", 0.08),
    ("released", 0.08),
    ("in_delivery", 0.07),
    ("delivered", 0.10),
    ("administered", 0.10),
    ("postponed", 0.05),
]
ORDER = [s for s, _w in STAGES]
OVERRIDE = "OK donné après appel du patient et examen clinique (démo : pas de triage de télésurveillance)"


def _labs(at: dt.datetime, rng: random.Random) -> list[ObservationInput]:
    rows = [
        ("NEUTROPHILS", f"{rng.uniform(2.0, 6.0):.1f}", "10^9/L", "1.5", "7"),
        ("PLATELETS", f"{rng.randint(160, 380)}", "10^9/L", "150", "400"),
        ("CREATININE", f"{rng.randint(55, 88)}", "µmol/L", "45", "90"),
        ("ALT", f"{rng.randint(12, 38)}", "U/L", "0", "40"),
        ("AST", f"{rng.randint(12, 38)}", "U/L", "0", "40"),
        ("BILIRUBIN", f"{rng.randint(5, 16)}", "µmol/L", "0", "17"),
        ("GLUCOSE", f"{rng.uniform(4.2, 6.0):.1f}", "mmol/L", "3.9", "6.1"),
        ("TSH", f"{rng.uniform(0.6, 3.5):.2f}", "mUI/L", "0.4", "4"),
    ]
    return [
        ObservationInput("lab", code, Decimal(v), unit, at, Decimal(lo), Decimal(hi))
        for code, v, unit, lo, hi in rows
    ]


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    with (
        mock.patch.object(clock, "now", lambda: moment),
        mock.patch.object(clock, "today", lambda: timezone.localdate(moment)),
    ):
        yield


def _member(patient: Patient, role: str) -> User | None:
    row = (
        CareTeamMembership.objects.filter(patient=patient, until__isnull=True, user__role__code=role)
        .select_related("user", "user__organisation")
        .first()
    )
    return row.user if row is not None else None


def _staff(role: str, org: Organisation | None) -> User | None:
    if org is None:
        return None
    return User.objects.filter(role__code=role, organisation=org, is_active=True).order_by("id").first()


def load_demo(*, seed: int, progress: Callable[[str], None], limit: int = 120) -> None:
    """Prescribe regimens to up to ``limit`` home-care patients and play today's cures up to various states."""
    rng = random.Random(seed + 3)
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    morning = dt.datetime.combine(today, dt.time(6, 0), tzinfo=tz)
    pharmacies = list(Organisation.objects.filter(kind=OrganisationKind.PHARMACY).order_by("id"))
    if not pharmacies:
        progress("cures: no pharmacy in the demo, nothing done")
        return
    home_ids = PatientPathway.objects.filter(
        definition_key="clb_home_immunotherapy", state__in=["s2", "s3"], ended_at__isnull=True
    ).values_list("patient_id", flat=True)
    patients = list(
        Patient.objects.filter(pk__in=home_ids, had__isnull=False, hospital__isnull=False)
        .select_related("hospital", "had")
        .order_by("id")[:limit]
    )
    stages = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES], k=len(patients))
    done = 0
    for patient, stage in zip(patients, stages, strict=True):
        onco = _member(patient, "oncologist")
        had_md = _member(patient, "had_physician")
        assert patient.hospital is not None
        pharmacy = next((p for p in pharmacies if p.postcode == patient.hospital.postcode), pharmacies[0])
        pharmacist = _staff("pharmacist", pharmacy)
        logistician = _staff("logistician", patient.had)
        nurse = _staff("had_nurse", patient.had) or _member(patient, "idel")
        idec = _member(patient, "idec")
        if None in (onco, had_md, pharmacist, logistician, nurse, idec):
            continue
        assert onco and had_md and pharmacist and logistician and nurse and idec
        regimen_id, local_limit = rng.choice(REGIMENS)
        try:
            with _at(morning - dt.timedelta(days=3)):
                plan = services.cure_plan_create(
                    actor=onco,
                    patient=patient,
                    regimen_id=regimen_id,
                    start=today,
                    pharmacy=pharmacy,
                    cycles=None,
                    first_number=rng.randint(5, 12),
                ).plan
            cure = Cure.objects.filter(plan=plan).order_by("number").first()
            assert cure is not None
            _play(
                cure,
                ORDER.index(stage) if stage != "postponed" else -1,
                morning,
                rng,
                local_limit,
                onco=onco,
                had_md=had_md,
                pharmacist=pharmacist,
                logistician=logistician,
                nurse=nurse,
                idec=idec,
            )
            done += 1
        except DomainError as exc:
            progress(f"cures: {patient.display_name}: {exc.message}")
    progress(f"cures: {done} patients with a regimen and a cure today")


def _play(
    cure: Cure,
    level: int,
    morning: dt.datetime,
    rng: random.Random,
    local_limit: int | None,
    *,
    onco: User,
    had_md: User,
    pharmacist: User,
    logistician: User,
    nurse: User,
    idec: User,
) -> None:
    t = morning

    def step(minutes: int) -> dt.datetime:
        nonlocal t
        t = t + dt.timedelta(minutes=minutes)
        return t

    if level == -1:
        with _at(step(5)):
            services.cure_postpone(actor=onco, cure=cure, days=7, reason="Patient indisponible (démo)")
        return
    if level < ORDER.index("labs"):
        return
    with _at(step(0)):
        services.cure_labs_record(actor=idec, cure=cure, items=_labs(morning - dt.timedelta(hours=20), rng))
    if level < ORDER.index("ok_cycle"):
        return
    with _at(step(20)):
        _ok(cure, onco, "cycle")
    if level < ORDER.index("ok_given"):
        return
    with _at(step(15)):
        services.cure_vitals_record(
            actor=nurse,
            cure=cure,
            values={"TEMP": Decimal("36.7"), "SBP": Decimal(rng.randint(110, 140))},
            observed_at=t,
        )
        _ok(cure, had_md, "day_of_cure")
    if level < ORDER.index("prepared"):
        return
    with _at(step(25)):
        services.cure_preparation_record(
            actor=pharmacist,
            cure=cure,
            lot=f"L{rng.randint(10000, 99999)}",
            prepared_at=t - dt.timedelta(minutes=5),
            local_limit_hours=local_limit,
            local_limit_reason="Protocole de la PUI (démo)" if local_limit else "",
        )
    if level < ORDER.index("released"):
        return
    with _at(step(10)):
        services.bag_release(actor=pharmacist, cure=cure)
    if level < ORDER.index("in_delivery"):
        return
    with _at(step(15)):
        services.delivery_pickup(actor=logistician, cure=cure)
        services.cold_chain_record(actor=logistician, cure=cure, temperature_c=Decimal("4.8"))
    if level < ORDER.index("delivered"):
        return
    with _at(step(35)):
        services.cold_chain_record(actor=logistician, cure=cure, temperature_c=Decimal("5.6"))
        services.delivery_handover(
            actor=logistician, cure=cure, kit_antihistamine=True, kit_adrenaline=True, kit_corticosteroid=True
        )
    if level < ORDER.index("administered"):
        return
    start = step(10)
    with _at(step(cure.infusion_minutes + 15)):
        bag = cure.bag
        services.cure_administer(
            actor=nurse,
            cure=cure,
            patient=cure.patient,
            identity_checked=True,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=cure.infusion_minutes),
            lot=bag.lot,
            dasri_disposed=True,
            vitals_before={"TEMP": Decimal("36.8"), "SBP": Decimal(rng.randint(110, 140))},
            vitals_after={"TEMP": Decimal("36.9"), "SBP": Decimal(rng.randint(110, 140))},
            tolerance="Bonne tolérance",
            material_to_return="Pied à perfusion",
        )


def _ok(cure: Cure, doctor: User, kind: str) -> None:
    cure.refresh_from_db()
    try:
        services.cure_ok_give(actor=doctor, cure=cure, kind=kind)  # type: ignore[arg-type]
    except DomainError:
        cure.refresh_from_db()
        services.cure_ok_give(actor=doctor, cure=cure, kind=kind, override_reason=OVERRIDE)  # type: ignore[arg-type]
