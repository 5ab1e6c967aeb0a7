"""Domain errors. Views and API handlers turn them into HTTP answers; messages are translated text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every refusal the domain layer can raise. ``message`` is user-facing (translated)."""

    code = "domain_error"

    def __init__(self, message: str, *, details: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


class NotFound(DomainError):
    """Missing or not visible to this user: both look the same from outside."""

    code = "not_found"


class Forbidden(DomainError):
    """Visible but the action is not allowed for this user; the message says why."""

    code = "forbidden"


class ValidationFailed(DomainError):
    """Input breaks a rule; ``field_errors`` maps field names to messages."""

    code = "invalid"

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class Conflict(DomainError):
    """The request clashes with the current state (stale edit, refused transition)."""

    code = "conflict"


@dataclass
class UnmetCondition:
    id: str
    label: str
    extra: dict[str, object] = field(default_factory=dict)


class TransitionRefused(Conflict):
    code = "transition_refused"

    def __init__(self, message: str, *, unmet: Sequence[UnmetCondition] = ()) -> None:
        super().__init__(message, details=unmet)
        self.unmet = list(unmet)


class StaleEdit(Conflict):
    code = "stale_edit"
