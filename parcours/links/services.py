"""Issuing, opening, consuming and revoking secure links.

A token is 32 random bytes (``secrets.token_urlsafe``); only its SHA-256 is stored. Opening checks, in order:
the client's recent failures (rate limit), the token, the purpose, revocation, expiry and use. Every opening,
accepted or refused, leaves an audit event without a user (the patient is not a Parcours account).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import ValidationFailed
from parcours.links.models import Audience, LinkAttempt, SecureLink
from parcours.patients.models import Caregiver, Patient

MAX_FAILURES = 10  # failed openings per client within FAILURE_WINDOW before it is refused
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_OPENS_PER_HOUR = 120  # openings of one link per hour (a phone reloading is fine; a script is not)
MAX_TTL = dt.timedelta(days=120)

REASONS = ("unknown", "expired", "revoked", "used", "rate_limited", "wrong_purpose")


class LinkRefused(Exception):
    """The link cannot be used; ``reason`` is a code, ``message`` is for the patient (already translated)."""

    status = {
        "unknown": 404,
        "wrong_purpose": 404,
        "expired": 410,
        "revoked": 410,
        "used": 410,
        "rate_limited": 429,
    }

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = _messages()[reason]
        super().__init__(reason)

    @property
    def http_status(self) -> int:
        return self.status[self.reason]


def _messages() -> dict[str, str]:
    return {
        "unknown": _(
            "Ce lien n'est pas reconnu. Vérifiez qu'il a été copié en entier, ou demandez-en un nouveau "
            "à votre équipe soignante."
        ),
        "wrong_purpose": _(
            "Ce lien n'est pas reconnu. Vérifiez qu'il a été copié en entier, ou demandez-en un "
            "nouveau à votre équipe soignante."
        ),
        "expired": _("Ce lien a expiré. Votre équipe soignante peut vous en envoyer un nouveau."),
        "revoked": _("Ce lien a été désactivé par votre équipe soignante. Contactez-la si besoin."),
        "used": _("Ce lien a déjà été utilisé : vos réponses ont bien été reçues. Merci."),
        "rate_limited": _("Trop de tentatives. Réessayez dans quelques minutes."),
    }


@dataclass(frozen=True)
class IssuedLink:
    link: SecureLink
    token: str  # shown or sent once, never stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_key(client_ip: str) -> str:
    """Addresses are not kept in clear: a keyed hash is enough to count failures."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|{client_ip}".encode()).hexdigest()


def link_issue(
    *,
    actor: Any,
    patient: Patient,
    purpose: str,
    target_id: str,
    audience: str = Audience.PATIENT,
    caregiver: Caregiver | None = None,
    ttl: dt.timedelta = dt.timedelta(hours=72),
    single_use: bool = True,
) -> IssuedLink:
    errors: dict[str, list[str]] = {}
    if not purpose or len(purpose) > 32:
        errors["purpose"] = [_("Usage du lien manquant ou trop long.")]
    if not target_id or len(str(target_id)) > 64:
        errors["target_id"] = [_("Objet du lien manquant ou trop long.")]
    if audience not in Audience.values:
        errors["audience"] = [_("Destinataire inconnu : patient ou aidant.")]
    if audience == Audience.CAREGIVER and caregiver is None:
        errors["caregiver"] = [_("Choisissez l'aidant destinataire.")]
    if caregiver is not None and caregiver.patient_id != patient.pk:
        errors["caregiver"] = [_("Cet aidant n'est pas rattaché à ce patient.")]
    if not dt.timedelta(minutes=5) <= ttl <= MAX_TTL:
        errors["ttl"] = [_("Durée de validité entre 5 minutes et 120 jours.")]
    if errors:
        raise ValidationFailed(
            _("Saisie incomplète ou invalide : vérifiez les champs signalés."), field_errors=errors
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = SecureLink.objects.create(
            patient=patient,
            purpose=purpose,
            target_id=str(target_id),
            audience=audience,
            caregiver=caregiver,
            token_hash=token_hash(token),
            expires_at=clock.now() + ttl,
            single_use=single_use,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="secure_link",
            object_id=str(link.external_id),
            patient_id=patient.pk,
            detail={
                "purpose": purpose,
                "target": str(target_id),
                "audience": audience,
                "expires": link.expires_at.isoformat(),
            },
        )
    return IssuedLink(link=link, token=token)


def _refuse(client: str, reason: str, link: SecureLink | None) -> LinkRefused:
    now = clock.now()
    LinkAttempt.objects.create(client=client, at=now, reason=reason)
    LinkAttempt.objects.filter(at__lt=now - 4 * FAILURE_WINDOW).delete()
    audit_record(
        actor=None,
        action="denied",
        object_type="secure_link",
        object_id=str(link.external_id) if link else "",
        patient_id=link.patient_id if link else None,
        detail={"reason": reason},
    )
    return LinkRefused(reason)


def _check(link: SecureLink, *, now: dt.datetime) -> str | None:
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if link.single_use and link.used_at is not None:
        return "used"
    return None


def link_open(*, token: str, purpose: str, client_ip: str, record_open: bool = True) -> SecureLink:
    """The link if it may be used now; else ``LinkRefused`` (recorded, counted against the client).

    ``record_open=False`` (a page about to consume the link in its own transaction): the opening is not
    counted nor audited here; ``link_consume(..., opened=True)`` counts it and audits the use in that
    transaction instead (two statements fewer on the submission path, same trace).
    """
    client = client_key(client_ip or "?")
    now = clock.now()
    if LinkAttempt.objects.filter(client=client, at__gte=now - FAILURE_WINDOW).count() >= MAX_FAILURES:
        raise LinkRefused("rate_limited")
    if not token or len(token) > 128:
        raise _refuse(client, "unknown", None)
    link = SecureLink.objects.select_related("patient").filter(token_hash=token_hash(token)).first()
    if link is None:
        raise _refuse(client, "unknown", None)
    if link.purpose != purpose:
        raise _refuse(client, "wrong_purpose", link)
    problem = _check(link, now=now)
    if problem is not None:
        raise _refuse(client, problem, link)
    if (
        link.last_opened_at
        and link.last_opened_at > now - dt.timedelta(hours=1)
        and link.opened_count >= MAX_OPENS_PER_HOUR
    ):
        raise LinkRefused("rate_limited")
    if not record_open:
        return link
    SecureLink.objects.filter(pk=link.pk).update(opened_count=link.opened_count + 1, last_opened_at=now)
    link.opened_count += 1
    link.last_opened_at = now
    audit_record(
        actor=None,
        action="read",
        object_type="secure_link",
        object_id=str(link.external_id),
        patient_id=link.patient_id,
        detail={"purpose": purpose, "audience": link.audience},
    )
    return link


def link_consume(*, link: SecureLink, opened: bool = False) -> SecureLink:
    """Inside the caller's transaction: lock the row, re-check it, mark a single-use link used.

    Two submissions racing on the same link: the second waits for the lock and gets ``LinkRefused("used")``.
    ``opened=True`` when the link was opened with ``link_open(record_open=False)``: the opening is counted
    in the same UPDATE and the use is audited (in the caller's transaction).
    """
    locked = SecureLink.objects.select_for_update().get(pk=link.pk)
    now = clock.now()
    problem = _check(locked, now=now)
    if problem is not None:
        raise LinkRefused(problem)
    fields = []
    if locked.single_use:
        locked.used_at = now
        fields.append("used_at")
    if opened:
        locked.opened_count += 1
        locked.last_opened_at = now
        fields += ["opened_count", "last_opened_at"]
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    if opened:
        audit_record(
            actor=None,
            action="update",
            object_type="secure_link",
            object_id=str(locked.external_id),
            patient_id=locked.patient_id,
            detail={"purpose": locked.purpose, "audience": locked.audience, "used": locked.single_use},
        )
    return locked


def link_revoke(*, actor: Any, link: SecureLink, reason: str) -> SecureLink:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Saisie incomplète ou invalide : vérifiez les champs signalés."),
            field_errors={"reason": [_("Indiquez pourquoi le lien est désactivé.")]},
        )
    with transaction.atomic():
        locked = SecureLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = clock.now()
            locked.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
            locked.revoke_reason = reason[:300]
            locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
            audit_record(
                actor=actor,
                action="update",
                object_type="secure_link",
                object_id=str(locked.external_id),
                patient_id=locked.patient_id,
                detail={"reason": locked.revoke_reason},
            )
    return locked
