from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory

from parcours.audit.models import AuditEvent
from parcours.core.errors import ValidationFailed
from parcours.links import services
from parcours.links.models import SecureLink
from parcours.links.services import LinkRefused, link_consume, link_issue, link_open, link_revoke
from parcours.links.views import render_refused

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def _issue(world, **kw):  # type: ignore[no-untyped-def]
    return link_issue(actor=world.idec, patient=world.patient, purpose="questionnaire", target_id="q-1", **kw)


@time_machine.travel(NOW, tick=False)
def test_only_the_hash_of_the_token_is_stored_and_the_link_opens(world) -> None:
    issued = _issue(world)
    assert len(issued.token) >= 40
    assert not SecureLink.objects.filter(token_hash=issued.token).exists()
    link = link_open(token=issued.token, purpose="questionnaire", client_ip="10.0.0.1")
    assert link.pk == issued.link.pk and link.opened_count == 1
    assert AuditEvent.objects.filter(
        action="read", object_type="secure_link", patient_id=world.patient.pk, actor=None
    ).exists()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("case", ["forged", "wrong_purpose", "expired", "revoked"])
def test_unusable_links_are_refused_with_the_reason(world, case: str) -> None:
    issued = _issue(world)
    token, purpose, expected = issued.token, "questionnaire", case
    if case == "forged":
        token, expected = issued.token[:-2] + "xx", "unknown"
    elif case == "wrong_purpose":
        purpose = "education"
    elif case == "revoked":
        link_revoke(actor=world.idec, link=issued.link, reason="numéro de téléphone erroné")
    with (
        time_machine.travel(
            NOW + (dt.timedelta(hours=73) if case == "expired" else dt.timedelta()), tick=False
        ),
        pytest.raises(LinkRefused) as exc,
    ):
        link_open(token=token, purpose=purpose, client_ip="10.0.0.2")
    assert exc.value.reason == expected
    assert exc.value.message
    assert AuditEvent.objects.filter(
        action="denied", object_type="secure_link", detail__reason=expected
    ).exists()


@time_machine.travel(NOW, tick=False)
def test_a_single_use_link_is_consumed_once(world) -> None:
    issued = _issue(world)
    link = link_open(token=issued.token, purpose="questionnaire", client_ip="10.0.0.3")
    with transaction.atomic():
        link_consume(link=link)
    with pytest.raises(LinkRefused) as exc, transaction.atomic():
        link_consume(link=link)
    assert exc.value.reason == "used"
    with pytest.raises(LinkRefused) as exc2:
        link_open(token=issued.token, purpose="questionnaire", client_ip="10.0.0.3")
    assert exc2.value.reason == "used"


@time_machine.travel(NOW, tick=False)
def test_a_multi_use_link_stays_open_until_it_expires(world) -> None:
    issued = _issue(world, single_use=False, ttl=dt.timedelta(days=30))
    for _ in range(3):
        with transaction.atomic():
            link_consume(link=link_open(token=issued.token, purpose="questionnaire", client_ip="10.0.0.4"))


@time_machine.travel(NOW, tick=False)
def test_repeated_failures_from_one_client_are_rate_limited(world) -> None:
    issued = _issue(world)
    for _ in range(services.MAX_FAILURES):
        with pytest.raises(LinkRefused):
            link_open(token="nope", purpose="questionnaire", client_ip="10.9.9.9")
    with pytest.raises(LinkRefused) as exc:
        link_open(token=issued.token, purpose="questionnaire", client_ip="10.9.9.9")
    assert exc.value.reason == "rate_limited" and exc.value.http_status == 429
    # another client is not affected, and the limit lifts after the window
    assert link_open(token=issued.token, purpose="questionnaire", client_ip="10.0.0.5")
    with time_machine.travel(NOW + services.FAILURE_WINDOW + dt.timedelta(seconds=1), tick=False):
        assert link_open(token=issued.token, purpose="questionnaire", client_ip="10.9.9.9")


@time_machine.travel(NOW, tick=False)
def test_bad_issue_requests_name_the_field(world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        link_issue(
            actor=world.idec,
            patient=world.patient,
            purpose="",
            target_id="x",
            audience="caregiver",
            ttl=dt.timedelta(days=400),
        )
    assert {"purpose", "caregiver", "ttl"} <= set(exc.value.field_errors)
    assert not SecureLink.objects.exists()


def test_revoking_needs_a_reason(world) -> None:
    issued = _issue(world)
    with pytest.raises(ValidationFailed):
        link_revoke(actor=world.idec, link=issued.link, reason=" ")


def test_the_refusal_page_is_plain_and_not_cached(world) -> None:
    request = RequestFactory().get("/q/x/")
    request.user = AnonymousUser()
    response = render_refused(request, LinkRefused("expired"))
    assert response.status_code == 410
    assert response["Cache-Control"] == "no-store"
    assert "expiré" in response.content.decode()
    assert "15" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_link_opened_without_recording_is_counted_and_audited_when_consumed(world) -> None:
    issued = _issue(world)
    link = link_open(token=issued.token, purpose="questionnaire", client_ip="198.51.100.4", record_open=False)
    link.refresh_from_db()
    assert link.opened_count == 0 and link.used_at is None  # nothing written by the opening itself
    with transaction.atomic():
        used = link_consume(link=link, opened=True)
    used.refresh_from_db()
    assert used.opened_count == 1 and used.last_opened_at == NOW and used.used_at == NOW
    event = AuditEvent.objects.filter(object_type="secure_link", object_id=str(used.external_id)).latest("id")
    assert event.action == "update" and event.detail["used"] is True and event.patient_id == world.patient.pk
