"""Property: whatever a GitHub or GitLab host answers to an organisation's routes,
a read gives a directory whose every string the database stores, or a
SourceError; never another exception.

One fake host per kind serves the organisation; each example rewrites some of its
answers (hostclient's own failures, such as a body that is not JSON, are tested
with the sources) before reading it again through real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from catalog.storable import has_unstorable
from people.directory import Directory
from people.sources import SourceError, github, gitlab
from tests.support.fakehost import FakeGroup, FakeHost, FakeTeam
from tests.support.orghosts import provider_for, start_host

pytestmark = pytest.mark.django_db

hostile = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["javascript:alert(1)", "https://h/a.png", "\x00", "\ud800",
                     "a/b", "../..", "x" * 300, "", " "]),
)  # fmt: skip
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(hostile, inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = {
    "github": ["slug", "name", "description", "parent", "login", "email",
               "avatar_url", "id"],
    "gitlab": ["id", "full_path", "name", "description", "parent_id", "avatar_url",
               "username", "state", "access_level", "membership_state",
               "public_email", "email", "web_url"],
}  # fmt: skip


def organisation(host: FakeHost) -> list[str]:
    """A small organisation on the host; the routes a read of it asks."""
    if host.kind == "github":
        host.add_org("acme", {"alice", "bob"})
        host.add_person("alice", "Alice", "alice@example.com")
        host.add_team(FakeTeam("acme", "eng", members={"alice": "maintainer"}))
        host.add_team(FakeTeam("acme", "sre", parent="eng", members={"bob": "member"}))
        teams = [f"/orgs/acme/teams/{slug}/members" for slug in ("eng", "sre")]
        return ["/orgs/acme/teams", "/orgs/acme/members", *teams, "/users/alice",
                "/users/bob"]  # fmt: skip
    host.add_person("alice", "Alice", "alice@example.com")
    host.add_group(FakeGroup("acme", members={"alice": 50}))
    host.add_group(FakeGroup("acme/sre", members={"alice": 30, "bob": 40}))
    ids = [host.account_id(f"group:{path}") for path in ("acme", "acme/sre")]
    return ["/groups/acme", f"/groups/{ids[0]}/descendant_groups",
            *(f"/groups/{i}/members" for i in ids)]  # fmt: skip


@pytest.fixture(params=["github", "gitlab"])
def reading(request, tmp_path, settings) -> Iterator[tuple[FakeHost, Any, list[str]]]:
    host = start_host(request.param, tmp_path / "host", settings)
    routes = organisation(host)
    yield host, provider_for(host), routes
    host.stop()


def patched(patch: dict[str, Any]) -> Callable[[Any], Any]:
    """Each object of the answer (or the answer, if an object) with `patch` in."""

    def rewrite(body: Any) -> Any:
        if isinstance(body, list):
            return [{**item, **patch} if isinstance(item, dict) else item
                    for item in body]  # fmt: skip
        return {**body, **patch} if isinstance(body, dict) else body

    return rewrite


def replaced(value: Any) -> Callable[[Any], Any]:
    return lambda body: value


rewrites = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10),  # which route (modulo their number)
        st.one_of(
            st.builds(patched, st.dictionaries(st.sampled_from(sorted(
                set(KEYS["github"]) | set(KEYS["gitlab"]))), values, min_size=1,
                max_size=3)),
            st.builds(replaced, values),
            st.builds(replaced, st.lists(st.dictionaries(hostile, values, max_size=3),
                                         max_size=3)),
        ),
    ),
    min_size=1,
    max_size=3,
)  # fmt: skip


def storable(found: Directory) -> bool:
    texts = [*found.problems]
    for person in found.people:
        texts += [person.name, person.display_name, person.email, person.picture,
                  *person.annotations, *person.annotations.values()]  # fmt: skip
    for team in found.teams:
        texts += [team.name, team.display_name, team.description, team.picture,
                  team.parent, *team.members, *team.maintainers,
                  *team.annotations, *team.annotations.values()]  # fmt: skip
    return not any(has_unstorable(text) for text in texts)


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(changes=rewrites)
def test_any_answer_gives_a_storable_directory_or_a_source_error(reading, changes):
    host, provider, routes = reading
    host.rewrites = {routes[which % len(routes)]: rewrite for which, rewrite in changes}
    source = github if host.kind == "github" else gitlab
    try:
        found = source.read(provider)
    except SourceError as exc:
        failed = str(exc)
    else:
        failed = ""
    finally:
        host.rewrites = {}
    event("refused" if failed else "read")
    if failed:
        assert host.token not in failed
        return
    assert storable(found)
    names = {person.name for person in found.people}
    teams = {team.name for team in found.teams}
    for team in found.teams:
        assert set(team.members) <= names
        assert set(team.maintainers) <= set(team.members)
        assert team.parent == "" or team.parent in teams
