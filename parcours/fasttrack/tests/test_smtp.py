"""The GP's notification leaves through a real SMTP exchange (aiosmtpd on 127.0.0.1), in French."""

from __future__ import annotations

from typing import Any

import pytest

from parcours.fasttrack import services
from parcours.fasttrack.tests.conftest import Ft, accepted, slot
from parcours.notifications.tests.conftest import SmtpServer, smtp_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_the_gp_receives_the_appointments_by_smtp(
    ft: Ft,
    smtp_server: SmtpServer,  # noqa: F811 (the imported fixture)
    django_capture_on_commit_callbacks: Any,
) -> None:
    import datetime as dt

    for resource, hour, offset in ((ft.consult, 9, 0), (ft.ct, 10, 0), (ft.mri, 11, 0), (ft.biopsy, 9, 1)):
        slot(resource, ft.day + dt.timedelta(days=offset), hour, pathway="pancreas")
    with django_capture_on_commit_callbacks(execute=True):
        r = accepted(ft)
        services.diagnostic_day_book(actor=ft.coordinator, referral=r, template=ft.template, first_day=ft.day)
    subjects = {str(m.message["Subject"]).strip(): m for m in smtp_server.messages}
    sent = subjects["Rendez-vous programmés pour votre patient(e) LEFÈVRE Paul"]
    assert sent.rcpt_tos == ["dr.generaliste@medecin.mssante.fr"]
    body = sent.message.get_content()
    assert "mercredi 04/03/2026 à 09:00 : Consultation oncologue" in body
    assert any(s.startswith("Votre patient(e) LEFÈVRE Paul est pris(e) en charge") for s in subjects)
