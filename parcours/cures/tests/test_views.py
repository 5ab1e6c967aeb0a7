"""The cure pages through HTTP: board per role, prescription, each role's step, the nurse's page, syntheses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from parcours.cures import services
from parcours.cures.models import Cure, CurePlan
from parcours.cures.tests.conftest import T0, TODAY, CureWorld, lab_items, run_to_delivered

pytestmark = pytest.mark.django_db


def test_the_board_shows_each_role_what_is_due(cw: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    page = web_client(cw.idec).get(reverse("cures:today"))
    assert page.status_code == 200
    assert "MARTIN Jeanne" in page.content.decode() and "Bilans à prélever" in page.content.decode()
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=2)))
    onco = web_client(cw.oncologist).get(reverse("cures:today")).content.decode()
    assert "OK clinique et biologique à donner" in onco
    # the pharmacist is on no care team but sees the cures of her pharmacy; an outsider sees nothing
    assert web_client(cw.pharmacist).get(reverse("cures:today")).status_code == 200
    assert "MARTIN" not in web_client(cw.outsider).get(reverse("cures:today")).content.decode()


def test_prescribing_through_the_page(cw: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    client = web_client(cw.oncologist)
    url = reverse("cures:prescribe", args=[cw.patient.external_id])
    assert client.get(url).status_code == 200
    data = {
        "regimen_id": "pembrolizumab_400mg_q6w",
        "start": TODAY.isoformat(),
        "cycles": "3",
        "first_number": "4",
        "pharmacy": str(cw.pharmacy.pk),
    }
    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200 and "Calendrier proposé" in preview.content.decode()
    response = client.post(url, data)
    plan = CurePlan.objects.get()
    assert response.status_code == 302 and response.url == reverse("cures:plan", args=[plan.external_id])
    assert Cure.objects.filter(plan=plan).count() == 3
    assert "Calendrier des cures" in client.get(response.url).content.decode()


def test_a_dose_mismatch_on_the_page_asks_for_a_reason(cw: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    client = web_client(cw.oncologist)
    url = reverse("cures:prescribe", args=[cw.patient.external_id])
    data = {
        "regimen_id": "pembrolizumab_200mg_q3w",
        "start": TODAY.isoformat(),
        "cycles": "2",
        "first_number": "4",
        "pharmacy": str(cw.pharmacy.pk),
        "dose_mg": "150",
    }
    page = client.post(url, data, follow=True).content.decode()
    assert "motif écrit" in page and not CurePlan.objects.exists()


def test_the_roles_walk_a_cure_through_the_pages(cw: CureWorld, web_client, clock) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    idec = web_client(cw.idec)
    labs = {"labs-sampled_at": "2026-11-23T06:30"}
    for item in lab_items(T0):
        labs.update(
            {
                f"labs-{item.code}_value": str(item.value),
                f"labs-{item.code}_unit": str(item.unit),
                f"labs-{item.code}_lower": str(item.lower),
                f"labs-{item.code}_upper": str(item.upper),
            }
        )
    labs["version"] = str(cure.version)
    idec.post(reverse("cures:action", args=[cure.external_id, "labs"]), labs)
    cure.refresh_from_db()
    assert cure.status == "ready_for_ok"
    idec.post(
        reverse("cures:action", args=[cure.external_id, "vitals"]),
        {"vitals-observed_at": "2026-11-23T07:55", "vitals-TEMP": "36.6", "version": cure.version},
    )
    page = web_client(cw.oncologist).get(reverse("cures:cure", args=[cure.external_id])).content.decode()
    assert "OK clinique et biologique : conditions" in page
    web_client(cw.oncologist).post(
        reverse("cures:action", args=[cure.external_id, "ok"]), {"ok-kind": "cycle", "version": cure.version}
    )
    cure.refresh_from_db()
    web_client(cw.had_physician).post(
        reverse("cures:action", args=[cure.external_id, "ok"]),
        {"ok-kind": "day_of_cure", "version": cure.version},
    )
    cure.refresh_from_db()
    assert cure.status == "ok_given"
    pharma = web_client(cw.pharmacist)
    pharma.post(
        reverse("cures:action", args=[cure.external_id, "prepare"]),
        {
            "prep-lot": "P-77",
            "prep-prepared_at": "2026-11-23T07:59",
            "prep-storage": "refrigerated",
            "prep-aseptic_validated": "on",
            "version": cure.version,
        },
    )
    cure.refresh_from_db()
    assert cure.status == "in_preparation"
    assert (
        "Limite de stabilité" in pharma.get(reverse("cures:cure", args=[cure.external_id])).content.decode()
    )
    pharma.post(reverse("cures:action", args=[cure.external_id, "release"]), {"version": cure.version})
    cure.refresh_from_db()
    assert cure.status == "released"


def test_a_stale_page_is_refused(cw: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    response = web_client(cw.oncologist).post(
        reverse("cures:action", args=[cure.external_id, "cancel"]),
        {"cancel-reason": "Arrêt", "version": cure.version + 3},
        follow=True,
    )
    assert "modifiée entre-temps" in response.content.decode()
    cure.refresh_from_db()
    assert cure.status == "planned"


def test_the_nurse_page_records_the_administration(cw: CureWorld, web_client, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    clock.shift(dt.timedelta(minutes=60))
    client = web_client(cw.nurse)
    url = reverse("cures:administer", args=[cure.external_id])
    assert "MARTIN Jeanne" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "identity_checked": "on",
            "started_at": "2026-11-23T08:45",
            "ended_at": "2026-11-23T09:15",
            "lot": "LOT-42",
            "reaction_grade": "0",
            "dasri_disposed": "on",
            "before_TEMP": "36.8",
            "after_TEMP": "36.9",
            "version": cure.version,
        },
    )
    assert response.status_code == 302
    cure.refresh_from_db()
    assert cure.status == "administered"


def test_someone_outside_the_care_team_gets_404(cw: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    cure = cw.first_cure(cw.plan())
    assert web_client(cw.outsider).get(reverse("cures:cure", args=[cure.external_id])).status_code == 404
    assert (
        web_client(cw.outsider).get(reverse("cures:administer", args=[cure.external_id])).status_code == 404
    )


def test_the_syntheses_page_starts_the_job(
    cw: CureWorld, web_client, clock, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = web_client(cw.nurse)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cures:syntheses"), {"date": TODAY.isoformat()})
    page = client.get(reverse("cures:syntheses") + f"?date={TODAY.isoformat()}").content.decode()
    assert "0 / 0 (done)" in page
