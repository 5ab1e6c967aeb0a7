"""Template filters of the learning pages."""

from __future__ import annotations

from typing import Any

from django import template

from parcours.learning.content import pick

register = template.Library()


@register.filter
def tr(label: Any) -> str:
    """A bilingual label (``Label`` or ``{"fr", "en"}``) in the reader's language."""
    return pick(label)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template (``None`` when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def sorted_list(values: Any) -> list[Any]:
    return sorted(values or [])
