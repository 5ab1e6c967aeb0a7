"""The patient booklet and the one-page personalised care plan (PPS), rendered by WeasyPrint."""

from __future__ import annotations

from django.template.loader import render_to_string

from parcours.core import clock
from parcours.fasttrack import selectors
from parcours.fasttrack.models import RcpCase, Referral
from parcours.fasttrack.pathways import PATHWAYS


def _render(template: str, context: dict[str, object]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return bytes(HTML(string=html).write_pdf())


def pps_pdf(referral: Referral) -> bytes:
    return _render(
        "fasttrack/pdf/pps.html",
        {
            "r": referral,
            "patient": referral.patient,
            "pathway": PATHWAYS[referral.pathway],
            "bookings": selectors.live_bookings(referral),
            "rcp": RcpCase.objects.filter(referral=referral).order_by("-meeting_date").first(),
            "today": clock.today(),
        },
    )


def booklet_pdf(referral: Referral) -> bytes:
    return _render(
        "fasttrack/pdf/booklet.html",
        {
            "r": referral,
            "patient": referral.patient,
            "pathway": PATHWAYS[referral.pathway],
            "bookings": selectors.live_bookings(referral),
            "today": clock.today(),
        },
    )
