from __future__ import annotations

from django.db.models import QuerySet

from parcours.audit.models import AuditEvent


def audit_events(
    *, patient_id: int | None = None, actor_id: int | None = None, action: str = ""
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-at", "-id")
