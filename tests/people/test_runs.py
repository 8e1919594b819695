"""Provider runs end to end: a real directory (the fake GitHub, OpenLDAP) read,
applied, recorded with counts and errors on the provider's page; a leaver removed
with a reason; a failed read changing nothing; the command and the Run now button."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.html import escape

from catalog.models import Entity, EntityRevision, Location
from core.tokens import issue_token
from people.models import ProviderRun
from people.providers import create_provider, remove_provider
from people.runs import due_providers, run_provider
from tests.support.fakehost import FakeHost, FakeTeam
from tests.support.ldif import READER_PASSWORD, organisation, uid, user_dn
from tests.support.orghosts import provider_for, start_host
from tests.support.slapd import Slapd

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(tmp_path, settings) -> Iterator[FakeHost]:
    host = start_host("github", tmp_path / "host", settings)
    host.add_org("acme", {"alice", "bob"})
    host.add_person("alice", "Alice Archer", "alice@example.com")
    host.add_person("bob", "Bob Baker")
    host.add_team(
        FakeTeam("acme", "platform", "Platform", members={"alice": "maintainer",
                                                         "bob": "member"})
    )  # fmt: skip
    yield host
    host.stop()


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    server = Slapd(organisation(users=50))
    yield server
    server.stop()


def refs() -> set[str]:
    return set(Entity.objects.values_list("ref", flat=True))


def test_a_run_applies_the_directory_and_records_what_it_did(github, viewer_client):
    provider = provider_for(github)
    run = run_provider(provider.pk, trigger="manual")
    assert run.status == ProviderRun.Status.SUCCEEDED
    assert (run.people, run.teams, run.added, run.errors) == (2, 1, 3, 0)
    assert refs() == {
        "user:default/alice",
        "user:default/bob",
        "group:default/platform",
    }
    alice = Entity.objects.get(ref="user:default/alice")
    managed = alice.processed["metadata"]["annotations"][
        "backstage.io/managed-by-location"
    ]
    assert managed == f"github-org:{github.web_url}/acme"
    again = run_provider(provider.pk)
    assert again.status == ProviderRun.Status.UNCHANGED
    assert again.added == again.changed == 0
    page = viewer_client.get(f"/people/{provider.name}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Succeeded" in html
    assert "Unchanged" in html
    listing = viewer_client.get("/people/").content.decode()
    assert provider.name in listing


def test_a_leaver_leaves_with_a_reason_shown_on_the_page(github, viewer_client):
    provider = provider_for(github)
    run_provider(provider.pk)
    github.org_members["acme"].discard("bob")
    github.find_team("acme", "platform").members.pop("bob")
    run = run_provider(provider.pk)
    assert run.removed == 1
    assert "user:default/bob" not in refs()
    removal = EntityRevision.objects.get(ref="user:default/bob", action="removed")
    assert "no longer in GitHub organisation 'acme'" in removal.reason
    page = viewer_client.get(f"/people/{provider.name}").content.decode()
    assert escape(removal.reason) in page


def test_a_failed_read_changes_nothing_and_says_why(github, viewer_client):
    provider = provider_for(github)
    run_provider(provider.pk)
    before = refs()
    github.stop()
    run = run_provider(provider.pk)
    assert run.status == ProviderRun.Status.FAILED
    assert run.error
    assert refs() == before
    page = viewer_client.get(f"/people/{provider.name}").content.decode()
    assert "Failed" in page
    assert Location.every.get(pk=provider.location_id).status == "failed"


def test_a_deleted_entity_comes_back_at_the_next_run(github, editor):
    provider = provider_for(github)
    run_provider(provider.pk)
    uid_ = Entity.objects.get(ref="user:default/bob").uid
    _, token = issue_token(editor, "t", write=True)
    answer = Client().delete(
        f"/api/catalog/entities/by-uid/{uid_}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 204
    assert "user:default/bob" not in refs()
    run = run_provider(provider.pk)
    assert run.status == ProviderRun.Status.SUCCEEDED
    assert "user:default/bob" in refs()


def test_ldap_through_the_command_and_a_user_removed_between_runs(slapd, capsys):
    create_provider(
        name="directory",
        kind="ldap",
        scope=slapd.url,
        settings=slapd.settings(),
        secret=READER_PASSWORD,
    )
    call_command("providers", "run", "directory")
    first = capsys.readouterr().out
    assert "directory: succeeded: 50 people" in first
    assert Entity.objects.filter(kind="User").count() == 50
    slapd.delete(user_dn(uid(7)))
    try:
        call_command("providers", "run", "directory")
        assert "1 removed" in capsys.readouterr().out
        assert not Entity.objects.filter(ref=f"user:default/{uid(7)}").exists()
    finally:
        slapd.add([u for u in organisation(users=50) if u.dn == user_dn(uid(7))])


def test_a_wrong_password_fails_the_command_with_the_reason(slapd):
    create_provider(
        name="directory",
        kind="ldap",
        scope=slapd.url,
        settings=slapd.settings(),
        secret="wrong",
    )
    with pytest.raises(CommandError, match="1 of 1 providers did not complete"):
        call_command("providers", "run", "directory")
    run = ProviderRun.objects.get()
    assert "wrong" not in run.error
    assert run.error


def test_run_now_is_for_editors(github, viewer, editor):
    provider = provider_for(github)
    viewer_client, editor_client = Client(), Client()
    viewer_client.force_login(viewer)
    editor_client.force_login(editor)
    assert viewer_client.post(f"/people/{provider.name}/run").status_code == 403
    assert not ProviderRun.objects.exists()
    answer = editor_client.post(f"/people/{provider.name}/run")
    assert answer.status_code == 302
    assert ProviderRun.objects.get().trigger == "manual"  # tasks run eagerly here


def test_due_providers_and_removal(github):
    provider = provider_for(github)
    assert due_providers() == [provider.pk]
    assert due_providers() == []  # moved on: not sent twice
    run_provider(provider.pk)
    remove_provider(provider)
    assert refs() == set()
    reasons = set(
        EntityRevision.objects.filter(action="removed").values_list("reason", flat=True)
    )
    assert reasons == {"provider acme was removed"}


def test_a_scim_providers_page_names_its_address(viewer_client):
    provider = create_provider(name="okta", kind="scim")
    page = viewer_client.get(f"/people/{provider.name}").content.decode()
    assert "http://testserver/scim/v2/" in page
    assert run_provider(provider.pk).status == ProviderRun.Status.SUCCEEDED
