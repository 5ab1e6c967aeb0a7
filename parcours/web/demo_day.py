"""Demo planning days: home visits and nurse shifts for today and the next days, and a first plan.

Visits come from the demo patients the first HAD follows at home (S2, S3): cure administrations with an
infusion bag prepared the same morning at the hospital pharmacy, ETP sessions, follow-up visits, material
deliveries and pick-ups. Nurses are the HAD's salaried nurses and liberal nurses (IDEL) working with it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.utils import timezone

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.core import clock
from parcours.logistics import services
from parcours.logistics.enums import VisitKind
from parcours.logistics.models import HomeVisit, NurseShift
from parcours.patients.models import Patient

MORNING = (dt.time(8, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(18, 0))


def _t(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def load_demo_days(*, seed: int, days: int, solve_seconds: float, progress: Callable[[str], None]) -> None:
    rng = random.Random(seed + 7)
    had = Organisation.objects.filter(kind=OrganisationKind.HAD).order_by("pk").first()
    if had is None:
        return
    pharmacies = {p.name: p for p in Organisation.objects.filter(kind=OrganisationKind.PHARMACY)}
    pui_of = {
        h.pk: next((p for name, p in pharmacies.items() if h.name.split(" (")[0].split()[-1] in name), None)
        for h in Organisation.objects.filter(kind=OrganisationKind.HOSPITAL)
    }
    fallback_pui = next(iter(pharmacies.values()), None)
    at_home = list(
        Patient.objects.filter(
            had=had,
            latitude__isnull=False,
            pathways__state__in=["s2", "s3"],
            pathways__ended_at__isnull=True,
        ).distinct()
    )
    in_s1 = list(Patient.objects.filter(had=had, latitude__isnull=False, pathways__state="s1").distinct())
    nurses = list(User.objects.filter(role__code="had_nurse", organisation=had))
    idels = list(User.objects.filter(role__code="idel").order_by("username"))[:10]
    planner = User.objects.filter(role__code__in=["logistician", "idec"], organisation=had).first()
    today = timezone.localdate(clock.now())
    for offset in range(days):
        date = today + dt.timedelta(days=offset)
        if date.weekday() == 6:
            continue
        shifts = []
        for i, nurse in enumerate([*nurses, *idels]):
            salaried = nurse in nurses
            start = 7 * 60 + 30 if salaried else rng.choice([7 * 60 + 30, 8 * 60])
            lat = 45.76 + rng.uniform(-0.06, 0.06)
            lon = 4.85 + rng.uniform(-0.08, 0.08)
            skills = (
                ["immuno", "chimio", "picc", "logistics"]
                if salaried
                else (["immuno", "etp"] if i % 2 == 0 else ["etp"])
            )
            shifts.append(
                NurseShift(
                    had=had,
                    nurse=nurse,
                    date=date,
                    start_time=_t(start),
                    end_time=_t(start + 9 * 60),
                    start_latitude=lat,
                    start_longitude=lon,
                    end_latitude=lat,
                    end_longitude=lon,
                    skills=skills,
                    max_visits=None if salaried else 8,
                )
            )
        NurseShift.objects.bulk_create(shifts)
        visits = []
        for p in rng.sample(at_home, k=min(len(at_home), 26)):
            kind = rng.choices(
                [
                    VisitKind.ADMINISTRATION,
                    VisitKind.FOLLOW_UP,
                    VisitKind.DELIVERY,
                    VisitKind.MATERIAL_PICKUP,
                ],
                [0.5, 0.3, 0.1, 0.1],
            )[0]
            window = MORNING if rng.random() < 0.6 else AFTERNOON
            if kind == VisitKind.ADMINISTRATION:
                pui = (pui_of.get(p.hospital_id) if p.hospital_id else None) or fallback_pui
                ready = rng.choice([8 * 60 + 30, 9 * 60, 9 * 60 + 30, 10 * 60])
                start = max(ready + 45, window[0].hour * 60 + window[0].minute)
                visits.append(
                    HomeVisit(
                        patient=p,
                        had=had,
                        date=date,
                        kind=kind,
                        window_start=_t(start),
                        window_end=_t(min(start + 180, 17 * 60)),
                        duration_min=rng.choice([60, 75, 90]),
                        skills=["immuno"],
                        bag_pharmacy=pui,
                        bag_ready=_t(ready),
                        bag_stability_min=6 * 60,
                    )
                )
            else:
                visits.append(
                    HomeVisit(
                        patient=p,
                        had=had,
                        date=date,
                        kind=kind,
                        window_start=window[0],
                        window_end=window[1],
                        duration_min=30 if kind != VisitKind.FOLLOW_UP else 45,
                        skills=["logistics"]
                        if kind in {VisitKind.DELIVERY, VisitKind.MATERIAL_PICKUP}
                        else [],
                    )
                )
        for p in rng.sample(in_s1, k=min(len(in_s1), 10)):
            window = MORNING if rng.random() < 0.5 else AFTERNOON
            visits.append(
                HomeVisit(
                    patient=p,
                    had=had,
                    date=date,
                    kind=VisitKind.ETP,
                    window_start=window[0],
                    window_end=window[1],
                    duration_min=60,
                    skills=["etp"],
                )
            )
        HomeVisit.objects.bulk_create(visits)
        progress(f"{date:%d/%m}: {len(visits)} visites, {len(shifts)} infirmier(ère)s")
        if offset == 0 and planner is not None and solve_seconds > 0:
            run = services.plan_run_request(
                actor=planner, had=had, date=date, time_limit_s=max(1, int(solve_seconds))
            )
            services.plan_run_execute(run_id=run.pk)
