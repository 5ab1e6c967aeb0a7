"""What the patient page shows about pathways: state, what comes next, timers, admission checklist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import get_language

from parcours.pathways import engine, registry
from parcours.pathways.facts import base_facts, patient_facts
from parcours.pathways.models import PatientPathway
from parcours.patients.models import Patient


@dataclass
class PathwayView:
    pathway: PatientPathway
    definition: engine.PathwayDefinition
    state: engine.StateDef
    checks: list[tuple[engine.TransitionCheck, list[GuardRow]]]
    timers: tuple[tuple[engine.TimerDef, dt.datetime, bool], ...]
    expected_end: dt.datetime | None


@dataclass
class GuardRow:
    label: engine.Label
    met: bool


def guard_rows(defn: engine.PathwayDefinition, check: engine.TransitionCheck) -> list[GuardRow]:
    unmet = {u.id for u in check.unmet}
    return [GuardRow(defn.guards[g].label, g not in unmet) for g in check.transition.guards]


@dataclass
class ChecklistView:
    definition: engine.PathwayDefinition
    steps: tuple[tuple[engine.ChecklistStep, bool], ...]

    @property
    def done_count(self) -> int:
        return sum(1 for _s, done in self.steps if done)


def open_pathways(*, patient: Patient) -> list[PatientPathway]:
    return list(PatientPathway.objects.filter(patient=patient, ended_at__isnull=True).order_by("started_at"))


def pathway_views(
    *, patient: Patient, now: dt.datetime, base: dict[str, object] | None = None
) -> list[PathwayView]:
    views = []
    base = base if base is not None else base_facts(patient)
    for pathway in PatientPathway.objects.filter(patient=patient).order_by("ended_at", "started_at"):
        defn = registry.definition(pathway.definition_key, pathway.definition_version)
        state = defn.state(pathway.state)
        facts = patient_facts(patient=patient, pathway=pathway, now=now, base=base)
        checks = (
            []
            if state.is_final
            else [(c, guard_rows(defn, c)) for c in engine.check_transitions(defn, pathway.state, facts, now)]
        )
        timers = engine.due_timers(defn, pathway.state, pathway.state_entered_at, now)
        expected_end = (
            pathway.state_entered_at + dt.timedelta(days=state.expected_duration_days)
            if state.expected_duration_days
            else None
        )
        views.append(PathwayView(pathway, defn, state, checks, timers, expected_end))
    return views


def admission_checklist(*, patient: Patient, base: dict[str, object] | None = None) -> ChecklistView:
    defn = registry.definition(registry.ADMISSION_KEY)
    facts = base if base is not None else base_facts(patient)
    return ChecklistView(defn, engine.checklist_progress(defn, facts))


def clb_states(*, patient_ids: list[int]) -> dict[int, tuple[str, dt.datetime]]:
    """Open CLB pathway state per patient, for one page of a list (one query, whatever the page size)."""
    rows = (
        PatientPathway.objects.filter(
            patient_id__in=patient_ids, definition_key=registry.CLB_KEY, ended_at__isnull=True
        )
        .order_by("started_at")
        .values_list("patient_id", "state", "state_entered_at")
    )
    return {pid: (state, since) for pid, state, since in rows}


def state_labels(key: str) -> dict[str, str]:
    lang_en = (get_language() or "fr").startswith("en")
    return {s.id: (s.label.en if lang_en else s.label.fr) for s in registry.definition(key).states}


def startable_definitions(*, patient: Patient) -> list[engine.PathwayDefinition]:
    running = set(
        PatientPathway.objects.filter(patient=patient, ended_at__isnull=True).values_list(
            "definition_key", flat=True
        )
    )
    return [d for d in registry.latest_definitions() if d.key not in running]
