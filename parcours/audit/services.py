"""The one way to write the audit trail."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from parcours.audit import context
from parcours.audit.models import AuditAction, AuditEvent
from parcours.core import clock
from parcours.core.batching import InsertBatch

_batch: InsertBatch[AuditEvent] = InsertBatch(AuditEvent)


def audit_batch() -> AbstractContextManager[None]:
    """Write the audit events recorded inside the block in one INSERT when the block ends.

    For services that record several events in one transaction on a hot path (a questionnaire submission
    records three): use it *inside* the transaction, so that the events commit or roll back with the rest.
    If the block raises, its events are dropped (the caller's transaction is rolled back anyway). Nested
    batches join the outermost one. Events recorded in a batch have no primary key until the block ends.
    """
    return _batch.collect()


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: str = "",
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. ``actor`` is a User or None (system).

    The action must be one of ``AuditAction`` and the ids must fit their columns: checked here so that a
    mistake fails on every database (SQLite does not enforce lengths), not only in production on PostgreSQL.
    """
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}: use one of {AuditAction.values}")
    if len(object_id) > 64 or len(object_type) > 40:
        raise ValueError(f"audit object_type/object_id too long: {object_type!r} {object_id[:80]!r}")
    ctx = context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    role = getattr(actor, "role", None) if authenticated else None
    event = AuditEvent(
        at=clock.now(),
        actor=actor if authenticated else None,
        actor_label=(actor.get_full_name() or actor.username) if authenticated else "système",
        actor_role=role.code if role is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        method=ctx.method,
        path=ctx.path,
        detail={"channel": ctx.channel, **(detail or {})},
    )
    _batch.add(event)
    return event
