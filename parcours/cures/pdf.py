"""The daily care synthesis as a PDF (WeasyPrint): one small HTML document per patient, one shared stylesheet.

No Django import here: the process pool of the day's job imports only this module.

Cost (see docs/benchmarks.md): WeasyPrint spends its time in the cascade, the layout and the font subsetting.
So each process builds once and reuses the font configuration, the stylesheet and a small user-agent
stylesheet holding only the elements the synthesis template uses (WeasyPrint's full HTML5 sheet, ~250 rules,
is matched against every element of every document); only the system font DejaVu Sans (no web font, nothing
fetched); no page-count footer (``counter(pages)`` makes WeasyPrint lay the document out twice); no tables
(laid out in several passes: the page cost a third more with its two tables)."""

from __future__ import annotations

from functools import cache
from typing import Any

STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 11.5pt; margin: 5mm 0 2mm; border-bottom: 1px solid #999; }
.item { border-left: 1mm solid #bbb; padding-left: 2.5mm; line-height: 1.45; }
.muted { color: #555; }
.alert { color: #8a1c1c; font-weight: bold; }
"""

# The user-agent rules the synthesis template needs (html, head, body, h1, h2, p, br, strong, span, ul, li), instead
# of WeasyPrint's whole HTML5 sheet.
UA_STYLE = """
html, body, h1, h2, p, ul, div { display: block }
head, title, meta, style, script, link { display: none }
p, ul { margin: 2mm 0 }
ul { padding-left: 6mm }
li { display: list-item; list-style: disc outside }
strong, b, h1, h2 { font-weight: bold }
h1, h2 { break-after: avoid }
br::before { content: "\\A"; white-space: pre-line }
"""


@cache
def _resources() -> tuple[Any, Any, Any]:
    """The font configuration and the two stylesheets, built once per process."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return fonts, CSS(string=STYLE, font_config=fonts), CSS(string=UA_STYLE, font_config=fonts)


@cache
def _document_class() -> Any:
    from weasyprint import HTML

    class SynthesisHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [_resources()[2]]

    return SynthesisHTML


def warm_up() -> None:
    """Build the fonts and stylesheets when a worker starts (the pool's initializer), not on its first page."""
    _resources()
    _document_class()


def html_to_pdf(html: str) -> bytes:
    """One PDF from one HTML document. Imports no Django: it runs in the worker processes of the pool."""
    fonts, style, _ua = _resources()
    pdf = _document_class()(string=html).write_pdf(stylesheets=[style], font_config=fonts)
    assert pdf is not None
    return bytes(pdf)
