"""Where the current request comes from, for the audit trail (set by middleware, read by services)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    method: str = ""
    path: str = ""
    channel: str = "web"  # web | api | cli | task


_CLI = RequestContext(channel="cli")
_current: ContextVar[RequestContext] = ContextVar("parcours_request_context", default=_CLI)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> object:
    return _current.set(ctx)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
