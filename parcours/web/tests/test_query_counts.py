"""The number of SQL queries of a page does not grow with its rows (no N+1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.pathways import registry
from parcours.pathways import services as pathway_services
from parcours.patients import services as patient_services
from parcours.patients.models import TimelineEvent
from parcours.testing.factories import PatientFactory, UserFactory, add_member

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def my_patients_queries(world, web_client, n: int) -> int:
    idec = UserFactory(role="idec", organisation=world.hospital)
    for i in range(n):
        patient = PatientFactory(
            hospital=world.hospital, had=world.had, referring_oncologist=world.oncologist
        )
        add_member(patient, idec)
        if i % 2:
            pathway_services.pathway_start(actor=idec, patient=patient, definition_key=registry.CLB_KEY)
    client = web_client(idec)
    client.get("/patients/")  # warm-up (session, caches)
    count = queries_for(client, "/patients/")
    page = client.get("/patients/").content.decode()
    assert page.count("/patients/") >= n  # every patient is listed
    return count


def test_my_patients_page_query_count_does_not_depend_on_the_number_of_patients(world, web_client) -> None:
    few = my_patients_queries(world, web_client, 5)
    many = my_patients_queries(world, web_client, 40)
    assert few == many


def patient_page_queries(world, web_client, n_events: int) -> int:
    patient = PatientFactory(hospital=world.hospital, had=world.had, referring_oncologist=world.oncologist)
    for user in (world.idec, world.oncologist, world.had_physician):
        add_member(patient, user)
    pathway_services.pathway_start(actor=world.idec, patient=patient, definition_key=registry.CLB_KEY)
    patient_services.consent_record(actor=world.idec, patient=patient, kind="had_informed", given=True)
    start = timezone.now() - dt.timedelta(days=1)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            patient=patient,
            at=start + dt.timedelta(minutes=i),
            actor=[world.idec, world.oncologist, world.had_physician][i % 3],
            actor_label="x",
            kind="patient.updated",
            data={"fields": ["phone"]},
        )
        for i in range(n_events)
    )
    client = web_client(world.idec)
    url = f"/patients/{patient.external_id}/"
    client.get(url)
    return queries_for(client, url)


def test_patient_page_query_count_does_not_depend_on_the_timeline_length(world, web_client) -> None:
    few = patient_page_queries(world, web_client, 5)
    many = patient_page_queries(world, web_client, 60)
    assert few == many


def test_timeline_fragment_query_count_does_not_depend_on_its_length(world, web_client) -> None:
    counts = []
    for n in (5, 60):
        patient = PatientFactory()
        add_member(patient, world.idec)
        TimelineEvent.objects.bulk_create(
            TimelineEvent(patient=patient, at=timezone.now(), actor=world.oncologist, kind="patient.created")
            for _ in range(n)
        )
        counts.append(queries_for(web_client(world.idec), f"/patients/{patient.external_id}/chronologie/"))
    assert counts[0] == counts[1]
