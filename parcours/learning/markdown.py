"""Module texts (Markdown) to safe HTML: raw HTML is escaped, unsafe link schemes are refused."""

from __future__ import annotations

from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:", "#", "/")


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(_SAFE_SCHEMES)


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


@lru_cache(maxsize=256)
def _render(text: str) -> str:
    return _md().render(text)


def render_markdown(text: str) -> SafeString:
    """HTML of a module text. ``html`` is off: any tag in the text is shown as text, never interpreted."""
    return mark_safe(_render(text))  # noqa: S308 - markdown-it escapes raw HTML when html=False
