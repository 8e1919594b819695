"""What an organisation provider reads: people and teams, before they are entities.

Each source (people/sources/: github, gitlab, ldap, scim) turns what it reads into
a `Directory`; `documents()` turns that into Backstage Group and User descriptors,
which then go through the same validation and apply path as a crawled file
(catalog/ingest/provided.py). A source never writes the catalog itself.

Names are the source's own (a GitHub login, an LDAP uid); one that is not a valid
entity name is refused by validation, with a processing error on the provider's
page, rather than quietly rewritten into someone else's name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

MAINTAINERS = "greenroom.io/maintainers"


@dataclass(slots=True)
class Person:
    name: str  # the entity name: login, username, uid
    display_name: str = ""
    email: str = ""
    picture: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Team:
    name: str  # the entity name: team slug, group path, cn
    display_name: str = ""
    description: str = ""
    email: str = ""
    picture: str = ""
    type: str = "team"
    parent: str = ""  # the parent team's name, "" for a top-level team
    members: list[str] = field(default_factory=list)  # direct members' names
    maintainers: list[str] = field(default_factory=list)  # members who manage it
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Directory:
    """Everything one provider run read. `problems` are the source's own notes
    (a member nobody lists, a group with two parents): shown on its page."""

    people: list[Person] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Equal for two reads that give the same descriptors, in whatever order
        the source listed people, teams and members."""
        text = json.dumps(documents(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _order(value: Person | Team) -> str:
    # By name, then by everything else: two entries of one name (which the apply
    # refuses but the first) come in the same order whatever the source's order.
    return json.dumps([value.name, asdict(value)], sort_keys=True)


def documents(directory: Directory, namespace: str = "default") -> list[dict[str, Any]]:
    """Backstage descriptors: one Group per team, one User per person.

    A team's `spec.children` are the teams naming it as their parent, and a
    person's `spec.memberOf` the teams listing them: both sides are written, as
    Backstage's own providers write them.
    """
    children: dict[str, list[str]] = {}
    member_of: dict[str, list[str]] = {}
    for team in directory.teams:
        if team.parent:
            children.setdefault(team.parent, []).append(team.name)
        for member in team.members:
            member_of.setdefault(member, []).append(team.name)
    docs = [
        _group(team, sorted(children.get(team.name, [])), namespace)
        for team in sorted(directory.teams, key=_order)
    ]
    docs += [
        _user(person, sorted(set(member_of.get(person.name, []))), namespace)
        for person in sorted(directory.people, key=_order)
    ]
    return docs


def _metadata(name: str, namespace: str, extra: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace != "default":
        metadata["namespace"] = namespace
    metadata.update({key: value for key, value in extra.items() if value})
    return metadata


def _profile(display_name: str, email: str, picture: str) -> dict[str, str]:
    profile = {"displayName": display_name, "email": email, "picture": picture}
    return {key: value for key, value in profile.items() if value}


def _group(team: Team, children: list[str], namespace: str) -> dict[str, Any]:
    annotations = dict(team.annotations)
    if team.maintainers:
        annotations[MAINTAINERS] = ",".join(sorted(team.maintainers))
    spec: dict[str, Any] = {"type": team.type or "team", "children": children}
    if team.parent:
        spec["parent"] = team.parent
    spec["members"] = sorted(set(team.members))
    if profile := _profile(team.display_name, team.email, team.picture):
        spec["profile"] = profile
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": _metadata(
            team.name,
            namespace,
            {"description": team.description, "annotations": annotations},
        ),
        "spec": spec,
    }


def _user(person: Person, member_of: list[str], namespace: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"memberOf": member_of}
    if profile := _profile(person.display_name, person.email, person.picture):
        spec["profile"] = profile
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": _metadata(
            person.name, namespace, {"annotations": dict(person.annotations)}
        ),
        "spec": spec,
    }
