"""Cheapest feasible insertion of visits into existing rounds, and repair of broken rounds.

A round is a nurse, a fixed :class:`~parcours.optimiser.schedule.Head` and a list of actions after it.
Only the actions move; the head never does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from parcours.optimiser.model import Nurse, Visit
from parcours.optimiser.schedule import Action, Context, Head, PickupAction, Timed, VisitAction, time_route


@dataclass(slots=True)
class Round:
    nurse: Nurse
    head: Head
    actions: list[Action] = field(default_factory=list)
    timed: Timed | None = None
    closed: bool = False  # takes no new visits (e.g. a nurse off sick)

    def time(self, ctx: Context) -> Timed:
        self.timed = time_route(ctx, self.nurse, self.actions, self.head)
        return self.timed


def remove_visit(actions: list[Action], visit_id: str) -> list[Action]:
    """The actions without ``visit_id`` (and without its bag in pick-ups; empty pick-ups disappear)."""
    out: list[Action] = []
    for a in actions:
        if isinstance(a, VisitAction):
            if a.visit != visit_id:
                out.append(a)
        elif visit_id in a.bags:
            bags = tuple(b for b in a.bags if b != visit_id)
            if bags:
                out.append(PickupAction(a.depot, bags))
        else:
            out.append(a)
    return merge_pickups(out)


def merge_pickups(actions: list[Action]) -> list[Action]:
    """Merge consecutive pick-ups at the same depot into one stop."""
    out: list[Action] = []
    for a in actions:
        prev = out[-1] if out else None
        if isinstance(a, PickupAction) and isinstance(prev, PickupAction) and prev.depot == a.depot:
            out[-1] = PickupAction(a.depot, prev.bags + a.bags)
        else:
            out.append(a)
    return out


def candidate_insertions(visit: Visit, actions: list[Action]) -> Iterable[list[Action]]:
    """Every way to put ``visit`` (and, for a bag, a pick-up before it) into ``actions``."""
    va = VisitAction(visit.id)
    n = len(actions)
    for p in range(n + 1):
        if visit.bag is None:
            yield [*actions[:p], va, *actions[p:]]
            continue
        depot = visit.bag.depot
        # a new pick-up stop just before the visit…
        yield merge_pickups([*actions[:p], PickupAction(depot, (visit.id,)), va, *actions[p:]])
        # …or the bag added to an earlier pick-up at the same pharmacy.
        for q in range(p):
            a = actions[q]
            if isinstance(a, PickupAction) and a.depot == depot:
                yield [
                    *actions[:q],
                    PickupAction(depot, (*a.bags, visit.id)),
                    *actions[q + 1 : p],
                    va,
                    *actions[p:],
                ]


def best_insertion(
    ctx: Context, rounds: Iterable[Round], visit: Visit
) -> tuple[Round, list[Action], float] | None:
    """The feasible insertion of ``visit`` with the least extra travel, or None."""
    best: tuple[Round, list[Action], float] | None = None
    for rnd in rounds:
        if rnd.closed or not visit.skills <= rnd.nurse.skills:
            continue
        base = rnd.timed if rnd.timed is not None else rnd.time(ctx)
        if not base.ok:
            continue
        for cand in candidate_insertions(visit, rnd.actions):
            t = time_route(ctx, rnd.nurse, cand, rnd.head)
            if t.ok:
                delta = t.travel - base.travel
                if best is None or delta < best[2] - 1e-9:
                    best = (rnd, cand, delta)
    return best


def insert_all(ctx: Context, rounds: list[Round], visits: list[Visit]) -> list[Visit]:
    """Insert ``visits`` one by one (hardest first, cheapest place); returns those that fit nowhere."""
    left: list[Visit] = []
    order = sorted(visits, key=lambda v: (v.window_end - v.window_start, v.id))
    for v in order:
        found = best_insertion(ctx, rounds, v)
        if found is None:
            left.append(v)
            continue
        rnd, actions, _ = found
        rnd.actions = actions
        rnd.time(ctx)
    return left


def repair(ctx: Context, rnd: Round) -> list[str]:
    """Drop visits from a broken round until it is feasible; returns the dropped visit ids."""
    dropped: list[str] = []
    timed = rnd.time(ctx)
    while not timed.ok:
        culprit = timed.culprit
        if culprit is None or not any(isinstance(a, VisitAction) and a.visit == culprit for a in rnd.actions):
            # Cannot blame one visit: drop the whole movable part.
            dropped += [a.visit for a in rnd.actions if isinstance(a, VisitAction)]
            rnd.actions = []
        else:
            dropped.append(culprit)
            rnd.actions = remove_visit(rnd.actions, culprit)
        timed = rnd.time(ctx)
        if not rnd.actions and not timed.ok:
            break
    return dropped
