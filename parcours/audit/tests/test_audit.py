"""Audit trail: every read and write of patient data is traced with who/what/where, and it is append-only."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, transaction

from parcours.audit import context
from parcours.audit.models import AuditEvent
from parcours.audit.services import audit_record
from parcours.pathways import registry
from parcours.pathways import services as pathway_services

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def test_patient_page_read_is_audited_with_actor_ip_and_path(world, web_client) -> None:
    client = web_client(world.idec)
    url = f"/patients/{world.patient.external_id}/"
    response = client.get(url, REMOTE_ADDR=IP, HTTP_USER_AGENT="Firefox test")
    assert response.status_code == 200
    event = last("read")
    assert event.actor == world.idec
    assert event.actor_role == "idec"
    assert event.patient_id == world.patient.pk
    assert (event.ip, event.method, event.path) == (IP, "GET", url)
    assert event.user_agent == "Firefox test"
    assert event.detail["channel"] == "web"


def test_api_read_is_audited_on_the_api_channel(world, api_client) -> None:
    url = f"/api/v1/patients/{world.patient.external_id}"
    response = api_client(world.idec).get(url, REMOTE_ADDR=IP)
    assert response.status_code == 200
    event = last("read")
    assert (event.actor, event.patient_id, event.ip, event.path) == (world.idec, world.patient.pk, IP, url)
    assert event.detail["channel"] == "api"


def test_api_list_is_audited(world, api_client) -> None:
    api_client(world.idec).get("/api/v1/patients?q=MART", REMOTE_ADDR=IP)
    event = last("list")
    assert event.actor == world.idec
    assert event.detail["q"] == "MART"


def test_create_update_and_transition_through_the_api_are_audited(world, api_client) -> None:
    client = api_client(world.idec)
    created = client.post(
        "/api/v1/patients",
        json.dumps({"birth_name": "Petit", "given_names": "Louis", "sex": "M", "birth_date": "1950-02-01"}),
        content_type="application/json",
        REMOTE_ADDR=IP,
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    event = last("create")
    assert (event.actor, event.object_type, event.object_id, event.ip, event.path) == (
        world.idec,
        "patient",
        pid,
        IP,
        "/api/v1/patients",
    )
    assert event.patient_id is not None

    patched = client.patch(
        f"/api/v1/patients/{pid}",
        json.dumps({"version": 1, "phone": "0600000000"}),
        content_type="application/json",
        REMOTE_ADDR=IP,
    )
    assert patched.status_code == 200, patched.content
    event = last("update")
    assert (event.actor, event.patient_id, event.ip, event.method) == (
        world.idec,
        last("create").patient_id,
        IP,
        "PATCH",
    )
    assert event.detail["fields"] == ["phone"]

    assert (
        client.post(f"/api/v1/patients/{pid}/pathways/{registry.CLB_KEY}", REMOTE_ADDR=IP).status_code == 201
    )
    moved = client.post(
        f"/api/v1/patients/{pid}/pathways/{registry.CLB_KEY}/transitions",
        json.dumps({"transition": "end", "reason": "patient_choice"}),
        content_type="application/json",
        REMOTE_ADDR=IP,
    )
    assert moved.status_code == 200, moved.content
    event = last("transition")
    assert (event.actor, event.ip) == (world.idec, IP)
    assert event.path.endswith("/transitions")
    assert event.detail["target"] == "ended"


def test_service_call_outside_a_request_is_audited_on_the_cli_channel(world) -> None:
    pathway_services.pathway_start(actor=world.idec, patient=world.patient, definition_key=registry.CLB_KEY)
    event = last("create")
    assert event.ip is None
    assert event.path == ""
    assert event.detail["channel"] == "cli"


def test_context_is_reset_after_the_request(world, web_client) -> None:
    web_client(world.idec).get(f"/patients/{world.patient.external_id}/", REMOTE_ADDR=IP)
    assert context.current().ip is None
    assert context.current().channel == "cli"


def test_system_actor_is_labelled(db) -> None:
    event = audit_record(actor=None, action="create", object_type="thing")
    assert event.actor is None
    assert event.actor_label == "système"


# --------------------------------------------------------------------------------------------- append-only


@pytest.fixture
def event(db) -> AuditEvent:
    return audit_record(actor=None, action="read", object_type="patient", object_id="x")


def test_queryset_update_is_refused_by_the_database(event) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    assert AuditEvent.objects.get(pk=event.pk).action == "read"


def test_instance_save_is_refused_by_the_database(event) -> None:
    event.object_id = "tampered"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).object_id == "x"


def test_queryset_delete_is_refused_by_the_database(event) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_instance_delete_is_refused_by_the_database(event) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_inserting_stays_possible_after_a_refused_update(event) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().update(path="/x")
    audit_record(actor=None, action="read", object_type="patient")
    assert AuditEvent.objects.count() == 2
