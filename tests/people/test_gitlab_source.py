"""Reading a GitLab group and its subgroups from a fake GitLab (real HTTP,
GitLab's answer shapes, paged by Link headers, behind the token)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from catalog.ingest.provided import apply_provided
from catalog.models import Entity, Relation
from people.directory import Directory, documents
from people.sources import SourceError
from people.sources.gitlab import read
from tests.support.fakehost import FakeGroup, FakeHost
from tests.support.fakehost.shapes import shape
from tests.support.orghosts import get, provider_for, start_host

pytestmark = pytest.mark.django_db

GUEST, DEVELOPER, MAINTAINER, OWNER = 10, 30, 40, 50
HOST = "127.0.0.1"  # the fake host's name: the annotations' prefix


@pytest.fixture
def gitlab(tmp_path, settings) -> Iterator[FakeHost]:
    # Two to a page: every listing below takes more than one request.
    host = start_host("gitlab", tmp_path / "host", settings, page_max=2)
    yield host
    host.stop()


def organisation(host: FakeHost) -> dict[str, FakeGroup]:
    """acme > platform > sre, and acme > design; carol is in platform and sre."""
    host.add_person("alice", "Alice Archer", "alice@example.com")
    host.add_person("bob", "Bob Baker")
    host.add_person("mallory", "Mallory", state="blocked")
    groups = [
        FakeGroup("acme", "ACME", "Everyone",
                  members={"alice": OWNER, "mallory": DEVELOPER}),
        FakeGroup("acme/platform", "Platform",
                  members={"bob": MAINTAINER, "carol": DEVELOPER, "erin": GUEST}),
        FakeGroup("acme/platform/sre", "SRE",
                  members={"carol": DEVELOPER, "dave": OWNER}),
        FakeGroup("acme/design"),
    ]  # fmt: skip
    return {group.full_path: host.add_group(group) for group in groups}


def by_name(found: Directory) -> tuple[dict, dict]:
    return (
        {person.name: person for person in found.people},
        {team.name: team for team in found.teams},
    )


def test_a_group_and_its_subgroups_with_direct_members_and_maintainers(gitlab):
    organisation(gitlab)
    found = read(provider_for(gitlab))
    people, teams = by_name(found)
    # Backstage's names: below the provider's group, "/" as "-".
    assert sorted(teams) == ["acme", "design", "platform", "platform-sre"]
    assert teams["acme"].parent == ""
    assert (teams["platform"].parent, teams["design"].parent) == ("acme", "acme")
    assert teams["platform-sre"].parent == "platform"
    assert teams["acme"].members == ["alice"]
    assert teams["platform"].members == ["bob", "carol", "erin"]
    assert teams["platform-sre"].members == ["carol", "dave"]
    assert teams["design"].members == []
    assert teams["acme"].maintainers == ["alice"]
    assert teams["platform"].maintainers == ["bob"]
    assert teams["platform-sre"].maintainers == ["dave"]
    assert (teams["acme"].display_name, teams["acme"].description) == (
        "ACME", "Everyone",
    )  # fmt: skip
    assert teams["platform-sre"].annotations == {
        f"{HOST}/team-path": "acme/platform/sre"
    }
    assert sorted(people) == ["alice", "bob", "carol", "dave", "erin"]
    alice = people["alice"]
    assert (alice.display_name, alice.email) == ("Alice Archer", "alice@example.com")
    assert alice.picture.startswith("https://")
    assert alice.annotations == {
        "greenroom.io/gitlab-user-id": str(gitlab.account_id("alice")),
        f"{HOST}/user-login": f"{gitlab.web_url}/alice",
    }
    assert people["bob"].email == ""
    assert found.problems == ["mallory is blocked on the host: left out"]


def test_the_read_becomes_valid_groups_and_users(gitlab):
    organisation(gitlab)
    provider = provider_for(gitlab)
    found = read(provider)
    stats = apply_provided(
        provider.location, documents(found), version=found.fingerprint(),
        removal_reason="left",
    )  # fmt: skip
    assert (stats.added, stats.errors) == (9, 0)
    triples = set(Relation.objects.values_list("source_ref", "type", "target_ref"))
    assert ("group:default/platform", "parentOf", "group:default/platform-sre") in (
        triples
    )
    assert ("user:default/carol", "memberOf", "group:default/platform-sre") in triples
    group = Entity.objects.get(ref="group:default/platform-sre").processed
    assert group["metadata"]["annotations"][f"{HOST}/team-path"] == "acme/platform/sre"


def test_a_subgroup_as_the_scope_names_its_own_subgroups_below_it(gitlab):
    organisation(gitlab)
    _, teams = by_name(read(provider_for(gitlab, "acme/platform")))
    assert sorted(teams) == ["acme-platform", "sre"]
    assert teams["sre"].parent == "acme-platform"


def test_every_listing_is_read_past_its_first_page(gitlab):
    gitlab.add_group(
        FakeGroup("acme", members={f"user-{n}": DEVELOPER for n in range(7)})
    )
    for n in range(5):
        gitlab.add_group(FakeGroup(f"acme/team-{n}"))
    people, teams = by_name(read(provider_for(gitlab)))
    assert len(people) == 7
    assert len(teams) == 6
    asked = [request.path for request in gitlab.requests]
    assert any("/members" in p and "page=4" in p for p in asked)
    assert any("/descendant_groups" in p and "page=3" in p for p in asked)


def test_a_member_who_left_between_two_reads_is_gone_from_the_second(gitlab):
    groups = organisation(gitlab)
    provider = provider_for(gitlab)
    first = read(provider)
    for group in groups.values():
        group.members.pop("carol", None)
    second = read(provider)
    people, teams = by_name(second)
    assert "carol" in by_name(first)[0]
    assert "carol" not in people
    assert teams["platform-sre"].members == ["dave"]
    assert first.fingerprint() != second.fingerprint()
    assert read(provider).fingerprint() == second.fingerprint()


def test_someone_in_two_groups_is_one_person(gitlab):
    organisation(gitlab)
    people, _ = by_name(read(provider_for(gitlab)))
    assert [p.name for p in people.values()].count("carol") == 1


def test_a_membership_awaiting_approval_is_left_out_with_a_note(gitlab):
    organisation(gitlab)
    route = f"/groups/{gitlab.account_id('group:acme/platform')}/members"
    gitlab.rewrites[route] = lambda body: [
        {**m, "membership_state": "awaiting"} if m["username"] == "erin" else m
        for m in body
    ]
    found = read(provider_for(gitlab))
    people, teams = by_name(found)
    assert "erin" not in people
    assert "erin" not in teams["platform"].members
    assert "erin's membership of platform is awaiting: left out" in found.problems


def test_two_groups_with_one_name_keep_the_first_with_a_note(gitlab):
    organisation(gitlab)
    gitlab.add_group(FakeGroup("acme/platform-sre"))
    found = read(provider_for(gitlab))
    _, teams = by_name(found)
    assert teams["platform-sre"].annotations[f"{HOST}/team-path"] == (
        "acme/platform-sre"
    )
    assert (
        "acme/platform/sre and acme/platform-sre are both named platform-sre: "
        "acme/platform/sre is left out"
    ) in found.problems


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ("500", "the host answered 500 Internal Server Error"),
        ("garbage", "the host's answer is not JSON"),
    ],
)
def test_a_host_failure_is_a_source_error_saying_where(gitlab, failure, said):
    organisation(gitlab)
    provider = provider_for(gitlab)
    gitlab.fail_next(failure)
    with pytest.raises(SourceError) as caught:
        read(provider)
    message = str(caught.value)
    assert message == f"could not read the group acme (GET /groups/acme): {said}"
    assert gitlab.token not in message


def test_a_refused_token_or_a_missing_group_says_so(gitlab):
    organisation(gitlab)
    with pytest.raises(SourceError) as caught:
        read(provider_for(gitlab, token="glpat-wrong-token-123", name="wrong"))
    assert "401 Unauthorized: the credential was refused" in str(caught.value)
    assert "glpat-wrong-token-123" not in str(caught.value)
    with pytest.raises(SourceError, match="does not exist, or the credential cannot"):
        read(provider_for(gitlab, "acme/nothing", name="nothing"))


def test_a_failure_on_a_later_request_fails_the_whole_read(gitlab):
    organisation(gitlab)
    provider = provider_for(gitlab)
    gitlab.limit_after(4, retry_after=30)
    with pytest.raises(SourceError, match="rate limited until"):
        read(provider)


def group_route(host: FakeHost, path: str, below: str = "") -> str:
    return f"/groups/{host.account_id(f'group:{path}')}{below}"


@pytest.mark.parametrize(
    ("below", "rewrite", "said"),
    [
        ("/members", lambda body: [{**body[0], "access_level": "40"}],
         "access level that is not a number"),
        ("/members", lambda body: [{**body[0], "username": ["alice"]}],
         "a member of acme that"),
        ("/members", lambda body: {"members": body}, "not a list of objects"),
        ("/members", lambda body: [{**body[0], "id": True}], "id that is not a"),
        ("/descendant_groups", lambda body: [{**body[0], "full_path": None}],
         "with a path that"),
        ("/descendant_groups", lambda body: [{**body[0], "id": "2"}],
         "with an id that"),
        ("/descendant_groups", lambda body: [{**body[0], "parent_id": 1.5}],
         "parent that is not a number"),
    ],
)  # fmt: skip
def test_a_hostile_answer_is_a_source_error_not_a_crash(gitlab, below, rewrite, said):
    organisation(gitlab)
    gitlab.rewrites[group_route(gitlab, "acme", below)] = rewrite
    with pytest.raises(SourceError, match=said):
        read(provider_for(gitlab))


def test_a_group_outside_the_tree_or_a_loop_of_parents_is_noted(gitlab):
    organisation(gitlab)
    platform = gitlab.account_id("group:acme/platform")
    sre = gitlab.account_id("group:acme/platform/sre")

    def hostile(body: list[dict]) -> list[dict]:
        outside = {**body[0], "id": 999, "full_path": "elsewhere/x"}
        looped = [
            {**group, "parent_id": sre} if group["id"] == platform else group
            for group in body
        ]
        return [*looped, outside]

    gitlab.rewrites[group_route(gitlab, "acme", "/descendant_groups")] = hostile
    found = read(provider_for(gitlab))
    _, teams = by_name(found)
    assert "the host listed elsewhere/x as a subgroup of acme" in found.problems
    assert any("go round in a loop" in note for note in found.problems)
    assert "elsewhere-x" not in teams
    assert "x" not in teams


def test_the_scope_is_a_group_path(gitlab):
    organisation(gitlab)
    provider = provider_for(gitlab)
    provider.scope = "acme//platform"
    with pytest.raises(SourceError, match="the group's full path"):
        read(provider)


@pytest.mark.parametrize(
    ("below", "recorded"),
    [
        ("?with_projects=false", "group"),
        ("/descendant_groups", "descendant-groups"),
        ("/members", "group-members"),
    ],
)
def test_the_fake_answers_in_gitlab_shapes_and_only_with_the_token(
    gitlab, below, recorded
):
    organisation(gitlab)
    route = f"/groups/acme{below}"
    assert get(gitlab, route)[0] == 401
    status, answer = get(gitlab, route, gitlab.token)
    assert status == 200
    example = shape("gitlab", recorded)
    fields = set(example[0] if isinstance(example, list) else example)
    for found in answer if isinstance(answer, list) else [answer]:
        # `email` is there only for the group's enterprise users (alice here).
        assert fields - {"email"} <= set(found)
        assert "example.com/groups" not in json.dumps(found)
    if below == "/members":
        alice = next(member for member in answer if member["username"] == "alice")
        assert alice["email"] == "alice@example.com"
