"""Greenroom as a SCIM 2.0 service provider: Okta's and Entra ID's documented
requests (tests/people/scim_requests/) replayed over HTTP through the whole
Django stack, then the provider's run puts what they pushed in the catalog.

Also: tokens (missing, wrong, replaced, another provider's), filters (and what
is not one), paging, size limits, uniqueness, discovery, the audit trail, and a
property: no list of PATCH operations, however odd, is a 500.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audit.models import AuditEntry
from catalog.models import Entity, EntityRevision, Relation
from people.models import OrgProvider, ProviderRun, ScimGroup, ScimUser
from people.providers import create_provider
from people.runs import leaver_reason, run_provider
from people.scim.tokens import issue_token
from people.sources import scim as source

pytestmark = pytest.mark.django_db

REQUESTS = Path(__file__).parent / "scim_requests"
SCIM_JSON = "application/scim+json"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimClient:
    """What Okta or Entra ID does: JSON over HTTP with the provider's token."""

    def __init__(self, token: str | None) -> None:
        self.http = Client()
        self.token = token

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        **headers: str,
    ) -> HttpResponse:
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = raw if raw is not None else b"" if body is None else json.dumps(body)
        return self.http.generic(
            method, path, data=data, content_type=SCIM_JSON, headers=headers
        )

    def get(self, path: str) -> HttpResponse:
        return self.send("GET", path)

    def replay(self, name: str, ids: dict[str, str] | None = None) -> HttpResponse:
        """A documented request (scim_requests/), its example ids replaced by
        the ids Greenroom gave the resources they stand for."""
        text = (REQUESTS / name).read_text()
        for documented, real in (ids or {}).items():
            text = text.replace(documented, real)
        request = json.loads(text)
        return self.send(request["method"], request["path"], request.get("body"))


def scim(response: HttpResponse) -> dict[str, Any]:
    assert response["Content-Type"] == SCIM_JSON
    body: dict[str, Any] = json.loads(response.content)
    return body


def error(response: HttpResponse, status: int, scim_type: str = "") -> str:
    body = scim(response)
    assert response.status_code == status, body
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType", "") == scim_type
    return str(body["detail"])


def add_scim_provider(name: str) -> tuple[OrgProvider, ScimClient]:
    provider = create_provider(name=name, kind=OrgProvider.Kind.SCIM)
    return provider, ScimClient(issue_token(provider))


@pytest.fixture
def okta() -> tuple[OrgProvider, ScimClient]:
    return add_scim_provider("okta")


@pytest.fixture
def entra() -> tuple[OrgProvider, ScimClient]:
    return add_scim_provider("entra")


def entity(ref: str) -> Entity | None:
    return Entity.objects.filter(ref=ref).first()


def relations(ref: str) -> set[tuple[str, str, str]]:
    return set(
        Relation.objects.filter(source_ref=ref).values_list(
            "source_ref", "type", "target_ref"
        )
    )


# The documented flows, end to end --------------------------------------------


def test_okta_provisions_deactivates_and_the_catalog_follows(okta):
    provider, client = okta
    found = client.replay("okta/01_find_user.json")
    assert found.status_code == 200
    assert scim(found)["totalResults"] == 0
    created = client.replay("okta/02_create_user.json")
    assert created.status_code == 201
    user = scim(created)
    assert created["Location"] == user["meta"]["location"]
    assert user["userName"] == "test.user@okta.local"
    assert "password" not in created.content.decode()
    assert user["active"] is True
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert user["meta"]["resourceType"] == "User"
    ids = {"23a35c27-23d3-4c03-b4c5-6443c09e7173": user["id"]}
    found = scim(client.replay("okta/01_find_user.json"))
    assert (found["totalResults"], found["itemsPerPage"]) == (1, 1)
    assert found["Resources"][0]["id"] == user["id"]
    assert scim(client.replay("okta/03_list_users.json"))["totalResults"] == 1
    fetched = client.replay("okta/04_get_user.json", ids)
    assert scim(fetched)["displayName"] == "Test User"
    put = client.replay("okta/05_update_user_put.json", ids)
    assert put.status_code == 200
    assert scim(put)["name"] == {
        "givenName": "Another",
        "middleName": "Excited",
        "familyName": "User",
    }
    # The second user Okta's full-push example lists.
    other = client.send("POST", "/scim/v2/Users", {"userName": "other.user@okta.local"})
    ids["89bb1940-b905-4575-9e7f-6f887cfb368e"] = scim(other)["id"]
    group = client.replay("okta/06_create_group.json")
    assert group.status_code == 201
    assert scim(group)["members"] == []
    ids["abf4dd94-a4c0-4f67-89c9-76b03340cb9b"] = scim(group)["id"]
    membership = client.replay("okta/07_group_membership.json", ids)
    assert membership.status_code == 204
    assert client.replay("okta/08_rename_group.json", ids).status_code == 204

    run = run_provider(provider.pk, trigger="test")
    assert run is not None
    assert run.status == ProviderRun.Status.SUCCEEDED, run.notes
    person = entity("user:default/test.user")
    assert person is not None
    profile = person.processed["spec"]["profile"]
    # The PUT sent no displayName: the name it sent stands in.
    assert profile == {"displayName": "Another User", "email": "test.user@okta.local"}
    annotations = person.processed["metadata"]["annotations"]
    assert annotations[source.SCIM_ID] == user["id"]
    # Okta's PUT (as documented) sent no externalId: a PUT replaces the user.
    assert source.SCIM_EXTERNAL_ID not in annotations
    assert annotations[source.SCIM_USER_NAME] == "test.user@okta.local"
    assert annotations["backstage.io/managed-by-location"] == "scim:okta"
    assert entity("user:default/other.user") is not None
    assert entity("group:default/test-scimv2") is not None
    assert (
        "group:default/test-scimv2",
        "hasMember",
        "user:default/test.user",
    ) in relations("group:default/test-scimv2")

    full_push = client.replay("okta/09_replace_members.json", ids)
    assert full_push.status_code == 204
    group_now = scim(client.get(f"/scim/v2/Groups/{scim(group)['id']}"))
    assert {m["value"] for m in group_now["members"]} == {
        user["id"],
        ids["89bb1940-b905-4575-9e7f-6f887cfb368e"],
    }
    deactivated = client.replay("okta/10_deactivate_user.json", ids)
    assert deactivated.status_code == 200
    assert scim(deactivated)["active"] is False
    run_provider(provider.pk, trigger="test")
    assert entity("user:default/test.user") is None
    removal = EntityRevision.objects.get(
        ref="user:default/test.user", action=EntityRevision.Action.REMOVED
    )
    assert removal.reason == leaver_reason(provider)
    members = entity("group:default/test-scimv2").processed["spec"]["members"]
    assert members == ["other.user"]

    assert client.replay("okta/11_delete_group.json", ids).status_code == 204
    run_provider(provider.pk, trigger="test")
    assert entity("group:default/test-scimv2") is None
    # The password Okta sent with the user was never kept or recorded.
    stored = ScimUser.objects.get(pk=user["id"]).resource
    assert "password" not in json.dumps(stored)
    assert "1mz050nq" not in json.dumps(list(AuditEntry.objects.values("details")))


def test_entra_id_provisions_updates_disables_and_deletes(entra):
    provider, client = entra
    created = client.replay("entra/01_create_user.json")
    assert created.status_code == 201
    user = scim(created)
    # No enterprise attributes were sent, so none are served.
    assert user["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert user["roles"] == []
    ids = {"5171a35d82074e068ce2": user["id"]}
    found = scim(client.replay("entra/02_get_user_by_query.json"))
    assert [r["id"] for r in found["Resources"]] == [user["id"]]
    assert scim(client.replay("entra/03_get_user_by_query_zero_results.json")) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    assert scim(client.replay("entra/04_get_user.json", ids))["id"] == user["id"]
    multi = scim(client.replay("entra/05_update_user_multi_valued.json", ids))
    assert multi["emails"] == [
        {"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}
    ]
    assert multi["name"]["familyName"] == "updatedFamilyName"
    single = scim(client.replay("entra/06_update_user_single_valued.json", ids))
    assert single["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"

    group = client.replay("entra/07_create_group.json")
    assert group.status_code == 201
    ids["a99962b9f99d4c4fac67"] = scim(group)["id"]
    ids["f648f8d5ea4e4cd38e9c"] = user["id"]
    fetched = scim(client.replay("entra/08_get_group.json", ids))
    assert "members" not in fetched
    assert fetched["displayName"] == "displayName"
    by_name = scim(client.replay("entra/09_get_group_by_display_name.json", ids))
    assert [r["id"] for r in by_name["Resources"]] == [fetched["id"]]
    assert "members" not in by_name["Resources"][0]
    renamed = client.replay("entra/10_update_group_non_member.json", ids)
    assert renamed.status_code == 204
    assert renamed.content == b""
    assert client.replay("entra/11_add_members.json", ids).status_code == 204
    assert client.replay("entra/15_add_single_value.json", ids).status_code == 200

    run = run_provider(provider.pk, trigger="test")
    assert run is not None
    assert run.status == ProviderRun.Status.SUCCEEDED, run.notes
    # A userName that is not an entity name: the part before "@" is.
    name = "5b50642d-79fc-4410-9e90-4c077cdd1a59"
    person = entity(f"user:default/{name}")
    assert person is not None
    annotations = person.processed["metadata"]["annotations"]
    assert annotations[source.SCIM_EXTERNAL_ID] == (
        "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    )
    assert person.processed["spec"]["profile"] == {
        "displayName": "givenName updatedFamilyName",
        "email": "updatedEmail@microsoft.com",
    }
    team = "1879db59-3bdf-4490-ad68-ab880a269474updateddisplayname"
    group_entity = entity(f"group:default/{team}")
    assert group_entity is not None
    assert group_entity.processed["spec"]["members"] == [name]
    assert group_entity.processed["spec"]["profile"]["displayName"] == (
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    )

    assert client.replay("entra/12_remove_members.json", ids).status_code == 204
    assert ScimGroup.objects.get(pk=fetched["id"]).members.count() == 0
    assert client.replay("entra/11_add_members.json", ids).status_code == 204
    ids["7f4bc1a3-285e-48ae-8202-5accb43efb0e"] = user["id"]
    assert (
        client.replay("entra/13_remove_member_compliant.json", ids).status_code == 204
    )
    assert ScimGroup.objects.get(pk=fetched["id"]).members.count() == 0

    disabled = client.replay("entra/16_disable_user_without_flag.json", ids)
    assert disabled.status_code == 200
    assert scim(disabled)["active"] is False
    run_provider(provider.pk, trigger="test")
    assert entity(f"user:default/{name}") is None
    removal = EntityRevision.objects.get(
        ref=f"user:default/{name}", action=EntityRevision.Action.REMOVED
    )
    assert removal.reason == leaver_reason(provider)
    assert client.replay("entra/17_disable_user.json", ids).status_code == 200
    assert client.replay("entra/18_delete_user.json", ids).status_code == 204
    assert client.replay("entra/04_get_user.json", ids).status_code == 404
    assert client.replay("entra/19_delete_group.json", ids).status_code == 204
    run_provider(provider.pk, trigger="test")
    assert not Entity.objects.filter(location=provider.location).exists()


def test_entra_id_replaces_several_attributes_in_one_value_object(entra):
    _, client = entra
    user = scim(client.replay("entra/01_create_user.json"))
    ids = {"5171a35d82074e068ce2": user["id"]}
    patched = client.replay("entra/14_replace_attributes_compliant.json", ids)
    assert patched.status_code == 200
    doc = scim(patched)
    assert doc["displayName"] == "Bjfe"
    assert doc["name"]["givenName"] == "Kkom"
    assert doc["name"]["familyName"] == "Unua"
    assert doc["emails"][0]["value"] == "TestMhvaes@test.microsoft.com"
    extension = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert doc[extension] == {"employeeNumber": "Aklq"}
    assert extension in doc["schemas"]
    stored = ScimUser.objects.get(pk=user["id"])
    assert (stored.display_name, stored.given_name, stored.family_name) == (
        "Bjfe",
        "Kkom",
        "Unua",
    )
    assert stored.email == "TestMhvaes@test.microsoft.com"


def test_a_work_address_is_added_when_the_user_has_none(okta):
    _, client = okta
    user = scim(client.send("POST", "/scim/v2/Users", {"userName": "ada"}))
    patched = client.send(
        "PATCH",
        f"/scim/v2/Users/{user['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "ada@example.com",
                }
            ],
        },
    )
    assert scim(patched)["emails"] == [{"type": "work", "value": "ada@example.com"}]
    assert ScimUser.objects.get(pk=user["id"]).email == "ada@example.com"


def test_a_group_put_replaces_its_members_and_one_without_members_keeps_them(okta):
    _, client = okta
    ada, bob = _users(client, "ada", "bob")
    group = scim(
        client.send(
            "POST",
            "/scim/v2/Groups",
            {"displayName": "Team", "members": [{"value": ada["id"]}]},
        )
    )
    path = f"/scim/v2/Groups/{group['id']}"
    put = client.send(
        "PUT", path, {"displayName": "Team", "members": [{"value": bob["id"]}]}
    )
    assert [m["value"] for m in scim(put)["members"]] == [bob["id"]]
    renamed = scim(client.send("PUT", path, {"displayName": "Renamed"}))
    assert renamed["displayName"] == "Renamed"
    assert [m["value"] for m in renamed["members"]] == [bob["id"]]
    user = scim(client.get(f"/scim/v2/Users/{bob['id']}"))
    assert [g["value"] for g in user["groups"]] == [group["id"]]
    error(client.send("PUT", path, {"members": []}), 400, "invalidValue")
    nested = client.send(
        "PUT",
        path,
        {"displayName": "x", "members": [{"value": group["id"], "type": "Group"}]},
    )
    error(nested, 400, "invalidValue")


def test_writes_are_audited_and_the_catalog_follows_each_commit(
    okta, django_capture_on_commit_callbacks
):
    provider, client = okta
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = client.send(
            "POST",
            "/scim/v2/Users",
            {"userName": "grace", "displayName": "Grace Hopper"},
        )
    assert created.status_code == 201
    # The eager task ran the provider when the write committed.
    assert entity("user:default/grace") is not None
    assert provider.runs.first().trigger == "scim"
    entry = AuditEntry.objects.get(action="scim.user.create")
    assert (entry.actor, entry.source) == ("scim:okta", AuditEntry.Source.API)
    assert entry.target == "okta: grace"
    assert entry.details["id"] == scim(created)["id"]
    assert entry.details["address"] == "127.0.0.1"
    # A write that changes nothing writes, records and runs nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        same = client.send(
            "PATCH",
            f"/scim/v2/Users/{scim(created)['id']}",
            {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "value": {"active": True}}],
            },
        )
    assert same.status_code == 200
    assert not AuditEntry.objects.filter(action="scim.user.patch").exists()
    assert provider.runs.count() == 1
    assert callbacks == []


# Tokens and tenants ------------------------------------------------------------


def test_a_missing_wrong_or_replaced_token_is_a_401(okta):
    provider, client = okta
    for token in (None, "", "grscim_wrong", "gr_an-api-token", "x" * 5000):
        response = ScimClient(token).get("/scim/v2/Users")
        error(response, 401)
        assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
    basic = client.send("GET", "/scim/v2/Users", Authorization="Basic b2t0YTpwdw==")
    error(basic, 401)
    assert client.get("/scim/v2/Users").status_code == 200
    issue_token(provider)  # a new one replaces it
    error(client.get("/scim/v2/Users"), 401)
    assert not ScimUser.objects.exists()
    assert OrgProvider.objects.get(pk=provider.pk).scim_token_digest != ""


def test_a_disabled_provider_is_refused(okta):
    provider, client = okta
    OrgProvider.objects.filter(pk=provider.pk).update(enabled=False)
    error(client.send("POST", "/scim/v2/Users", {"userName": "ada"}), 403)
    assert not ScimUser.objects.exists()


def test_another_providers_token_cannot_see_or_change_its_users(okta, entra):
    _, mine = okta
    _, theirs = entra
    user = scim(mine.send("POST", "/scim/v2/Users", {"userName": "ada"}))
    group = scim(
        mine.send(
            "POST",
            "/scim/v2/Groups",
            {"displayName": "Team", "members": [{"value": user["id"]}]},
        )
    )
    for kind, resource in (("Users", user), ("Groups", group)):
        path = f"/scim/v2/{kind}/{resource['id']}"
        error(theirs.get(path), 404)
        error(theirs.send("PUT", path, {"userName": "x", "displayName": "x"}), 404)
        error(
            theirs.send(
                "PATCH",
                path,
                {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "value": {"active": False}}],
                },
            ),
            404,
        )
        error(theirs.send("DELETE", path), 404)
    assert scim(theirs.get("/scim/v2/Users"))["totalResults"] == 0
    assert (
        scim(theirs.get('/scim/v2/Users?filter=userName eq "ada"'))["Resources"] == []
    )
    assert scim(theirs.get("/scim/v2/Groups"))["totalResults"] == 0
    # Nor put another provider's user in one of their own groups.
    their_group = theirs.send(
        "POST",
        "/scim/v2/Groups",
        {"displayName": "Theirs", "members": [{"value": user["id"]}]},
    )
    error(their_group, 400, "invalidValue")
    mine_now = ScimUser.objects.get(pk=user["id"])
    assert (mine_now.user_name, mine_now.active) == ("ada", True)
    assert ScimGroup.objects.get(pk=group["id"]).members.count() == 1


def test_requests_are_throttled_per_provider(okta, entra, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min"},
    }
    _, client = okta
    _, other = entra
    statuses = [client.get("/scim/v2/Users").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    throttled = client.get("/scim/v2/Users")
    error(throttled, 429)
    assert int(throttled["Retry-After"]) <= 60
    assert other.get("/scim/v2/Users").status_code == 200
    cache.clear()


def test_providers_command_prints_a_token_once_and_issues_new_ones():
    out = io.StringIO()
    call_command("providers", "add", "okta", "--kind", "scim", stdout=out)
    first = out.getvalue().strip().splitlines()[-1]
    assert first.startswith("grscim_")
    provider = OrgProvider.objects.get(name="okta")
    assert first not in json.dumps(
        list(OrgProvider.objects.values()), default=str
    )  # only its digest is kept
    assert ScimClient(first).get("/scim/v2/Users").status_code == 200
    out = io.StringIO()
    call_command("providers", "scim-token", "okta", stdout=out)
    second = out.getvalue().strip().splitlines()[-1]
    assert ScimClient(second).get("/scim/v2/Users").status_code == 200
    assert ScimClient(first).get("/scim/v2/Users").status_code == 401
    assert (
        AuditEntry.objects.filter(
            action="provider.scim-token", target=provider.name
        ).count()
        == 2
    )


# Filters, paging, limits, uniqueness ------------------------------------------


def _users(client: ScimClient, *names: str) -> list[dict[str, Any]]:
    return [
        scim(
            client.send(
                "POST",
                "/scim/v2/Users",
                {"userName": name, "externalId": f"ext-{name}", "displayName": name},
            )
        )
        for name in names
    ]


def _found(client: ScimClient, query: str, kind: str = "Users") -> list[str]:
    response = client.send("GET", f"/scim/v2/{kind}?filter={query}")
    assert response.status_code == 200, response.content
    return [
        item.get("userName") or item["displayName"]
        for item in scim(response)["Resources"]
    ]


def test_filters_okta_and_entra_id_send(okta):
    _, client = okta
    ada, bob, _ = _users(client, "Ada@Example.com", "bob", "carol")
    assert _found(client, 'userName eq "ada@example.COM"') == ["Ada@Example.com"]
    assert _found(client, 'externalId eq "ext-bob"') == ["bob"]
    assert _found(client, 'externalId eq "EXT-BOB"') == []  # caseExact
    assert _found(client, f'id eq "{bob["id"]}"') == ["bob"]
    assert _found(client, 'id eq "not-an-id"') == []
    assert _found(client, 'userName sw "c" or userName eq "bob"') == ["bob", "carol"]
    assert _found(client, 'not (userName eq "bob") and active eq true') == [
        "Ada@Example.com",
        "carol",
    ]
    # `and` binds tighter than `or` (RFC 7644, 3.4.2.2), without parentheses too.
    assert _found(
        client, 'userName eq "bob" or userName eq "carol" and active eq false'
    ) == ["bob"]
    assert (
        _found(client, '(userName eq "bob" or userName eq "carol") and active eq false')
        == []
    )
    client.send(
        "PATCH",
        f"/scim/v2/Users/{ada['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {
                    "op": "add",
                    "path": "emails",
                    "value": [{"value": "ada@example.com", "type": "work"}],
                }
            ],
        },
    )
    assert _found(client, 'emails[type eq "work"].value eq "ada@example.com"') == [
        "Ada@Example.com"
    ]
    assert _found(client, 'emails.value co "example"') == ["Ada@Example.com"]
    group = scim(
        client.send(
            "POST",
            "/scim/v2/Groups",
            {"displayName": "Platform Team", "members": [{"value": bob["id"]}]},
        )
    )
    client.send("POST", "/scim/v2/Groups", {"displayName": "Empty"})
    assert _found(client, 'displayName eq "platform team"', "Groups") == [
        "Platform Team"
    ]
    assert _found(client, f'members eq "{bob["id"]}"', "Groups") == ["Platform Team"]
    assert _found(client, f'members[value eq "{bob["id"]}"]', "Groups") == [
        "Platform Team"
    ]
    assert _found(client, "members pr", "Groups") == ["Platform Team"]
    assert group["members"][0]["display"] == "bob"


@pytest.mark.parametrize(
    "query",
    [
        "userName eq",
        'userName regex "x"',
        'userName eq "x" or 1=1',
        'userName eq "x"; DROP TABLE people_scimuser; --',
        'userName eq "x\\" or \\"1\\"=\\"1"',
        "userName eq 'x'",
        'password eq "x"',
        'roles eq "admin"',
        'userName gt "a"',
        'active eq "maybe"',
        'meta.created gt "yesterday"',
        'emails[value eq "x"].value eq "y"',
        'members eq "x"',
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
        'employeeNumber eq "1"',
        " or ".join(['userName eq "x"'] * 130),
        "(" * 30 + 'userName eq "x"' + ")" * 30,
        " or ".join(['userName eq "x"'] * 300),
        "   ",
    ],
)
def test_a_malformed_or_unsupported_filter_is_a_400_invalid_filter(okta, query):
    _, client = okta
    _users(client, "ada")
    refused = client.http.get(
        "/scim/v2/Users",
        {"filter": query},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    error(refused, 400, "invalidFilter")
    assert ScimUser.objects.count() == 1


def test_pages_are_stable_and_counted(okta):
    _, client = okta
    _users(client, *(f"user{n}" for n in range(7)))

    def page(query: str) -> dict[str, Any]:
        return scim(client.get(f"/scim/v2/Users?{query}"))

    first, second = page("startIndex=1&count=3"), page("startIndex=4&count=3")
    last = page("startIndex=7&count=3")
    assert [first["totalResults"], first["startIndex"], first["itemsPerPage"]] == [
        7,
        1,
        3,
    ]
    names = [u["userName"] for p in (first, second, last) for u in p["Resources"]]
    assert names == [f"user{n}" for n in range(7)]
    assert page("count=0")["Resources"] == []
    assert page("count=0")["totalResults"] == 7
    assert page("startIndex=0&count=1")["startIndex"] == 1
    assert page("startIndex=100")["Resources"] == []
    error(client.get("/scim/v2/Users?count=many"), 400, "invalidValue")
    projected = page("count=1&attributes=userName")["Resources"][0]
    assert set(projected) == {"schemas", "id", "userName", "meta"}
    excluded = page("count=1&excludedAttributes=groups,emails")["Resources"][0]
    assert "groups" not in excluded
    assert "userName" in excluded


def test_an_oversized_body_is_refused(okta, settings):
    _, client = okta
    settings.GREENROOM_API_MAX_BODY = 2000
    big = {"userName": "ada", "title": "x" * 3000}
    error(client.send("POST", "/scim/v2/Users", big), 413)
    settings.GREENROOM_API_MAX_BODY = 1024 * 1024
    # Within the request limit, but more than a resource may keep.
    bigger = {"userName": "ada", "title": "x" * 70_000}
    error(client.send("POST", "/scim/v2/Users", bigger), 400, "invalidValue")
    error(
        client.send("POST", "/scim/v2/Users", raw=b'{"userName": '),
        400,
        "invalidSyntax",
    )
    error(client.send("POST", "/scim/v2/Users", raw=b"[1, 2]"), 400, "invalidSyntax")
    error(
        client.send("POST", "/scim/v2/Users", {"userName": "a\u0000b"}),
        400,
        "invalidSyntax",
    )
    error(
        client.send("POST", "/scim/v2/Users", {"userName": "x" * 300}),
        400,
        "invalidValue",
    )
    error(client.send("POST", "/scim/v2/Users", {"userName": 42}), 400, "invalidValue")
    error(
        client.send("POST", "/scim/v2/Users", {"userName": "ada", "active": "yes"}),
        400,
        "invalidValue",
    )
    assert not ScimUser.objects.exists()


def test_a_duplicate_user_name_is_a_409_uniqueness(okta, entra):
    _, client = okta
    ada, bob = _users(client, "ada@example.com", "bob")
    duplicate = client.send("POST", "/scim/v2/Users", {"userName": "ADA@example.com"})
    assert "exists" in error(duplicate, 409, "uniqueness")
    renamed = client.send(
        "PATCH",
        f"/scim/v2/Users/{bob['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "replace", "path": "userName", "value": "Ada@Example.com"}
            ],
        },
    )
    error(renamed, 409, "uniqueness")
    put = client.send(
        "PUT", f"/scim/v2/Users/{bob['id']}", {"userName": "ada@example.com"}
    )
    error(put, 409, "uniqueness")
    assert ScimUser.objects.get(pk=bob["id"]).user_name == "bob"
    # Names are unique per provider: another directory may have its own ada.
    _, other = entra
    assert (
        other.send(
            "POST", "/scim/v2/Users", {"userName": "ada@example.com"}
        ).status_code
        == 201
    )


def test_discovery_endpoints(okta):
    _, client = okta
    config = scim(client.get("/scim/v2/ServiceProviderConfig"))
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["filter"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim(client.get("/scim/v2/ResourceTypes"))
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    assert scim(client.get("/scim/v2/ResourceTypes/User"))["endpoint"] == "/Users"
    schemas = scim(client.get("/scim/v2/Schemas"))
    urns = [s["id"] for s in schemas["Resources"]]
    assert urns == [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    ]
    one = scim(client.get(f"/scim/v2/Schemas/{urns[0]}"))
    assert one["attributes"][0]["name"] == "userName"
    error(client.get("/scim/v2/Schemas/urn:nope"), 404)
    error(client.get("/scim/v2/Bulk"), 404)
    error(client.send("POST", "/scim/v2/Users/.search", {}), 405)
    error(client.send("DELETE", "/scim/v2/Users"), 405)
    error(ScimClient(None).get("/scim/v2/ServiceProviderConfig"), 401)
    assert client.get("/scim/v2/Users/").status_code == 200  # either slash


# What the source reads ------------------------------------------------------


def test_the_source_names_people_and_teams_and_notes_what_it_leaves_out(okta):
    provider, client = okta
    users = {
        name: scim(client.send("POST", "/scim/v2/Users", {"userName": name}))["id"]
        for name in (
            "plain.name",
            "ada@example.com",
            "has space@example.com",
            "Bob@one.example",
            "bob@two.example",
            "inactive@example.com",
        )
    }
    client.send(
        "PATCH",
        f"/scim/v2/Users/{users['inactive@example.com']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )
    for name in ("Platform  Team", "platform team", "Ops!", "Data"):
        client.send(
            "POST",
            "/scim/v2/Groups",
            {"displayName": name, "members": [{"value": v} for v in users.values()]},
        )
    directory = source.read(OrgProvider.objects.get(pk=provider.pk))
    assert sorted(p.name for p in directory.people) == ["ada", "plain.name"]
    assert [t.name for t in directory.teams] == ["data"]
    assert directory.teams[0].members == ["ada", "plain.name"]
    problems = "\n".join(directory.problems)
    assert "'has space@example.com' left out: it is not a valid entity name" in problems
    assert "'Bob@one.example' left out: another one is also named 'Bob'" in problems
    assert "'bob@two.example' left out" in problems
    assert "'Platform  Team' left out" in problems
    assert "'platform team' left out" in problems
    assert "'Ops!' left out" in problems
    assert "inactive" not in problems
    run = run_provider(provider.pk, trigger="test")
    assert run.notes == directory.problems
    assert set(Entity.objects.values_list("ref", flat=True)) == {
        "user:default/ada",
        "user:default/plain.name",
        "group:default/data",
    }


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("ada", "ada"),
        ("ada.lovelace@example.com", "ada.lovelace"),
        ("Ada_L-1", "Ada_L-1"),
        ("a" * 63, "a" * 63),
        ("a" * 64 + "@example.com", None),
        ("-ada@example.com", None),
        ("ada@", "ada"),
        ("@example.com", None),
        ("ada smith", None),
    ],
)
def test_person_names(user_name, expected):
    assert source.person_name(user_name) == expected


# PATCH never fails with a 500 -------------------------------------------------

_HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
]
settings.register_profile(
    "scim-default",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "scim-long",
    max_examples=3000,
    derandomize=True,
    deadline=None,
    suppress_health_check=_HEALTH,
)
PROFILE = settings.get_profile(
    "scim-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "scim-default"
)
FIXED_ID = "00000000-0000-4000-8000-000000000001"
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_paths = st.sampled_from(
    [
        "active",
        "userName",
        "displayName",
        "externalId",
        "name",
        "name.givenName",
        "emails",
        'emails[type eq "work"].value',
        'emails[type eq "work"]',
        "emails.value",
        'emails[value co "@"].primary',
        "members",
        f'members[value eq "{FIXED_ID}"]',
        'members[value eq "nope"].display',
        "members.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "id",
        "meta.created",
        "groups",
        "password",
        "schemas",
        "nickName",
        "a[b[c]]",
        "emails[",
        'emails[type eq "x" or value pr].value',
        "",
    ]
) | st.text(max_size=30)
_values = (
    _json
    | st.lists(
        st.fixed_dictionaries({"value": st.sampled_from([FIXED_ID, "nope", ""])}),
        max_size=3,
    )
    | st.sampled_from(["False", "true", "TRUE", "", "ada", FIXED_ID])
)
_operation = st.fixed_dictionaries(
    {
        "op": st.sampled_from(
            ["add", "remove", "replace", "Add", "Replace", "REMOVE", "move"]
        )
        | _json
    },
    optional={"path": _paths | _json, "value": _values},
)
_names = st.text(min_size=1, max_size=30)
# Operations as the clients send them, so that many PATCHes apply.
_good_operation = st.one_of(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["replace", "Replace", "add"]),
            "path": st.just("active"),
            "value": st.booleans() | st.sampled_from(["True", "False", "true"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["replace", "Add"]),
            "path": st.sampled_from(
                [
                    "displayName",
                    "name.givenName",
                    'emails[type eq "work"].value',
                    "nickName",
                    "title",
                ]
            ),
            "value": _names,
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["add", "replace", "Remove"]),
            "path": st.just("members"),
            "value": st.lists(st.just({"value": FIXED_ID}), max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.just("remove"),
            "path": st.sampled_from(
                [f'members[value eq "{FIXED_ID}"]', "name.givenName", "title"]
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["replace", "add"]),
            "value": st.fixed_dictionaries(
                {},
                optional={
                    "active": st.booleans(),
                    "displayName": _names,
                    "name.familyName": _names,
                    "id": st.just(FIXED_ID),
                    "password": _names,
                },
            ),
        }
    ),
)
_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "schemas": st.just([PATCH_OP]),
            "Operations": st.lists(_good_operation, min_size=1, max_size=4),
        }
    ),
    st.fixed_dictionaries(
        {
            "schemas": st.just([PATCH_OP]),
            "Operations": st.lists(_good_operation | _operation, max_size=6),
        }
    ),
    st.fixed_dictionaries({"Operations": st.lists(_operation, max_size=3) | _json}),
    _json,
)


@pytest.fixture
def patch_targets(okta, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1000000/min"},
    }
    _, client = okta
    user = scim(
        client.send(
            "POST",
            "/scim/v2/Users",
            {
                "userName": "ada",
                "emails": [
                    {"value": "ada@example.com", "type": "work", "primary": True}
                ],
                "name": {"givenName": "Ada"},
            },
        )
    )
    ScimUser.objects.filter(pk=user["id"]).update(id=uuid.UUID(FIXED_ID))
    group = scim(
        client.send(
            "POST",
            "/scim/v2/Groups",
            {"displayName": "Team", "members": [{"value": FIXED_ID}]},
        )
    )
    return client, [f"/scim/v2/Users/{FIXED_ID}", f"/scim/v2/Groups/{group['id']}"]


@settings(PROFILE)
@given(body=_bodies, which=st.integers(0, 1))
def test_no_patch_is_a_500(patch_targets, body, which):
    client, paths = patch_targets
    response = client.send("PATCH", paths[which], body)
    event(f"{('user', 'group')[which]}: {response.status_code}")
    assert response.status_code in (200, 204, 400, 409), response.content
    if response.status_code >= 400:
        error(response, response.status_code, scim(response).get("scimType", ""))
    stored = ScimUser.objects.filter(pk=FIXED_ID).first()
    if stored is not None:
        assert not _has_password(stored.resource)


def _has_password(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            str(key).lower() == "password" or _has_password(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_has_password(item) for item in value)
    return False
