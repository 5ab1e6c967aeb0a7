from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def tr(label: Any) -> str:
    """A bilingual label (object with .fr/.en, or dict) in the current language."""
    if label is None:
        return ""
    en = (get_language() or "fr").startswith("en")
    if isinstance(label, dict):
        return str(label.get("en" if en else "fr") or label.get("fr") or "")
    return str(getattr(label, "en" if en else "fr", label))


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def colon() -> str:
    """A colon with French typography (non-breaking space before) or English (none)."""
    return "\u00a0:" if (get_language() or "fr").startswith("fr") else ":"
