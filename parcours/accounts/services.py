"""Writes for accounts: roles from data, professionals, organisations, agreements, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import ApiToken, Convention, Organisation, Permission, Role, User
from parcours.accounts.responsibilities import default_matrix, validate_matrix
from parcours.accounts.roles_loader import sync_roles
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import ValidationFailed


@transaction.atomic
def roles_sync() -> None:
    """Make the Role/Permission tables match ``data/roles.json`` (idempotent)."""
    sync_roles(Permission, Role)


@transaction.atomic
def professional_create(
    *,
    actor: User | None,
    username: str,
    first_name: str,
    last_name: str,
    role_code: str,
    organisation: Organisation | None,
    password: str | None = None,
    email: str = "",
    rpps: str = "",
) -> User:
    errors: dict[str, list[str]] = {}
    role = Role.objects.filter(code=role_code).first()
    if role is None:
        errors["role"] = [_("Rôle inconnu : %(role)s.") % {"role": role_code}]
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("Cet identifiant est déjà utilisé.")]
    if rpps and (not rpps.isdigit() or len(rpps) != 11):
        errors["rpps"] = [_("Le n° RPPS compte 11 chiffres.")]
    if errors:
        raise ValidationFailed(_("Le professionnel n'a pas été créé."), field_errors=errors)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        role=role,
        organisation=organisation,
        email=email,
        rpps=rpps,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="create", object_type="user", object_id=str(user.external_id))
    return user


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    kind: str,
    name: str,
    finess: str = "",
    address: str = "",
    postcode: str = "",
    city: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    service_area: list[str] | None = None,
) -> Organisation:
    errors: dict[str, list[str]] = {}
    if kind not in OrganisationKind.values:
        errors["kind"] = [_("Type d'organisation inconnu : %(kind)s.") % {"kind": kind}]
    if finess and (not finess.isdigit() or len(finess) != 9):
        errors["finess"] = [_("Le n° FINESS compte 9 chiffres.")]
    if not name.strip():
        errors["name"] = [_("Le nom est obligatoire.")]
    if errors:
        raise ValidationFailed(_("L'organisation n'a pas été créée."), field_errors=errors)
    org = Organisation.objects.create(
        kind=kind,
        name=name.strip(),
        finess=finess,
        address=address,
        postcode=postcode,
        city=city,
        latitude=latitude,
        longitude=longitude,
        service_area=service_area or [],
    )
    audit_record(actor=actor, action="create", object_type="organisation", object_id=str(org.external_id))
    return org


@transaction.atomic
def convention_create(
    *,
    actor: User | None,
    hospital: Organisation,
    had: Organisation,
    name: str,
    responsibilities: dict[str, str] | None = None,
) -> Convention:
    matrix = responsibilities if responsibilities is not None else default_matrix()
    errors = validate_matrix(matrix)
    if hospital.kind != OrganisationKind.HOSPITAL:
        errors["hospital"] = [_("Choisissez un établissement de santé.")]
    if had.kind != OrganisationKind.HAD:
        errors["had"] = [_("Choisissez une structure d'HAD.")]
    if errors:
        raise ValidationFailed(_("La convention n'a pas été enregistrée."), field_errors=errors)
    conv = Convention.objects.create(hospital=hospital, had=had, name=name, responsibilities=matrix)
    audit_record(actor=actor, action="create", object_type="convention", object_id=str(conv.external_id))
    return conv


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, label: str) -> tuple[ApiToken, str]:
    """Return the token row and the clear key, shown once."""
    key = "pk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, label=label, key_hash=_hash(key))
    audit_record(actor=user, action="create", object_type="api_token", object_id=str(token.external_id))
    return token, key


def api_token_authenticate(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__role")
        .filter(key_hash=_hash(key), revoked=False, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token.user
