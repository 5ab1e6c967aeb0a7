"""``{{ obj.external_id|tm_url:"alert_ack" }}``: the URL of a telemonitoring page for one object id.

Same result as ``{% url "telemonitoring:alert_ack" obj.external_id %}`` without running the URL resolver for
each of the hundreds of links of the IDEC queue (``reverse`` was half of the queue's rendering time): the URL
is reversed once per name and script prefix with a placeholder id, then the id is put in its place.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

_PLACEHOLDER = uuid.UUID(int=0)
# Only the routes whose single argument is a UUID (ids are UUIDs: nothing in them needs quoting).
ROUTES = frozenset(
    {"patient", "proxy", "alert_ack", "alert_action", "alert_close", "hold_review", "task_done"}
)


@lru_cache(maxsize=64)
def _parts(name: str, prefix: str) -> tuple[str, str]:
    url = reverse(f"telemonitoring:{name}", args=[_PLACEHOLDER])
    head, sep, tail = url.partition(str(_PLACEHOLDER))
    if not sep:  # pragma: no cover - every route of ROUTES has the id in its path
        raise ValueError(f"telemonitoring:{name}: the id is not in the path")
    return head, tail


@register.filter
def tm_url(object_id: uuid.UUID | str, name: str) -> str:
    if name not in ROUTES:
        raise ValueError(f"tm_url: unknown or unsupported route {name!r}")
    head, tail = _parts(name, get_script_prefix())
    return f"{head}{uuid.UUID(str(object_id))}{tail}"
