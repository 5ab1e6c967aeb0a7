"""Small helpers every app's views share: the signed-in professional and domain errors shown as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest

from parcours.accounts.models import User
from parcours.core.errors import DomainError, ValidationFailed

T = TypeVar("T")


def request_user(request: HttpRequest) -> User:
    """The professional behind a ``login_required`` view."""
    assert isinstance(request.user, User)
    return request.user


def flash_error(request: HttpRequest, exc: DomainError) -> None:
    """The refusal in the user's language, with every field message of a ``ValidationFailed``."""
    text = exc.message
    if isinstance(exc, ValidationFailed) and exc.field_errors:
        text += " " + " ".join(e for errs in exc.field_errors.values() for e in errs)
    messages.error(request, text)


def form_errors_text(form: Any) -> str:
    """A Django form's errors on one line, each prefixed with its field's label."""
    return " ".join(
        f"{form.fields[f].label if f in form.fields else ''} : {' '.join(e)}".strip(" :")
        for f, e in form.errors.items()
    )


def attempt(
    request: HttpRequest, action: Callable[[], T], *, done: str, bad_value: str | None = None
) -> T | None:
    """Run one service call from a form post and say how it went; the action's result, or None if refused.

    With ``bad_value``, a ``ValueError`` raised while parsing posted text inside ``action`` is shown with it.
    """
    try:
        result = action()
    except ValueError:
        if bad_value is None:
            raise
        messages.error(request, bad_value)
        return None
    except DomainError as exc:
        flash_error(request, exc)
        return None
    messages.success(request, done)
    return result
