"""What a patient sees when a link cannot be used, and the client address used for rate limiting."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parcours.links.services import LinkRefused


def client_ip(request: HttpRequest) -> str:
    """The peer address (the reverse proxy in production sets REMOTE_ADDR; we do not trust X-Forwarded-For)."""
    return str(request.META.get("REMOTE_ADDR") or "?")


def render_refused(request: HttpRequest, exc: LinkRefused) -> HttpResponse:
    response = render(
        request,
        "links/refused.html",
        {"reason": exc.reason, "message": exc.message},
        status=exc.http_status,
    )
    if exc.reason == "rate_limited":
        response["Retry-After"] = "900"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
