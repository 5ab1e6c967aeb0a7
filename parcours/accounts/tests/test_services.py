"""Accounts services: roles from data, professionals, organisations, API tokens."""

from __future__ import annotations

import json

import pytest

from parcours.accounts.models import ApiToken, Role, User
from parcours.accounts.permissions import has_perm, permissions_of
from parcours.accounts.roles_loader import load_roles_data
from parcours.accounts.services import (
    api_token_authenticate,
    api_token_create,
    organisation_create,
    professional_create,
    roles_sync,
)
from parcours.audit.models import AuditEvent
from parcours.core.errors import ValidationFailed
from parcours.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_roles_in_the_database_match_roles_json() -> None:
    data = load_roles_data()
    assert set(Role.objects.values_list("code", flat=True)) == set(data["roles"])
    idec = Role.objects.get(code="idec")
    assert set(idec.permissions.values_list("code", flat=True)) == set(data["roles"]["idec"]["permissions"])


def test_roles_sync_is_idempotent() -> None:
    before = {r.code: sorted(r.permissions.values_list("code", flat=True)) for r in Role.objects.all()}
    roles_sync()
    roles_sync()
    after = {r.code: sorted(r.permissions.values_list("code", flat=True)) for r in Role.objects.all()}
    assert after == before


def test_permissions_follow_the_role() -> None:
    assert has_perm(UserFactory(role="idec"), "pathway.transition")
    assert not has_perm(UserFactory(role="idel"), "pathway.transition")
    assert permissions_of(UserFactory(role="manager")) == frozenset({"indicators.view", "training.manage"})
    assert not has_perm(UserFactory(role="manager"), "patient.view")
    assert permissions_of(UserFactory(role=None)) == frozenset()


def test_professional_create_with_unknown_role_names_the_role_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        professional_create(
            actor=None, username="x", first_name="A", last_name="B", role_code="sorcerer", organisation=None
        )
    assert "role" in exc.value.field_errors
    assert "sorcerer" in exc.value.field_errors["role"][0]
    assert not User.objects.filter(username="x").exists()


def test_professional_create_reports_duplicate_username_and_bad_rpps_together() -> None:
    UserFactory(username="taken")
    with pytest.raises(ValidationFailed) as exc:
        professional_create(
            actor=None,
            username="taken",
            first_name="A",
            last_name="B",
            role_code="idec",
            organisation=None,
            rpps="123",
        )
    assert set(exc.value.field_errors) == {"username", "rpps"}


def test_professional_create_sets_role_password_and_audits() -> None:
    user = professional_create(
        actor=None,
        username="lea",
        first_name="Léa",
        last_name="Moreau",
        role_code="gp",
        organisation=None,
        password="s3cret-pass",
        rpps="10001234567",
    )
    assert user.role.code == "gp"
    assert user.check_password("s3cret-pass")
    event = AuditEvent.objects.get(object_type="user", object_id=str(user.external_id))
    assert event.action == "create"
    assert event.actor_label == "système"


def test_professional_without_password_cannot_log_in() -> None:
    user = professional_create(
        actor=None, username="nopw", first_name="A", last_name="B", role_code="gp", organisation=None
    )
    assert not user.has_usable_password()


def test_organisation_create_validates_kind_finess_and_name() -> None:
    with pytest.raises(ValidationFailed) as exc:
        organisation_create(actor=None, kind="castle", name=" ", finess="12")
    assert set(exc.value.field_errors) == {"kind", "name", "finess"}


def test_api_token_is_stored_hashed_and_authenticates_its_user() -> None:
    user = UserFactory(role="idec")
    token, key = api_token_create(user=user, label="poste")
    assert key.startswith("pk_")
    assert key not in token.key_hash
    assert api_token_authenticate(key) == user
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert api_token_authenticate(key + "x") is None


def test_revoked_token_or_inactive_user_no_longer_authenticates() -> None:
    user = UserFactory(role="idec")
    token, key = api_token_create(user=user, label="poste")
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert api_token_authenticate(key) is None
    _token2, key2 = api_token_create(user=user, label="autre")
    user.is_active = False
    user.save()
    assert api_token_authenticate(key2) is None


def test_admin_convention_form_refuses_an_unknown_step_and_a_wrong_party(db) -> None:
    from parcours.accounts.admin import ConventionForm
    from parcours.accounts.responsibilities import default_matrix
    from parcours.testing.factories import OrganisationFactory

    hospital = OrganisationFactory()
    had = OrganisationFactory(had=True)
    matrix = {**default_matrix(), "ok_cycle": "pharmacie", "unknown_step": "had"}
    form = ConventionForm(
        data={"name": "C", "hospital": hospital.pk, "had": had.pk, "responsibilities": json.dumps(matrix)}
    )
    assert not form.is_valid()
    assert "ok_cycle" in str(form.errors["responsibilities"])
    assert "unknown_step" in str(form.errors["responsibilities"])
    swapped = ConventionForm(
        data={"name": "C", "hospital": had.pk, "had": hospital.pk, "responsibilities": "{}"}
    )
    assert not swapped.is_valid()
    assert "hospital" in swapped.errors and "had" in swapped.errors
