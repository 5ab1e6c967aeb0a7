"""Timeline: recording events and turning them into words (in the reader's language)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.core import clock
from parcours.core.batching import InsertBatch
from parcours.patients.models import Patient, TimelineEvent

_batch: InsertBatch[TimelineEvent] = InsertBatch(TimelineEvent)


def timeline_batch() -> AbstractContextManager[None]:
    """Write the timeline events recorded inside the block in one INSERT when the block ends.

    Same contract as ``audit.services.audit_batch``: use it inside the transaction; if the block raises,
    its events are dropped; nested batches join the outermost one; events have no primary key until the end.
    """
    return _batch.collect()


def timeline_record(
    *,
    patient: Patient,
    actor: Any,
    kind: str,
    data: dict[str, Any] | None = None,
    reason: str = "",
    at: Any = None,
) -> TimelineEvent:
    label = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = actor.get_full_name() or actor.username
    event = TimelineEvent(
        patient=patient,
        at=at or clock.now(),
        actor=actor if label else None,
        actor_label=label or "système",
        kind=kind,
        data=data or {},
        reason=reason,
    )
    _batch.add(event)
    return event


def _pick(label: object) -> str:
    if isinstance(label, dict):
        lang = (get_language() or "fr")[:2]
        return str(label.get(lang) or label.get("fr") or "")
    return str(label or "")


def timeline_text(event: TimelineEvent) -> str:
    d = event.data
    texts = {
        "patient.created": lambda: _("Dossier créé"),
        "patient.updated": lambda: (
            _("Identité ou coordonnées modifiées : %(fields)s") % {"fields": ", ".join(d.get("fields", []))}
        ),
        "careteam.added": lambda: _("%(name)s rejoint l'équipe de soins") % {"name": d.get("member", "")},
        "careteam.removed": lambda: _("%(name)s quitte l'équipe de soins") % {"name": d.get("member", "")},
        "consent.recorded": lambda: (
            (
                _("Consentement recueilli : %(kind)s")
                if d.get("given")
                else _("Consentement refusé ou retiré : %(kind)s")
            )
            % {"kind": _pick(d.get("label"))}
        ),
        "eligibility.assessed": lambda: (
            _("Éligibilité à l'HAD évaluée : %(conclusion)s") % {"conclusion": _pick(d.get("label"))}
        ),
        "had.requested": lambda: _("HAD demandée auprès de %(had)s") % {"had": d.get("had", "")},
        "had.validated": lambda: _("Faisabilité HAD validée (%(had)s)") % {"had": d.get("had", "")},
        "had.refused": lambda: _("Faisabilité HAD refusée (%(had)s)") % {"had": d.get("had", "")},
        "pathway.started": lambda: _("Parcours démarré : %(name)s") % {"name": _pick(d.get("label"))},
        "pathway.transition": lambda: (
            _("Parcours : %(source)s → %(target)s")
            % {"source": _pick(d.get("source_label")), "target": _pick(d.get("target_label"))}
        ),
        "checklist.done": lambda: _("Étape d'admission faite : %(step)s") % {"step": _pick(d.get("label"))},
        "checklist.undone": lambda: (
            _("Étape d'admission décochée : %(step)s") % {"step": _pick(d.get("label"))}
        ),
    }
    make = texts.get(event.kind)
    if make is not None:
        return str(make())
    return _pick(d.get("label")) or event.kind
