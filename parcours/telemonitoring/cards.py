"""The IDEC queue's alert cards, rendered once per state of the alert and kept in the cache.

The queue is re-read every 20 s by every IDEC with the page open, and during a burst of alerts it is read while
the submissions are being written: rendering ~50 cards with their forms costs ~1 ms each, most of a read. A
card's HTML depends only on the alert's state (and its patient's identity), the reader's language and time
zone, and whether she may act on alerts: that is the cache key, so any change of the alert or of the patient's
identity gives a new key (the old entry simply expires). The CSRF token, the only per-session part, is left as
a mark in the cached HTML and put in place for each request (any masked form of the session's secret is valid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from parcours.telemonitoring.models import Alert

CSRF_MARK = "PARCOURS-CSRF-MARK"
TTL_SECONDS = 3600
VERSION = (
    1  # bump when _alert.html changes in a way the key does not see (deployments clear the cache anyway)
)


def card_key(alert: Alert, *, can_act: bool) -> str:
    patient = alert.patient
    return ":".join(
        [
            f"tm-card{VERSION}",
            str(alert.external_id),
            str(alert.version),
            alert.status,
            alert.updated_at.isoformat(),
            str(patient.external_id),
            str(patient.version),
            patient.updated_at.isoformat(),
            get_language() or "",
            timezone.get_current_timezone_name(),
            "act" if can_act else "read",
        ]
    )


def alert_cards(
    request: HttpRequest, alerts: Sequence[Alert], *, can: Mapping[str, bool]
) -> list[SafeString]:
    """The queue's card of each alert (``telemonitoring/_alert.html`` with the patient shown), in order."""
    can_act = bool(can.get("alert"))
    keys = [card_key(a, can_act=can_act) for a in alerts]
    found: dict[str, str] = cache.get_many(keys)
    token = get_token(request)
    cards = []
    fresh: dict[str, str] = {}
    for alert, key in zip(alerts, keys, strict=True):
        html = found.get(key)
        if html is None:
            html = render_to_string(
                "telemonitoring/_alert.html",
                {"alert": alert, "show_patient": True, "can": can, "csrf_token": CSRF_MARK},
            )
            fresh[key] = html
        cards.append(mark_safe(html.replace(CSRF_MARK, token)))  # noqa: S308 - our template, escaped there
    if fresh:
        cache.set_many(fresh, TTL_SECONDS)
    return cards
