"""Reading a GitHub organisation's teams and people from a fake GitHub (real HTTP,
GitHub's answer shapes, paged by Link headers, behind the token)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from catalog.ingest.provided import apply_provided
from catalog.models import Entity, Relation
from people.directory import Directory, documents
from people.sources import SourceError
from people.sources.github import read
from tests.support.fakehost import FakeHost, FakeTeam
from tests.support.fakehost.shapes import shape
from tests.support.orghosts import get, provider_for, start_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def github(tmp_path, settings) -> Iterator[FakeHost]:
    # Two to a page: every listing below takes more than one request.
    host = start_host("github", tmp_path / "host", settings, page_max=2)
    yield host
    host.stop()


def organisation(host: FakeHost) -> dict[str, FakeTeam]:
    """engineering > platform > sre; carol is in platform and in sre."""
    host.add_org("acme", {"alice", "bob", "carol", "dave", "erin"})
    host.add_person("alice", "Alice Archer", "alice@example.com")
    host.add_person("bob", "Bob Baker")
    host.add_person("carol")
    host.add_person("dave", "Dave Dunn", "dave@example.com")
    host.add_person("erin", "Erin Ek")
    teams = [
        FakeTeam("acme", "engineering", "Engineering", "All of us",
                 members={"alice": "maintainer"}),
        FakeTeam("acme", "platform", parent="engineering",
                 members={"bob": "maintainer", "carol": "member", "erin": "member"}),
        FakeTeam("acme", "sre", "SRE", parent="platform",
                 members={"carol": "member", "dave": "maintainer"}),
        FakeTeam("acme", "design"),
    ]  # fmt: skip
    return {team.slug: host.add_team(team) for team in teams}


def by_name(found: Directory) -> tuple[dict, dict]:
    return (
        {person.name: person for person in found.people},
        {team.name: team for team in found.teams},
    )


def test_nested_teams_have_their_direct_members_and_maintainers(github):
    organisation(github)
    found = read(provider_for(github))
    people, teams = by_name(found)
    assert found.problems == []
    assert sorted(teams) == ["design", "engineering", "platform", "sre"]
    assert teams["engineering"].parent == ""
    assert teams["platform"].parent == "engineering"
    assert teams["sre"].parent == "platform"
    # GitHub lists engineering with everyone below it: only alice is its own.
    assert teams["engineering"].members == ["alice"]
    # carol is in platform and in sre: a member of sre only (the child).
    assert teams["platform"].members == ["bob", "erin"]
    assert teams["sre"].members == ["carol", "dave"]
    assert teams["design"].members == []
    assert teams["platform"].maintainers == ["bob"]
    assert teams["sre"].maintainers == ["dave"]
    assert teams["engineering"].maintainers == ["alice"]
    assert teams["sre"].display_name == "SRE"
    assert teams["engineering"].description == "All of us"
    assert teams["sre"].annotations == {"github.com/team-slug": "acme/sre"}
    alice = people["alice"]
    assert (alice.display_name, alice.email) == ("Alice Archer", "alice@example.com")
    assert alice.picture.startswith("http")
    assert alice.annotations == {"github.com/user-login": "alice"}
    assert (people["carol"].display_name, people["carol"].email) == ("", "")
    assert sorted(people) == ["alice", "bob", "carol", "dave", "erin"]


def test_the_read_becomes_valid_groups_and_users(github):
    organisation(github)
    provider = provider_for(github)
    found = read(provider)
    stats = apply_provided(
        provider.location, documents(found), version=found.fingerprint(),
        removal_reason="left",
    )  # fmt: skip
    assert (stats.added, stats.errors) == (9, 0)
    triples = set(Relation.objects.values_list("source_ref", "type", "target_ref"))
    parent_of = ("group:default/engineering", "parentOf", "group:default/platform")
    assert parent_of in triples
    assert ("user:default/carol", "memberOf", "group:default/sre") in triples
    user = Entity.objects.get(ref="user:default/alice").processed
    assert user["metadata"]["annotations"]["github.com/user-login"] == "alice"


def test_every_listing_is_read_past_its_first_page(github):
    github.add_org("acme", {f"user-{n}" for n in range(7)})
    github.add_team(
        FakeTeam("acme", "big", members={f"user-{n}": "member" for n in range(5)})
    )
    for n in range(3):
        github.add_team(FakeTeam("acme", f"team-{n}"))
    people, teams = by_name(read(provider_for(github)))
    assert len(people) == 7
    assert len(teams) == 4
    assert teams["big"].members == [f"user-{n}" for n in range(5)]
    asked = [request.path for request in github.requests]
    assert any("/orgs/acme/members" in p and "page=4" in p for p in asked)
    assert any("/teams/big/members" in p and "page=3" in p for p in asked)
    assert any(p.startswith("/api/v3/orgs/acme/teams?") and "page=2" in p
               for p in asked)  # fmt: skip


def test_a_member_who_left_between_two_reads_is_gone_from_the_second(github):
    teams = organisation(github)
    provider = provider_for(github)
    first = read(provider)
    github.org_members["acme"].discard("carol")
    for team in teams.values():
        team.members.pop("carol", None)
    second = read(provider)
    people, found = by_name(second)
    assert "carol" in by_name(first)[0]
    assert "carol" not in people
    assert found["sre"].members == ["dave"]
    assert first.fingerprint() != second.fingerprint()
    assert read(provider).fingerprint() == second.fingerprint()


def test_a_team_member_outside_the_organisation_is_listed_with_a_note(github):
    teams = organisation(github)
    github.add_person("frank", "Frank Fox")
    teams["design"].members["frank"] = "member"
    found = read(provider_for(github))
    people, by_team = by_name(found)
    assert "frank" in people
    assert by_team["design"].members == ["frank"]
    assert found.problems == [
        "frank is a member of team design but not of the organisation acme: "
        "listed all the same"
    ]


def test_a_parent_the_credential_cannot_see_makes_a_top_level_team(github):
    teams = organisation(github)
    github.rewrites["/orgs/acme/teams"] = lambda body: [
        team for team in body if team["slug"] != "engineering"
    ]
    found = read(provider_for(github))
    _, by_team = by_name(found)
    assert by_team["platform"].parent == ""
    assert (
        "platform's parent engineering is not among the teams read"
        in (found.problems[0])
    )
    assert teams  # alice is no team's member now, still a person of the org
    assert "alice" in by_name(found)[0]


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ("500", "the host answered 500 Internal Server Error"),
        ("garbage", "the host's answer is not JSON"),
        ("html", "the host's answer is not JSON"),
    ],
)
def test_a_host_failure_is_a_source_error_saying_where(github, failure, said):
    organisation(github)
    provider = provider_for(github)
    github.fail_next(failure)
    with pytest.raises(SourceError) as caught:
        read(provider)
    message = str(caught.value)
    assert message == f"could not read the teams of acme (GET /orgs/acme/teams): {said}"
    assert github.token not in message


def test_a_refused_token_or_a_missing_organisation_says_so(github):
    organisation(github)
    with pytest.raises(SourceError) as caught:
        read(provider_for(github, token="ghp_wrong-token-123", name="wrong"))
    assert "401 Unauthorized: the credential was refused" in str(caught.value)
    assert "ghp_wrong-token-123" not in str(caught.value)
    with pytest.raises(SourceError, match="does not exist, or the credential cannot"):
        read(provider_for(github, "nobody", name="nobody"))


def test_a_failure_on_a_later_page_fails_the_whole_read(github):
    organisation(github)
    provider = provider_for(github)
    github.limit_after(3, retry_after=30)
    with pytest.raises(SourceError) as caught:
        read(provider)
    assert "rate limited until" in str(caught.value)
    assert "(GET /orgs/acme/teams/" in str(caught.value)


@pytest.mark.parametrize(
    ("route", "rewrite", "said"),
    [
        ("/orgs/acme/teams", lambda body: {"teams": body}, "not a list of objects"),
        ("/orgs/acme/teams", lambda body: [*body, "x"], "not a list of objects"),
        ("/orgs/acme/teams", lambda body: [{**body[0], "slug": 7}], "a team that"),
        ("/orgs/acme/teams", lambda body: [{**body[0], "parent": "x"}],
         "an unusable parent"),
        ("/orgs/acme/members", lambda body: [{"login": None}], "a member of acme"),
        ("/orgs/acme/teams/sre/members", lambda body: [{"login": "\x00"}],
         "a member of team sre"),
        ("/users/alice", lambda body: [body], "not an object"),
    ],
)  # fmt: skip
def test_a_hostile_answer_is_a_source_error_not_a_crash(github, route, rewrite, said):
    organisation(github)
    github.rewrites[route] = rewrite
    with pytest.raises(SourceError, match=said):
        read(provider_for(github))


def test_odd_field_types_outside_the_names_are_read_as_empty(github):
    organisation(github)
    github.rewrites["/users/alice"] = lambda body: {
        **body, "name": ["x"], "email": 5, "avatar_url": "javascript:alert(1)",
    }  # fmt: skip
    github.rewrites["/orgs/acme/teams"] = lambda body: [
        {**team, "name": {"a": 1}, "description": "\x00" * 3} for team in body
    ]
    people, teams = by_name(read(provider_for(github)))
    assert (people["alice"].display_name, people["alice"].email) == ("", "")
    assert people["alice"].picture == ""
    assert teams["sre"].display_name == ""
    assert "\x00" not in teams["sre"].description


def test_the_scope_is_one_organisation(github):
    organisation(github)
    provider = provider_for(github)
    provider.scope = "acme/platform"
    with pytest.raises(SourceError, match="the organisation's login"):
        read(provider)


@pytest.mark.parametrize(
    ("route", "recorded"),
    [
        ("/orgs/acme/teams", "org-teams"),
        ("/orgs/acme/teams/engineering/members", "team-members"),
        ("/orgs/acme/members", "org-members"),
        ("/users/alice", "user-public"),
    ],
)
def test_the_fake_answers_in_github_shapes_and_only_with_the_token(
    github, route, recorded
):
    organisation(github)
    assert get(github, route)[0] == 401
    status, answer = get(github, route, github.token)
    assert status == 200
    example = shape("github", recorded)
    fields = set(example[0] if isinstance(example, list) else example)
    for found in answer if isinstance(answer, list) else [answer]:
        assert fields <= set(found)
        assert "api.github.com" not in json.dumps(found)
    if route == "/orgs/acme/teams":
        platform = next(team for team in answer if team["slug"] == "platform")
        assert platform["parent"]["slug"] == "engineering"
        assert "parent" not in platform["parent"]
