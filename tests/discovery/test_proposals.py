"""A descriptor proposed for an uncatalogued repository, and the pull (merge)
request that adds it, opened on the (fake) host and followed to its merge."""

from __future__ import annotations

from io import StringIO
from tempfile import NamedTemporaryFile

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEntry
from catalog.descriptor.validation import validate_entity
from discovery import runs
from discovery.models import DescriptorRequest, DiscoveredRepository, DiscoverySource
from discovery.tasks import refresh_requests_task
from tests.support.fakehost import FakeHost, FakeRepo

SCOPES = {
    "github": "orgs/acme",
    "gitea": "orgs/acme",
    "gitlab": "groups/acme",
    "bitbucket-cloud": "acme",
}


@pytest.fixture
def host(request, tmp_path, settings, django_capture_on_commit_callbacks):
    kind = getattr(request, "param", "github")
    fake = FakeHost(kind, tmp_path / "host").start()
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [fake.web_url.removeprefix("http://")]
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    with NamedTemporaryFile("w") as secret:
        secret.write(fake.token)
        secret.flush()
        call_command(
            "hosts", "add", "acme", "--kind", kind, "--api-url", fake.api_url,
            "--git-url", fake.web_url, "--token-file", secret.name, stdout=StringIO(),
        )  # fmt: skip
    call_command("discovery", "add", "acme", "--host", "acme", "--scope",
                 SCOPES[kind], stdout=StringIO())  # fmt: skip
    fake.repo = fake.add(  # type: ignore[attr-defined]
        FakeRepo(
            "acme", "Legacy_Billing", {"CODEOWNERS": "*  @acme/payments  # the team\n"},
            description="Bills customers", topics=["billing", "Not A Tag!", "java"],
            teams={"payments": "admin"},
        )
    )  # fmt: skip

    def discover() -> None:
        source = DiscoverySource.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            runs.run_discovery(runs.start_run(source).pk)

    fake.discover = discover  # type: ignore[attr-defined]
    discover()
    yield fake
    fake.stop()


def repository() -> DiscoveredRepository:
    return DiscoveredRepository.objects.get()


@pytest.mark.django_db
def test_the_proposal_is_a_valid_descriptor_with_the_owner_marked_a_guess(
    host, viewer_client
):
    page = viewer_client.get(f"/discovery/acme/repositories/{repository().pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "# a guess: check it" in text
    proposal = viewer_client.get(
        f"/api/discovery/repositories/{repository().pk}/proposal"
    ).json()
    entity = yaml.safe_load(proposal["yaml"])
    assert entity == proposal["entity"]
    assert entity["metadata"]["name"] == "legacy_billing"
    assert entity["metadata"]["description"] == "Bills customers"
    assert entity["metadata"]["tags"] == ["billing", "java"]
    assert entity["spec"]["owner"] == "group:payments"
    assert entity["metadata"]["annotations"]["greenroom.io/owner-guessed-from"]
    assert validate_entity(entity) == []
    assert "Open a pull request" not in text  # viewers cannot


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["github", "gitea", "gitlab"], indirect=True)
def test_an_editor_opens_the_request_and_the_merge_catalogues_the_repository(
    host, editor_client, viewer
):
    row = repository()
    viewer_client = Client()
    viewer_client.force_login(viewer)
    forbidden = viewer_client.post(f"/discovery/acme/repositories/{row.pk}/request")
    assert forbidden.status_code == 403
    assert not host.pulls
    answer = editor_client.post(f"/discovery/acme/repositories/{row.pk}/request")
    assert answer.status_code == 302
    (pull,) = host.pulls
    request = DescriptorRequest.objects.get()
    assert (request.number, request.state) == (pull.number, "open")
    assert "catalog-info.yaml" in pull.files
    assert yaml.safe_load(pull.files["catalog-info.yaml"])["kind"] == "Component"
    entry = AuditEntry.objects.get(action="discovery.request")
    assert entry.target == "acme/Legacy_Billing"
    again = editor_client.post(f"/api/discovery/repositories/{row.pk}/request")
    assert again.status_code == 400
    assert "a request is open already" in again.json()["error"]["message"]
    host.merge(pull)
    refresh_requests_task()
    request.refresh_from_db()
    assert request.state == "merged"
    host.discover()
    assert repository().state == DiscoveredRepository.State.CATALOGUED
    shown = viewer_client.get(f"/discovery/acme/repositories/{row.pk}")
    assert "Merged" in shown.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["bitbucket-cloud"], indirect=True)
def test_hosts_without_requests_say_so(host, editor_client):
    answer = editor_client.post(
        f"/api/discovery/repositories/{repository().pk}/request"
    )
    assert answer.status_code == 400
    assert "GitHub, Gitea and GitLab" in answer.json()["error"]["message"]
    assert not DescriptorRequest.objects.exists()
