"""The JSON API under /api/v1/: routers of each app, token (or session) auth, errors in the user's language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from parcours.accounts.api_auth import TokenAuth
from parcours.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    StaleEdit,
    TransitionRefused,
    ValidationFailed,
)
from parcours.cures.api import router as cures_router
from parcours.fasttrack.api import router as fasttrack_router
from parcours.learning.api import router as learning_router
from parcours.pathways.api import router as pathways_router
from parcours.patients.api import router as patients_router
from parcours.telemonitoring.api import router as telemonitoring_router

api = NinjaAPI(
    title="Parcours API",
    version="1",
    description="Coordination des soins du cancer à domicile. Authentification : `Authorization: Bearer <jeton>`. "
    "Les messages d'erreur suivent l'en-tête Accept-Language (fr par défaut, en).",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/", patients_router)
api.add_router("/", pathways_router)
api.add_router("/", cures_router)
api.add_router("/", telemonitoring_router)
api.add_router("/", fasttrack_router)
api.add_router("/", learning_router)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "message": message, **extra}, status=status)


def _pydantic_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    messages = {
        "missing": _("Champ obligatoire."),
        "string_too_short": _("Trop court (au moins %(n)s caractère(s)).") % {"n": ctx.get("min_length", 1)},
        "string_too_long": _("Trop long (au plus %(n)s caractères).") % {"n": ctx.get("max_length", "")},
        "string_pattern_mismatch": _("Format invalide."),
        "string_type": _("Texte attendu."),
        "int_parsing": _("Nombre entier attendu."),
        "int_type": _("Nombre entier attendu."),
        "float_parsing": _("Nombre attendu."),
        "date_from_datetime_parsing": _("Date attendue au format AAAA-MM-JJ."),
        "date_parsing": _("Date attendue au format AAAA-MM-JJ."),
        "date_type": _("Date attendue au format AAAA-MM-JJ."),
        "uuid_parsing": _("Identifiant invalide."),
        "json_invalid": _("Le corps de la requête n'est pas du JSON valide."),
        "model_attributes_type": _("Objet JSON attendu."),
        "greater_than_equal": _("Doit être supérieur ou égal à %(n)s.") % {"n": ctx.get("ge", "")},
        "less_than_equal": _("Doit être inférieur ou égal à %(n)s.") % {"n": ctx.get("le", "")},
    }
    return str(messages.get(kind, err.get("msg", _("Valeur invalide."))))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in {"body", "payload", "query", "path"}]
        fields.setdefault(".".join(loc) or "body", []).append(_pydantic_message(err))
    return _error(request, 422, "invalid", _("Requête invalide : rien n'a été enregistré."), fields=fields)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja answers 400 "Cannot parse request body" (English) to a body that is not JSON.
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _error(
            request,
            422,
            "invalid",
            _("Requête invalide : rien n'a été enregistré."),
            fields={"body": [_("Le corps de la requête n'est pas du JSON valide.")]},
        )
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Authentification requise (jeton absent ou invalide)."))


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFound):
        return _error(request, 404, exc.code, exc.message)
    if isinstance(exc, Forbidden):
        return _error(request, 403, exc.code, exc.message)
    if isinstance(exc, ValidationFailed):
        return _error(request, 422, exc.code, exc.message, fields=exc.field_errors)
    if isinstance(exc, TransitionRefused):
        return _error(
            request, 409, exc.code, exc.message, unmet=[{"id": u.id, "label": u.label} for u in exc.unmet]
        )
    if isinstance(exc, StaleEdit | Conflict):
        return _error(request, 409, exc.code, exc.message)
    return _error(request, 400, exc.code, exc.message)
