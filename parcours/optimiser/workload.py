"""Workload of each nurse in a plan, and how evenly it is shared (the secondary objective).

A nurse's **working time** is the time from leaving home to being back: travel plus the time spent at
her stops (pick-ups, visits, and any wait on site before a visit's window opens). With "as soon as
possible" timing it is ``travel_min + Σ (depart − arrive) + Σ (end − arrive)``, so it can be computed
from a plan alone. Her **share** is her working time divided by her shift length.

The solver balances the work with a small penalty (``Balance``): every minute a round
lasts beyond the day's fair share of the nurse's shift (total working time / total shift time, the same
fraction for everyone) costs a fraction of a minute of travel. Placing every visit and travel come first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parcours.optimiser.model import Instance, Nurse, PickupStop, Plan, Route, Stop, VisitStop


def working_minutes(stops: Sequence[Stop], travel_min: float) -> float:
    """Leaving home to being back: travel plus the time at every stop (waiting included)."""
    if not stops:
        return 0.0
    at_stops = sum((s.depart - s.arrive) if isinstance(s, PickupStop) else (s.end - s.arrive) for s in stops)
    return travel_min + at_stops


@dataclass(frozen=True, slots=True)
class Balance:
    """The workload-balance term: each minute a round lasts beyond ``fair_share`` × the nurse's shift
    costs ``weight`` minutes of travel."""

    weight: float
    fair_share: float

    def cost(self, nurse: Nurse, work_min: float) -> float:
        """The term for ``work_min`` minutes of work by ``nurse``, in minutes of travel."""
        fair = self.fair_share * max(nurse.shift_end - nurse.shift_start, 0.0)
        return self.weight * max(work_min - fair, 0.0)


def fair_share(work: Iterable[float], nurses: Sequence[Nurse]) -> float:
    """The fraction of her shift every nurse would work if the day's work were shared evenly."""
    shifts = sum(max(n.shift_end - n.shift_start, 0.0) for n in nurses)
    return min(1.0, sum(work) / shifts) if shifts > 0 else 1.0


@dataclass(frozen=True, slots=True)
class Workload:
    """How the work is shared among the nurses who have a round (``nurses_used``)."""

    nurses_used: int
    nurses_idle: int
    work_min_mean: float
    work_min_min: float
    work_min_max: float
    work_min_sd: float
    visits_min: int
    visits_max: int
    share_sd: float  # standard deviation of working time / shift length, over nurses used
    overload_min: float  # Σ minutes worked beyond the day's fair share of the shift (what is penalised)


def workload(plan: Plan, instance: Instance | None = None) -> Workload:
    """Summarise ``plan``; with its ``instance``, also the shares of the shifts and the overload."""
    routes: list[Route] = [r for r in plan.routes if r.stops]
    work = [working_minutes(r.stops, r.travel_min) for r in routes]
    visits = [sum(isinstance(s, VisitStop) for s in r.stops) for r in routes]
    n = len(routes)
    mean = sum(work) / n if n else 0.0
    sd = math.sqrt(sum((w - mean) ** 2 for w in work) / n) if n else 0.0
    share_sd = 0.0
    overload = 0.0
    idle = 0
    if instance is not None:
        nurses = instance.nurse_by_id()
        idle = sum(1 for nid in nurses if nid not in {r.nurse for r in routes})
        rho = fair_share(work, instance.nurses)
        shares: list[float] = []
        for r, w in zip(routes, work, strict=True):
            nurse = nurses.get(r.nurse)
            if nurse is None or nurse.shift_end <= nurse.shift_start:
                continue
            length = nurse.shift_end - nurse.shift_start
            shares.append(w / length)
            overload += max(0.0, w - rho * length)
        if shares:
            ms = sum(shares) / len(shares)
            share_sd = math.sqrt(sum((x - ms) ** 2 for x in shares) / len(shares))
    return Workload(
        nurses_used=n,
        nurses_idle=idle,
        work_min_mean=mean,
        work_min_min=min(work, default=0.0),
        work_min_max=max(work, default=0.0),
        work_min_sd=sd,
        visits_min=min(visits, default=0),
        visits_max=max(visits, default=0),
        share_sd=share_sd,
        overload_min=overload,
    )
