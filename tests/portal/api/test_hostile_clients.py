"""Clients sending what no form would: each answer is a 4xx, never a 500."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from catalog.models import ApiToken
from core.tokens import issue_token
from tests.support.users import make_user

pytestmark = pytest.mark.django_db

# Dates Python or the database cannot hold once a day or a time zone is applied.
OVERFLOWING_DATES = ["9999-12-31", "0001-01-01", "0001-01-01T00:00+14:00"]


@pytest.fixture
def auditor_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_user("carol-compliance", "compliance"))
    return client


@pytest.mark.parametrize("value", OVERFLOWING_DATES)
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("url", ["/audit/", "/api/audit"])
def test_audit_dates_out_of_range_are_refused(auditor_client, url, name, value):
    response = auditor_client.get(url, {name: value})
    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("value", [*OVERFLOWING_DATES, "9999-12-31T23:59-12:00"])
@pytest.mark.parametrize(
    "url",
    [
        "/compliance/history",
        "/api/compliance/catalog",
        "/compliance/history/component/default/billing",
        "/api/compliance/entities/component/default/billing",
    ],
)
def test_catalog_at_a_date_out_of_range_is_refused(auditor_client, url, value):
    response = auditor_client.get(url, {"at": value})
    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("value", ["²", "1" * 40, "-1", "1e3"])
@pytest.mark.parametrize("url", ["/compliance/diff", "/api/compliance/diff"])
def test_revision_ids_that_are_not_numbers_find_nothing(auditor_client, url, value):
    response = auditor_client.get(url, {"from": value, "to": value})
    assert response.status_code in (400, 404), response.content[:300]


@pytest.mark.parametrize("value", ["abc", "²", "9" * 30, ""])
def test_revoking_a_token_that_is_not_a_number(viewer, value):
    client = Client(raise_request_exception=False)
    client.force_login(viewer)
    token, _ = issue_token(viewer, "kept")
    response = client.post("/settings/tokens", {"revoke": value})
    assert response.status_code in (302, 400)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_create_token_refuses_write_tokens_for_people_without_a_role(db):
    nobody = get_user_model().objects.create_user("nobody")
    with pytest.raises(CommandError, match="no role"):
        call_command("create_token", nobody.username, "--write", stdout=io.StringIO())
    assert not ApiToken.objects.filter(user=nobody).exists()


def test_create_token_gives_editors_write_tokens(editor):
    call_command("create_token", editor.username, "--write", stdout=io.StringIO())
    assert ApiToken.objects.get(user=editor).scope == ApiToken.Scope.WRITE


def test_facets_are_capped(viewer_client, settings):
    settings.GREENROOM_API_MAX_FACETS = cap = 10
    many = [f"metadata.annotations.a{i}" for i in range(cap + 1)]
    url = "/api/catalog/entity-facets"
    posted = viewer_client.post(url, {"facets": many}, content_type="application/json")
    assert posted.status_code == 400
    assert str(cap) in posted.json()["error"]["message"]
    assert viewer_client.get(url, {"facet": many}).status_code == 400
    fine = viewer_client.post(
        url, {"facets": many[:cap]}, content_type="application/json"
    )
    assert fine.status_code == 200
    assert len(fine.json()["facets"]) == cap
