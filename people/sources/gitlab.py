"""A GitLab group and its subgroups (REST API v4) as a Directory.

`provider.scope` is the group's full path (`acme`, `acme/platform`);
`provider.connection` the GitLab host connection to read it with. The routes:

- GET /groups/{path}?with_projects=false: the group itself;
- GET /groups/{id}/descendant_groups: its subgroups at any depth;
- GET /groups/{id}/members for each group: its direct members (inherited
  ones are members of the ancestor they come from), with access levels.

Every listing is read to its last page. The token needs `read_api`.

Names follow Backstage's GitLab org provider (GitlabOrgDiscoveryEntityProvider,
`groupName`), so entities and the ownership pointing at them carry over: a
subgroup is named by its path below the provider's group with "/" as "-"
(`acme/platform/sre` read from `acme` is `platform-sre`). The group itself,
which Backstage leaves out, is named by its whole path the same way (`acme`,
`acme-platform`). Paths may hold "-" too, so two groups can come to one name
(`a/b-c` and `a-b/c`): the first by path is kept, the other left out with a
note. A person is named by their username.

Annotations are Backstage's too: `<host>/team-path` (the group's full path)
and `<host>/user-login` (the user's web page), `<host>` being the host name of
the connection's git URL (`gitlab.com`, `gitlab.example.com`).
`greenroom.io/gitlab-user-id` keeps the user's numeric id, which outlives a
rename. Unlike Backstage, groups without members are kept: they still hold
the tree together.

Maintainers are members with access level 40 (Maintainer) or 50 (Owner). A
member whose account is not active (blocked, deactivated, banned), or whose
membership awaits approval, is left out with a note, as Backstage leaves out
inactive users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from catalog.descriptor.rules import is_dns_subdomain
from discovery.hosts.base import link, text
from people.directory import Directory, Person, Team
from people.models import OrgProvider
from people.sources import SourceError
from people.sources.hostapi import HostReader, Notes, check_parents, identity, number

USER_ID = "greenroom.io/gitlab-user-id"
MAINTAINER = 40  # GitLab's access level of Maintainer; Owner is 50


@dataclass(slots=True)
class _Group:
    id: int
    path: str
    parent_id: int | None
    answer: dict[str, Any]


def read(provider: OrgProvider) -> Directory:
    scope = _group_path(provider.scope)
    reader = HostReader(provider, "gitlab")
    host = _annotation_host(reader.api.connection.git_url)
    notes = Notes()
    root = _group(
        reader.get(
            f"/groups/{quote(scope, safe='')}", f"the group {scope}",
            with_projects="false",
        ),
        f"group {scope}",
    )  # fmt: skip
    groups = [root]
    subgroups = reader.listing(
        f"/groups/{root.id}/descendant_groups",
        f"the subgroups of {root.path}",
        all_available="true",
    )
    seen = {root.id}
    for entry in subgroups:
        group = _group(entry, f"a subgroup of {root.path}")
        if not group.path.casefold().startswith(root.path.casefold() + "/"):
            notes.add(f"the host listed {group.path} as a subgroup of {root.path}")
            continue
        if group.id not in seen:
            seen.add(group.id)
            groups.append(group)

    teams: dict[str, Team] = {}
    named: dict[int, str] = {}  # group id -> team name
    for group in sorted(groups, key=lambda g: g.path):
        name = _team_name(root.path, group.path)
        if name in teams:
            notes.add(
                f"{group.path} and {teams[name].annotations[_path_key(host)]} are "
                f"both named {name}: {group.path} is left out"
            )
            continue
        named[group.id] = name
        teams[name] = Team(
            name=name,
            display_name=text(group.answer.get("name"), 200),
            description=text(group.answer.get("description")),
            picture=link(group.answer.get("avatar_url")),
            annotations={_path_key(host): group.path},
        )
    for group in groups:
        if group.id not in named or group.id == root.id:
            continue
        if group.parent_id in named:
            teams[named[group.id]].parent = named[group.parent_id]
        else:
            notes.add(
                f"{group.path}'s parent is not among the groups read: shown at the top"
            )
    check_parents(teams, notes)  # a loop of parents, from a hostile host

    people: dict[str, Person] = {}
    for group in groups:
        if group.id in named:
            found = reader.listing(
                f"/groups/{group.id}/members", f"the members of {group.path}"
            )
            _members(teams[named[group.id]], found, people, host, notes)
    return Directory(
        people=sorted(people.values(), key=lambda person: person.name),
        teams=sorted(teams.values(), key=lambda team: team.name),
        problems=notes.all(),
    )


def _group_path(scope: str) -> str:
    path = scope.strip().strip("/")
    if not path or any(not part.strip() for part in path.split("/")):
        raise SourceError(
            "a GitLab provider's scope is the group's full path, e.g. acme/platform"
        )
    return path


def _annotation_host(git_url: str) -> str:
    """The annotations' prefix: the host's name, as Backstage's integration
    config names it (without a port, which an annotation key cannot hold)."""
    found = (urlsplit(git_url).hostname or "").lower()
    return found if is_dns_subdomain(found) else "gitlab.com"


def _path_key(host: str) -> str:
    return f"{host}/team-path"


def _group(answer: dict[str, Any] | None, what: str) -> _Group:
    if answer is None:  # only a missing_ok read answers None
        raise SourceError(f"{what} was not found")
    parent = answer.get("parent_id")
    return _Group(
        id=number(answer.get("id"), f"{what} with an id"),
        path=identity(answer.get("full_path"), f"{what} with a path"),
        parent_id=None if parent is None else number(parent, f"{what}'s parent"),
        answer=answer,
    )


def _team_name(root: str, path: str) -> str:
    """Backstage's group name: the path below the provider's group, "/" as "-"."""
    below = path[len(root) + 1 :] if path.casefold() != root.casefold() else path
    return below.replace("/", "-")


def _members(
    team: Team,
    found: list[dict[str, Any]],
    people: dict[str, Person],
    host: str,
    notes: Notes,
) -> None:
    members: set[str] = set()
    maintainers: set[str] = set()
    for entry in found:
        username = identity(entry.get("username"), f"a member of {team.name}")
        level = number(entry.get("access_level"), f"{username}'s access level")
        state = entry.get("state")
        if state != "active":
            notes.add(
                f"{username} is {text(state, 40) or 'not active'} on the host: left out"
            )
            continue
        membership = entry.get("membership_state", "active")
        if membership not in ("active", None):
            notes.add(
                f"{username}'s membership of {team.name} is "
                f"{text(membership, 40) or 'not active'}: left out"
            )
            continue
        members.add(username)
        if level >= MAINTAINER:
            maintainers.add(username)
        if username not in people:
            people[username] = _person(username, entry, host)
    team.members = sorted(members)
    team.maintainers = sorted(maintainers)


def _person(username: str, entry: dict[str, Any], host: str) -> Person:
    annotations = {USER_ID: str(number(entry.get("id"), f"{username}'s id"))}
    if page := link(entry.get("web_url")):
        annotations[f"{host}/user-login"] = page
    return Person(
        name=username,
        display_name=text(entry.get("name"), 200),
        email=text(entry.get("public_email") or entry.get("email"), 320),
        picture=link(entry.get("avatar_url")),
        annotations=annotations,
    )
