"""Shared builder of the cures benchmarks: one HAD with --per-day home cures a day, 2,000 professionals.

Rows are bulk-inserted (not through the services: this measures reads and the synthesis job, not writes).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str, name: str) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["PARCOURS_VAR_DIR"] = str(ROOT / "var" / f"bench-{name}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def rebuild() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        db = Path(str(settings.DATABASES["default"]["NAME"]))
        db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def build(
    *, per_day: int, professionals: int, seed: int = 7, administered_today: bool = False
) -> dict[str, Any]:
    """Patients with a q3w regimen spread so that ``per_day`` cures fall on each day; today's in every state."""
    from django.db import connection, transaction
    from django.utils import timezone

    from parcours.accounts.models import Organisation, Role, User
    from parcours.clinical.models import Observation
    from parcours.cures.models import Administration, Bag, Cure, CurePlan
    from parcours.patients.models import CareTeamMembership, Patient

    rng = random.Random(seed)
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    now = timezone.now()
    with transaction.atomic():
        hospital = Organisation.objects.create(kind="hospital", name="Hôpital bench", postcode="69008")
        had = Organisation.objects.create(kind="had", name="HAD bench")
        pharmacy = Organisation.objects.create(kind="pharmacy", name="PUI bench", postcode="69008")
        roles = {r.code: r for r in Role.objects.all()}
        plan_roles = [
            ("oncologist", hospital, 0.15),
            ("idec", had, 0.05),
            ("had_physician", had, 0.05),
            ("had_nurse", had, 0.2),
            ("idel", None, 0.4),
            ("gp", None, 0.1),
            ("pharmacist", pharmacy, 0.025),
            ("logistician", had, 0.025),
        ]
        users: dict[str, list[User]] = {}
        batch = []
        for code, org, share in plan_roles:
            for i in range(max(1, int(professionals * share))):
                batch.append(
                    User(
                        username=f"{code}{i}",
                        role=roles[code],
                        organisation=org,
                        first_name="P",
                        last_name=f"{code}{i}",
                        email=f"{code}{i}@bench.invalid",
                    )
                )
        User.objects.bulk_create(batch, batch_size=2000)
        for u in User.objects.filter(username__in=[b.username for b in batch]).select_related("role"):
            users.setdefault(u.role.code, []).append(u)  # type: ignore[union-attr]
        n_patients = per_day * 21
        Patient.objects.bulk_create(
            [
                Patient(
                    birth_name=f"PATIENT{i:05d}",
                    given_names="Bench",
                    sex="F",
                    birth_date=dt.date(1960, 1, 1),
                    hospital=hospital,
                    had=had,
                    gp=rng.choice(users["gp"]),
                )
                for i in range(n_patients)
            ],
            batch_size=2000,
        )
        patients = list(Patient.objects.filter(had=had).order_by("id"))
        members = []
        for p in patients:
            for code in ("oncologist", "idec", "had_physician", "idel", "gp"):
                members.append(CareTeamMembership(patient=p, user=rng.choice(users[code]), since=now))
        CareTeamMembership.objects.bulk_create(members, batch_size=5000)
        plans = CurePlan.objects.bulk_create(
            [
                CurePlan(
                    patient=p,
                    regimen_id="pembrolizumab_200mg_q3w",
                    regimen_version=1,
                    drug="pembrolizumab",
                    regimen_label={"fr": "Pembrolizumab 200 mg q3w", "en": "Pembrolizumab 200 mg q3w"},
                    start=today - dt.timedelta(days=i % 21),
                    first_number=2,
                    pharmacy=pharmacy,
                    prescribed_by=users["oncologist"][i % len(users["oncologist"])],
                    prescribed_at=now,
                )
                for i, p in enumerate(patients)
            ],
            batch_size=2000,
        )
        statuses = [
            "planned",
            "labs_due",
            "ready_for_ok",
            "ok_given",
            "in_preparation",
            "released",
            "in_delivery",
            "delivered",
            "administered",
        ]
        cures = []
        for i, (p, plan) in enumerate(zip(patients, plans, strict=True)):
            for k in range(-2, 6):  # past, today and future cures
                day = plan.start + dt.timedelta(days=21 * k)
                start = dt.datetime.combine(day, dt.time(9), tzinfo=tz)
                if day < today:
                    status = "closed"
                elif day == today:
                    status = "administered" if administered_today else statuses[(i // 21) % len(statuses)]
                else:
                    status = "planned"
                cures.append(
                    Cure(
                        plan=plan,
                        patient=p,
                        had=had,
                        pharmacy=pharmacy,
                        number=k + 3,
                        date=day,
                        planned_start=start,
                        lab_window_opens=start - dt.timedelta(hours=72),
                        place="home",
                        dose_mg=Decimal(200),
                        infusion_minutes=30,
                        interval_days=21,
                        status=status,
                    )
                )
        Cure.objects.bulk_create(cures, batch_size=5000)
        if administered_today:
            todays = list(Cure.objects.filter(date=today).select_related("plan"))
            nurses = users["had_nurse"]
            Bag.objects.bulk_create(
                [
                    Bag(
                        cure=c,
                        lot=f"L{c.pk}",
                        preparer=users["pharmacist"][0],
                        prepared_at=now - dt.timedelta(hours=3),
                        storage="refrigerated",
                        deadline=now + dt.timedelta(hours=20),
                        latest_start=now + dt.timedelta(hours=19),
                        limit_hours=24,
                        basis="chemical_physical",
                        allowed_min_c=Decimal(2),
                        allowed_max_c=Decimal(8),
                        released_at=now - dt.timedelta(hours=2),
                    )
                    for c in todays
                ],
                batch_size=2000,
            )
            t0 = dt.datetime.combine(today, dt.time(10), tzinfo=tz)
            Administration.objects.bulk_create(
                [
                    Administration(
                        cure=c,
                        nurse=rng.choice(nurses),
                        identity_checked=True,
                        started_at=t0,
                        ended_at=t0 + dt.timedelta(minutes=30),
                        lot=f"L{c.pk}",
                        tolerance="Bonne tolérance",
                        reaction_grade=1 if i % 40 == 0 else 0,
                        immediate_actions="Débit ralenti" if i % 40 == 0 else "",
                        dasri_disposed=True,
                        material_to_return="Pied à perfusion",
                        vitals_before={"TEMP": "36.8"},
                        vitals_after={"TEMP": "36.9"},
                    )
                    for i, c in enumerate(todays)
                ],
                batch_size=2000,
            )
            obs = []
            for c in todays:
                for code, value, unit, at in (
                    ("TEMP", "36.8", "°C", t0),
                    ("SBP", "128", "mmHg", t0),
                    ("TEMP", "36.9", "°C", t0 + dt.timedelta(minutes=30)),
                ):
                    obs.append(
                        Observation(
                            patient_id=c.patient_id,
                            kind="vital",
                            code=code,
                            value=Decimal(value),
                            unit=unit,
                            observed_at=at,
                            recorded_at=now,
                            source="cure",
                        )
                    )
            Observation.objects.bulk_create(obs, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"had": had, "pharmacy": pharmacy, "users": users, "patients": len(patients)}


def existing_users() -> dict[str, list[Any]]:
    from parcours.accounts.models import User

    users: dict[str, list[Any]] = {}
    for u in User.objects.filter(email__endswith="@bench.invalid").select_related("role").order_by("id"):
        users.setdefault(u.role.code, []).append(u)  # type: ignore[union-attr]
    return users
