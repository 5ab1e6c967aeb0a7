"""The daily care synthesis as a PDF (WeasyPrint): one small HTML document per patient, one shared stylesheet.

No Django import here: the process pool of the day's job imports only this module."""

from __future__ import annotations

from functools import cache
from typing import Any

STYLE = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page) "/" counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 11.5pt; margin: 5mm 0 2mm; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
.muted { color: #555; }
.alert { color: #8a1c1c; font-weight: bold; }
"""


@cache
def _stylesheet() -> Any:
    from weasyprint import CSS

    return CSS(string=STYLE)


def html_to_pdf(html: str) -> bytes:
    """One PDF from one HTML document. Imports no Django: it runs in the worker processes of the pool."""
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf(stylesheets=[_stylesheet()])
    assert pdf is not None
    return bytes(pdf)
