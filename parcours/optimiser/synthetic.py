"""Deterministic synthetic HAD days in the Paris area (for benchmarks, demos and tests). Pure.

``generate_day(seed)`` returns a decoded instance JSON (a dict) — feed it to
:func:`parcours.optimiser.parse.parse_instance`. Same seed, same day.

The day: patients spread over Paris and the inner suburbs (denser in the centre), nurses living in the
same area, two hospital pharmacies preparing the infusion bags (chemotherapy, immunotherapy) that ≈ 40 %
of the visits need, skills ``chimio``, ``immuno``, ``picc``, ``etp``, morning-heavy time windows.
"""

from __future__ import annotations

import math
import random
from typing import Any

PARIS = (48.8566, 2.3522)
PHARMACIES = (
    ("PUI-SLS", 48.8737, 2.3685, 10),  # Saint-Louis
    ("PUI-PSL", 48.8387, 2.3640, 10),  # Pitié-Salpêtrière
    ("PUI-HEGP", 48.8393, 2.2730, 10),  # Georges-Pompidou
    ("PUI-BCH", 48.8986, 2.3443, 10),  # Bichat
)

# kind: (share, skills, duration range (min), needs a bag)
CARE = {
    "chimio": (0.25, ("chimio",), (45, 90), True),
    "immuno": (0.15, ("immuno",), (30, 60), True),
    "picc": (0.20, ("picc",), (20, 40), False),
    "etp": (0.10, ("etp",), (30, 60), False),
    "soins": (0.30, (), (15, 40), False),
}


def _hhmm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def _point(rng: random.Random, radius_km: float) -> tuple[float, float]:
    # denser in the centre: radius ~ |N(0, r/2)| capped at r
    r = min(abs(rng.gauss(0.0, radius_km / 2)), radius_km)
    theta = rng.uniform(0, 2 * math.pi)
    dlat = (r * math.sin(theta)) / 111.2
    dlon = (r * math.cos(theta)) / (111.2 * math.cos(math.radians(PARIS[0])))
    return round(PARIS[0] + dlat, 6), round(PARIS[1] + dlon, 6)


def generate_day(
    seed: int = 0,
    n_visits: int = 850,
    n_nurses: int = 150,
    n_pharmacies: int = 2,
    bag_share: float = 0.40,
    radius_km: float = 14.0,
    date: str = "2025-03-10",
) -> dict[str, Any]:
    """A synthetic day (decoded instance JSON)."""
    rng = random.Random(seed)
    depots = [
        {"id": pid, "lat": lat, "lon": lon, "pickup_min": pmin}
        for pid, lat, lon, pmin in PHARMACIES[: max(1, n_pharmacies)]
    ]

    nurses: list[dict[str, Any]] = []
    for k in range(n_nurses):
        lat, lon = _point(rng, radius_km)
        u = rng.random()
        shift = ("07:30", "15:30") if u < 0.40 else ("08:30", "16:30") if u < 0.75 else ("10:30", "18:30")
        skills = sorted(
            s for s, p in (("chimio", 0.65), ("immuno", 0.5), ("picc", 0.6), ("etp", 0.3)) if rng.random() < p
        )
        nurses.append(
            {
                "id": f"IDE{k + 1:03d}",
                "start": {"lat": lat, "lon": lon},
                "end": {"lat": lat, "lon": lon},
                "shift": list(shift),
                "skills": skills,
                "max_visits": 9,
            }
        )

    kinds = list(CARE)
    non_bag = [k for k in kinds if not CARE[k][3]]
    bag_kinds = [k for k in kinds if CARE[k][3]]
    visits: list[dict[str, Any]] = []
    for i in range(n_visits):
        if rng.random() < bag_share:
            kind = rng.choices(bag_kinds, weights=[CARE[k][0] for k in bag_kinds])[0]
        else:
            kind = rng.choices(non_bag, weights=[CARE[k][0] for k in non_bag])[0]
        _, care_skills, (dmin, dmax), needs_bag = CARE[kind]
        skill_list = list(care_skills)
        if needs_bag and rng.random() < 0.3:
            skill_list.append("picc")  # infusion through a PICC line
        lat, lon = _point(rng, radius_km)
        duration = rng.randrange(dmin, dmax + 1, 5)
        if rng.random() < (0.8 if needs_bag else 0.6):  # infusions mostly in the morning
            w0 = rng.randrange(8 * 60, 11 * 60 + 1, 15)
        else:
            w0 = rng.randrange(12 * 60 + 30, 15 * 60 + 1, 15)
        width = rng.choice((60, 90, 120, 120, 180, 240))
        w1 = min(w0 + width, 18 * 60 - duration)
        visit: dict[str, Any] = {
            "id": f"V{i + 1:04d}",
            "lat": lat,
            "lon": lon,
            "window": [_hhmm(w0), _hhmm(w1)],
            "duration_min": duration,
            "skills": sorted(skill_list),
        }
        if needs_bag:
            depot = rng.choice(depots)["id"]
            ready = max(7 * 60, w0 - rng.choice((30, 45, 60, 90, 120)))
            ready = int(ready // 15 * 15)
            stability = rng.choice((240, 300, 360, 480, 720))
            visit["bag"] = {"depot": depot, "ready": _hhmm(ready), "stability_min": stability}
        visits.append(visit)
    return {
        "date": date,
        "travel": {"kind": "haversine", "speed_kmh": 30, "detour_factor": 1.3},
        "depots": depots,
        "nurses": nurses,
        "visits": visits,
    }
