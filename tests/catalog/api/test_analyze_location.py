"""POST /analyze-location (issue 16 §6): what it reads, proposes and refuses.

A readable repository's descriptors come back with the target to register them
by; a URL the policy refuses is a 400; a URL the policy allows but git cannot
read (here a port on an allowed host where nothing listens) gets Backstage's
proposal, a Component named from the URL's last segment, with a note that
nothing was read. Repositories are real, served by `git daemon`.
"""

from __future__ import annotations

import pytest

from catalog.ingest import git as gitio
from catalog.models import Location
from tests.support.gitrepos import free_port

pytestmark = pytest.mark.django_db

ANALYZE = "/api/catalog/analyze-location"
COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, lifecycle: production, owner: team-a}
"""
API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: billing-api}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: "x: 1"}
"""
LOCATION = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: apis}
spec: {targets: [./apis/billing.yaml]}
"""


def analyze(client, target: str, **body: object):
    return client.post(
        ANALYZE,
        {"location": {"type": "url", "target": target}, **body},
        content_type="application/json",
    )


def test_a_readable_repository_gives_the_targets_to_register(
    editor_client, repos, git_daemon
):
    repo = repos.create(
        "billing",
        {"catalog-info.yaml": COMPONENT + "---\n" + LOCATION, "apis/billing.yaml": API},
    )
    url = git_daemon.url(repo)

    response = analyze(editor_client, url)

    assert response.status_code == 200
    body = response.json()
    assert "note" not in body
    assert body["generateEntities"] == []
    found = {
        f["entity"]["metadata"]["name"]: (f["location"]["target"], f["isRegistered"])
        for f in body["existingEntityFiles"]
    }
    assert found == {
        # As registered: the repository URL reads its catalog-info.yaml.
        "billing": (url, False),
        "apis": (url, False),
        "billing-api": (f"{url}/blob/main/apis/billing.yaml", False),
    }


def test_a_url_the_policy_refuses_is_a_400(editor_client, git_daemon):
    for target in (
        "git://example.com/acme/billing",  # not in GREENROOM_ALLOWED_GIT_HOSTS
        f"file://{git_daemon.base}/billing",  # local repositories are not allowed
        "https://user:secret@github.com/acme/billing",  # credentials in the URL
    ):
        response = analyze(editor_client, target)
        assert response.status_code == 400, target
        assert response.json()["error"]["name"] == "InputError"
    assert not Location.objects.exists()


def test_an_allowed_url_that_cannot_be_read_gets_a_proposal(editor_client, settings):
    port = free_port()  # nothing listens there
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [f"127.0.0.1:{port}"]

    response = analyze(editor_client, f"git://127.0.0.1:{port}/acme/my-service.git")

    assert response.status_code == 200
    body = response.json()
    assert body["existingEntityFiles"] == []
    assert body["generateEntities"] == [
        {
            "entity": {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": "my-service"},
                "spec": {"type": "other", "lifecycle": "unknown"},
            },
            "fields": [],
        }
    ]
    assert body["note"].startswith("Nothing was read from the repository: ")
    assert gitio.UNREADABLE in body["note"]
    assert str(port) not in body["note"]  # git's own words are not echoed
    assert not Location.objects.exists()
