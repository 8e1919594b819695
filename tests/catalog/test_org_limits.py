"""Limits that admit real organisations (issue 16 §5), against real repositories.

An exported organisation keeps thousands of users in one file: a generated
2,500-user `users.yaml` (about 609 KB, as the issue's) is crawled from a git
daemon with the default limits and every user arrives. A file over a limit is a
processing error that names the limit, in the database, the API and on the
location's page; documents read before the node budget ran out still arrive.
"""

from __future__ import annotations

import time

import pytest

from catalog.descriptor.loading import Limits, load_documents
from catalog.ingest.sync import crawl_location, limits
from catalog.locations import register_location
from catalog.models import Entity, Location, ProcessingError, Relation

pytestmark = pytest.mark.django_db

GROUPS = 50
USERS = 2_500


def user(index: int) -> str:
    """A user as org exports write them: about 244 bytes, as in the issue's file."""
    return (
        "apiVersion: backstage.io/v1alpha1\n"
        "kind: User\n"
        "metadata:\n"
        f"  name: user-{index:05d}\n"
        f"  title: Firstname{index} Lastname{index}\n"
        "spec:\n"
        "  profile:\n"
        f"    displayName: Firstname{index} Lastname{index}\n"
        f"    email: firstname{index}.lastname{index}@example.com\n"
        f"  memberOf: [team-{index % GROUPS:02d}]\n"
    )


def users_file(count: int) -> str:
    return "---\n".join(user(i) for i in range(count))


def groups_file() -> str:
    return "---\n".join(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
        f"metadata: {{name: team-{i:02d}}}\nspec: {{type: team, children: []}}\n"
        for i in range(GROUPS)
    )


ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: org}
spec:
  targets: [./groups.yaml, ./users.yaml]
"""


def crawl_org(repos, git_daemon, users: str) -> Location:
    repo = repos.create(
        "org",
        {"catalog-info.yaml": ROOT, "groups.yaml": groups_file(), "users.yaml": users},
    )
    location, _ = register_location(git_daemon.url(repo))
    crawl_location(location)
    return Location.objects.get(pk=location.pk)


def test_a_2500_user_file_arrives_whole_with_the_default_limits(repos, git_daemon):
    users = users_file(USERS)
    assert 590_000 < len(users.encode()) < 630_000  # the 609 KB

    started = time.perf_counter()
    location = crawl_org(repos, git_daemon, users)
    elapsed = time.perf_counter() - started

    assert location.status == Location.Status.OK, location.last_error
    assert not ProcessingError.objects.exists()
    assert Entity.objects.filter(kind="User").count() == USERS
    members = Relation.objects.filter(
        source_ref="group:default/team-07", type="hasMember"
    )
    assert members.count() == USERS // GROUPS
    assert elapsed < 30, elapsed  # about 6 s here: nothing quadratic


def test_a_10000_user_file_is_within_every_default_limit(settings):
    """Several MB: read whole by the crawl's own limits (the settings' defaults),
    and room for it in one location beside its groups and Location entities."""
    data = users_file(10_000).encode()
    assert len(data) > 2_000_000

    documents = load_documents(data, limits())

    assert [d.error for d in documents if d.error] == []
    assert len(documents) == 10_000
    assert settings.GREENROOM_MAX_ENTITIES_PER_LOCATION > 10_000 + GROUPS + 2


def test_documents_are_bounded_by_the_node_budget_not_a_count():
    empty_documents = b"---\n" * 5_000

    documents = load_documents(empty_documents, Limits(max_nodes=1_000))

    # Each document costs a node: 1,000 are read, then one error ends the file.
    assert len(documents) == 1_001
    assert documents[-1].error == (
        "too many YAML nodes: more than 1000 in the file after alias expansion; "
        "the rest of the file, from line 1001, was not read"
    )


def test_refused_documents_cost_the_budget_too():
    refused = b"--- !!python/name:os.system x\n" * 3_000

    documents = load_documents(refused, Limits(max_nodes=1_000))

    assert len(documents) == 1_001
    assert "unsupported YAML tag" in (documents[0].error or "")
    assert "was not read" in (documents[-1].error or "")


def test_one_huge_document_is_refused_by_its_own_node_limit():
    data = ("items:\n" + "".join(f"  - {i}\n" for i in range(300))).encode()

    (document,) = load_documents(data, Limits(max_document_nodes=100))

    assert document.error == (
        "too many YAML nodes: more than 100 in one document after alias expansion"
    )


@pytest.mark.parametrize(
    ("setting", "value", "named", "users_read"),
    [
        (
            "GREENROOM_MAX_FILE_BYTES",
            50_000,
            "users.yaml is {size} bytes, over the limit of 50000",
            0,
        ),
        (
            "GREENROOM_MAX_NODES",
            5_500,  # 250 users of 22 nodes
            "users.yaml, document 251: too many YAML nodes: more than 5500 in the "
            "file after alias expansion; the rest of the file, from line 2750, was "
            "not read",
            250,
        ),
        (
            "GREENROOM_MAX_DOCUMENTS",
            100,
            "users.yaml: file has too many YAML documents: at most 100 allowed",
            0,
        ),
    ],
)
def test_a_file_over_a_limit_names_it_everywhere(
    repos, git_daemon, settings, viewer_client, setting, value, named, users_read
):
    setattr(settings, setting, value)
    users = users_file(400)

    location = crawl_org(repos, git_daemon, users)

    message = named.format(size=len(users.encode()))
    assert location.status == Location.Status.WARNING
    stored = list(ProcessingError.objects.values_list("path", "message"))
    assert stored == [("users.yaml", message)]
    api = viewer_client.get(f"/api/errors?location={location.uid}").json()
    assert [e["message"] for e in api["items"]] == [message]
    page = viewer_client.get(f"/locations/{location.pk}").content.decode()
    assert message in page
    assert Entity.objects.filter(kind="User").count() == users_read
    assert Entity.objects.filter(kind="Group").count() == GROUPS
