"""A GitHub organisation's teams and people (REST API 2022-11-28) as a Directory.

`provider.scope` is the organisation's login; `provider.connection` the GitHub
(or GitHub Enterprise Server) host connection to read it with. The routes:

- GET /orgs/{org}/teams: every team (slug, name, description, parent);
- GET /orgs/{org}/teams/{slug}/members?role=member and ?role=maintainer;
- GET /orgs/{org}/members: the organisation's members;
- GET /users/{login}: each person's name, public email and avatar.

Every listing is read to its last page. The token needs `read:org` (a
fine-grained token or a GitHub App: "Members" organisation permission, read).

Names and annotations are those of Backstage's GitHub org provider, so entities
and the ownership that points at them carry over: a team is named by its slug
and a person by their login; `github.com/team-slug` is `<org>/<slug>` and
`github.com/user-login` the login (plugins/catalog-backend-module-github,
src/lib/annotation.ts).

Direct members: the REST API lists a team's members together with those of its
child teams, at any depth (GitHub's GraphQL `membership: IMMEDIATE`, which
Backstage uses, has no REST counterpart). A team's members here are those it
lists less everyone its child teams list, so someone who belongs to a team and
also to one of its child teams is a member of the child only: the parent still
reaches them through its child, as Backstage's relations do.
"""

from __future__ import annotations

from urllib.parse import quote

from discovery.hosts.base import link, text
from people.directory import Directory, Person, Team
from people.models import OrgProvider
from people.sources import SourceError
from people.sources.hostapi import HostReader, Notes, check_parents, identity

USER_LOGIN = "github.com/user-login"
TEAM_SLUG = "github.com/team-slug"
ROLES = ("member", "maintainer")


def read(provider: OrgProvider) -> Directory:
    org = _organisation(provider.scope)
    reader = HostReader(provider, "github")
    notes = Notes()
    base = f"/orgs/{quote(org, safe='')}"
    teams = _teams(org, reader.listing(f"{base}/teams", f"the teams of {org}"))
    listed: dict[str, dict[str, set[str]]] = {}  # slug -> role -> logins
    for slug in teams:
        route = f"{base}/teams/{quote(slug, safe='')}/members"
        listed[slug] = {
            role: _logins(
                reader.listing(route, f"the {role}s of team {slug}", role=role),
                f"a {role} of team {slug}",
            )
            for role in ROLES
        }
    members = _logins(
        reader.listing(f"{base}/members", f"the members of {org}"),
        f"a member of {org}",
    )
    check_parents(teams, notes)
    _direct_members(teams, listed)
    for team in teams.values():
        for login in sorted(set(team.members) - members):
            notes.add(
                f"{login} is a member of team {team.name} but not of the "
                f"organisation {org}: listed all the same"
            )
    in_teams = {login for team in teams.values() for login in team.members}
    return Directory(
        people=[_person(reader, login, notes) for login in sorted(members | in_teams)],
        teams=sorted(teams.values(), key=lambda team: team.name),
        problems=notes.all(),
    )


def _organisation(scope: str) -> str:
    org = scope.strip().strip("/")
    if not org or "/" in org or len(org) > 100:
        raise SourceError(
            "a GitHub provider's scope is the organisation's login, e.g. acme"
        )
    return org


def _teams(org: str, found: list[dict[str, object]]) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for entry in found:
        slug = identity(entry.get("slug"), "a team")
        if slug in teams:
            continue  # listed twice (pages shifted under a new team)
        parent = entry.get("parent")
        parent_slug = ""
        if isinstance(parent, dict):
            parent_slug = identity(parent.get("slug"), f"team {slug}'s parent")
        elif parent is not None:
            raise SourceError(f"the host's answer gives team {slug} an unusable parent")
        teams[slug] = Team(
            name=slug,
            display_name=text(entry.get("name"), 200),
            description=text(entry.get("description")),
            parent=parent_slug,
            annotations={TEAM_SLUG: f"{org}/{slug}"},
        )
    return teams


def _direct_members(
    teams: dict[str, Team], listed: dict[str, dict[str, set[str]]]
) -> None:
    """Each team's members: those it lists less those its child teams list (which
    GitHub includes), and its maintainers among them."""
    everyone = {slug: roles["member"] | roles["maintainer"]
                for slug, roles in listed.items()}  # fmt: skip
    through_children: dict[str, set[str]] = {slug: set() for slug in teams}
    for slug, team in teams.items():
        if team.parent:
            through_children[team.parent] |= everyone[slug]
    for slug, team in teams.items():
        direct = everyone[slug] - through_children[slug]
        team.members = sorted(direct)
        team.maintainers = sorted(direct & listed[slug]["maintainer"])


def _logins(found: list[dict[str, object]], what: str) -> set[str]:
    return {identity(entry.get("login"), what) for entry in found}


def _person(reader: HostReader, login: str, notes: Notes) -> Person:
    profile = reader.get(
        f"/users/{quote(login, safe='')}", f"the profile of {login}", missing_ok=True
    )
    if profile is None:
        notes.add(f"{login}'s account was not found (deleted during the read?)")
        profile = {}
    return Person(
        name=login,
        display_name=text(profile.get("name"), 200),
        email=text(profile.get("email"), 320),
        picture=link(profile.get("avatar_url")),
        annotations={USER_LOGIN: login},
    )
