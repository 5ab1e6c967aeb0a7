"""Printable module sheets (WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML

from parcours.education.programme import Programme
from parcours.learning.content import pick
from parcours.learning.markdown import render_markdown


def module_sheet(
    *, programme: Programme, module_id: str, contacts: list[tuple[str, str, str]] | None = None
) -> bytes:
    """One A4 sheet (or more) with the module text, the quiz questions to discuss, and the emergency numbers."""
    module = programme.module(module_id)
    html = render_to_string(
        "learning/pdf_module.html",
        {
            "programme": programme,
            "module": module,
            "title": pick(module.title),
            "html": render_markdown(module.text),
            "questions": [pick(q.text) for q in module.quiz.questions],
            "contacts": contacts or [],
        },
    )
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)
