"""From the database to the optimiser's instance format (docs/subsystems/optimiser.md), and back to names.

The instance is built as the JSON contract (the same format `parcours plan` reads), stored with each run,
so every plan can be re-checked later with `parcours plan-check`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from parcours.accounts.models import Organisation
from parcours.logistics.models import HomeVisit, NurseShift

PICKUP_MIN = 10  # minutes at the pharmacy counter per pick-up (bags checked, cold box sealed)
TRAVEL = {"kind": "haversine", "speed_kmh": 30, "detour_factor": 1.3}  # urban car travel, Lyon / Paris area


def hhmm(t: dt.time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def pin_skill(nurse_key: str) -> str:
    return f"pin:{nurse_key}"


def build_instance(
    *,
    date: dt.date,
    shifts: Iterable[NurseShift],
    visits: Iterable[HomeVisit],
    pharmacies: Iterable[Organisation],
) -> dict[str, Any]:
    """The day to plan. Pinned visits get a skill only their nurse has, and a zero-width window if timed."""
    nurses = []
    for s in shifts:
        key = str(s.nurse.external_id)
        nurses.append(
            {
                "id": key,
                "start": {"lat": s.start_latitude, "lon": s.start_longitude},
                "end": {"lat": s.end_latitude, "lon": s.end_longitude},
                "shift": [hhmm(s.start_time), hhmm(s.end_time)],
                "skills": sorted({*s.skills, pin_skill(key)}),
                **({"max_visits": s.max_visits} if s.max_visits else {}),
            }
        )
    out_visits = []
    for v in visits:
        skills = set(v.skills)
        window = [hhmm(v.window_start), hhmm(v.window_end)]
        if v.pinned_nurse_id is not None:
            skills.add(pin_skill(str(v.pinned_nurse.external_id)))  # type: ignore[union-attr]
        if v.pinned_start is not None:
            window = [hhmm(v.pinned_start), hhmm(v.pinned_start)]
        item: dict[str, Any] = {
            "id": str(v.external_id),
            "lat": v.patient.latitude,
            "lon": v.patient.longitude,
            "window": window,
            "duration_min": v.duration_min,
            "skills": sorted(skills),
        }
        if v.bag_pharmacy_id is not None and v.bag_ready is not None:
            item["bag"] = {
                "depot": str(v.bag_pharmacy.external_id),  # type: ignore[union-attr]
                "ready": hhmm(v.bag_ready),
                "stability_min": v.bag_stability_min,
            }
        out_visits.append(item)
    depots = [
        {"id": str(p.external_id), "lat": p.latitude, "lon": p.longitude, "pickup_min": PICKUP_MIN}
        for p in pharmacies
    ]
    return {
        "date": date.isoformat(),
        "travel": TRAVEL,
        "depots": depots,
        "nurses": nurses,
        "visits": out_visits,
    }
