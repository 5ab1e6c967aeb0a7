"""Benchmark: "trained IDEL near this patient" over 20,000 professionals (issue 6: p95 < 100 ms).

Builds a database with --professionals nurses (default 20,000): half clustered around twelve French cities
(Gaussian, sigma 15 km), half spread uniformly over mainland France; each has a practice place and derived
qualification rows (etp for ~70 %, immuno for ~55 % with an expiry between a year ago and a year ahead).
Then times ``parcours.learning.selectors.nearby_professionals`` (bounding box in the database + exact
haversine, ranked qualified first then by distance) from random patient homes (70 % near a city), and the
same search through the JSON API (full Django stack, access gate and audit write).

    .venv/bin/python bench/learning_nearby.py                         # SQLite file under var/bench-learning/
    .venv/bin/python bench/learning_nearby.py --database-url postgresql://postgres@127.0.0.1:5432/parcours_bench_learning

Prints a Markdown table for docs/benchmarks.md. The database is rebuilt unless --reuse is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITIES = [
    (48.8566, 2.3522),
    (45.7640, 4.8357),
    (43.2965, 5.3698),
    (43.6047, 1.4442),
    (44.8378, -0.5792),
    (47.2184, -1.5536),
    (48.5734, 7.7521),
    (50.6292, 3.0573),
    (43.7102, 7.2620),
    (48.1173, -1.6778),
    (45.1885, 5.7245),
    (49.2583, 4.0317),
]


def _point(rng: random.Random, clustered: bool) -> tuple[float, float]:
    if clustered:
        lat, lon = rng.choice(CITIES)
        return lat + rng.gauss(0, 15) / 111.0, lon + rng.gauss(0, 15) / 75.0
    return rng.uniform(42.5, 51.0), rng.uniform(-4.5, 8.0)


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[int(q * (len(values) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--professionals", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["PARCOURS_VAR_DIR"] = str(ROOT / "var" / "bench-learning")
        (ROOT / "var" / "bench-learning").mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from parcours.accounts.models import Role, User
    from parcours.learning.models import ProfessionalProfile, ProfessionalQualification
    from parcours.learning.selectors import nearby_professionals
    from parcours.patients.models import CareTeamMembership, Patient

    vendor = connection.vendor
    rng = random.Random(6)
    today = timezone.localdate()
    if not args.reuse:
        if vendor == "sqlite":
            db = Path(str(settings.DATABASES["default"]["NAME"]))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        else:
            with connection.cursor() as cur:
                cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        idel = Role.objects.get(code="idel")
        password = make_password(None)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        username=f"ide{i:05d}",
                        first_name=f"Prénom{i}",
                        last_name=f"Nom{i}",
                        role=idel,
                        password=password,
                    )
                    for i in range(args.professionals)
                ],
                batch_size=2000,
            )
            profiles = []
            for i, user in enumerate(users):
                lat, lon = _point(rng, clustered=i % 2 == 0)
                profiles.append(
                    ProfessionalProfile(user=user, latitude=lat, longitude=lon, city=f"Ville{i % 500}")
                )
            profiles = ProfessionalProfile.objects.bulk_create(profiles, batch_size=2000)
            quals = []
            for profile in profiles:
                if rng.random() < 0.7:
                    quals.append(
                        ProfessionalQualification(
                            profile=profile,
                            qualification="etp",
                            valid_from=today - dt.timedelta(days=rng.randint(30, 1500)),
                        )
                    )
                if rng.random() < 0.55:
                    until = today + dt.timedelta(days=rng.randint(-365, 365))
                    quals.append(
                        ProfessionalQualification(
                            profile=profile,
                            qualification="immuno",
                            valid_from=until - dt.timedelta(days=364),
                            valid_until=until,
                        )
                    )
            ProfessionalQualification.objects.bulk_create(quals, batch_size=5000)
            idec = User.objects.create(
                username="idec", role=Role.objects.get(code="idec"), password=make_password("bench")
            )
            patients = []
            for i in range(200):
                lat, lon = _point(rng, clustered=rng.random() < 0.7)
                patients.append(
                    Patient(
                        birth_name=f"BENCH{i}",
                        given_names="Test",
                        sex="F",
                        birth_date=dt.date(1960, 1, 1),
                        latitude=lat,
                        longitude=lon,
                    )
                )
            patients = Patient.objects.bulk_create(patients)
            CareTeamMembership.objects.bulk_create(
                [CareTeamMembership(patient=p, user=idec, since=timezone.now()) for p in patients]
            )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)

    n_prof = ProfessionalProfile.objects.count()
    homes: list[tuple[object, float, float]] = [
        (uid, float(y or 0.0), float(x or 0.0))
        for uid, y, x in Patient.objects.filter(latitude__isnull=False, longitude__isnull=False).values_list(
            "external_id", "latitude", "longitude"
        )
    ]
    results: dict[str, tuple[list[float], list[int]]] = {}
    for radius in (30.0, 50.0):
        for act in ("immunotherapy_administration", "etp_session"):
            for _ in range(10):  # warm-up
                nearby_professionals(latitude=homes[0][1], longitude=homes[0][2], act=act, on=today)
            times: list[float] = []
            found: list[int] = []
            for _ in range(args.samples):
                _uid, home_lat, home_lon = rng.choice(homes)
                t = time.perf_counter()
                hits = nearby_professionals(
                    latitude=home_lat, longitude=home_lon, act=act, on=today, radius_km=radius
                )
                times.append((time.perf_counter() - t) * 1000)
                found.append(len(hits))
            results[f"selector, {act}, {radius:.0f} km"] = (times, found)

    client = Client()
    client.force_login(User.objects.get(username="idec"))
    api_times: list[float] = []
    api_found: list[int] = []
    for _ in range(args.samples):
        uid, _lat, _lon = rng.choice(homes)
        t = time.perf_counter()
        response = client.get(f"/api/v1/patients/{uid}/nearby-professionals?act=immunotherapy_administration")
        api_times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.content
        api_found.append(len(response.json()))
    results["API GET …/nearby-professionals, immuno, 30 km"] = (api_times, api_found)

    print()
    print(
        f"Database: {vendor}; {n_prof:,} professionals with a practice place; {args.samples} searches per row."
    )
    print()
    print("| search | p50 (ms) | p95 (ms) | max (ms) | results (median, top 20) |")
    print("|---|---:|---:|---:|---:|")
    for name, (spent, hits_n) in results.items():
        print(
            f"| {name} | {statistics.median(spent):.1f} | {_p(spent, 0.95):.1f} | {max(spent):.1f} "
            f"| {statistics.median(hits_n):.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
