"""A SCIM provider's directory: what Okta or Entra ID pushed to /scim/v2/,
read from its tables (people/scim/).

- Active users are people; a deactivated or deleted user is absent, so the run
  removes their User entity with a history entry saying why.
- A person's entity name is their userName when that is a valid entity name
  (`[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?`, at most 63 characters), else the
  part before the "@" when that is one ("ada.lovelace@example.com" is
  "ada.lovelace"). A user with neither is left out, with a note on the
  provider's page.
- Groups are teams, named from their displayName lower-cased with runs of
  spaces as one dash ("Platform Team" is "platform-team"), when that is a valid
  name; members are their active members that became people.
- Two users (or two groups) that would have the same name, compared without
  case as entity references are, are both left out with a note: picking one
  would give one person's entity, and their memberships, to the other.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from people.directory import Directory, Person, Team
from people.models import OrgProvider, ScimGroup, ScimUser

ENTITY_NAME = re.compile(r"[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?")
MAX_NAME = 63
SCIM_ID = "greenroom.io/scim-id"
SCIM_EXTERNAL_ID = "greenroom.io/scim-external-id"
SCIM_USER_NAME = "greenroom.io/scim-user-name"


def valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME and ENTITY_NAME.fullmatch(name) is not None


def person_name(user_name: str) -> str | None:
    """The entity name of a userName: itself, else its part before "@"."""
    if valid_name(user_name):
        return user_name
    local = user_name.split("@", 1)[0]
    return local if "@" in user_name and valid_name(local) else None


def team_name(display_name: str) -> str | None:
    """A group's entity name: its displayName lower-cased, spaces as dashes."""
    name = re.sub(r"\s+", "-", display_name.strip().lower())
    return name if valid_name(name) else None


def read(provider: OrgProvider) -> Directory:
    found = Directory()
    users = list(
        ScimUser.objects.filter(provider=provider, active=True).order_by(
            "created_at", "id"
        )
    )
    names = _unique_names(
        {user.id: person_name(user.user_name) for user in users},
        {user.id: f"user {user.user_name!r}" for user in users},
        "a valid entity name (nor is the part before @)",
        found.problems,
    )
    for user in users:
        if user.id not in names:
            continue
        found.people.append(
            Person(
                name=names[user.id],
                display_name=user.display_name
                or " ".join(p for p in (user.given_name, user.family_name) if p),
                email=user.email,
                annotations=_annotations(
                    str(user.id), user.external_id, user_name=user.user_name
                ),
            )
        )
    groups = list(
        ScimGroup.objects.filter(provider=provider).order_by("created_at", "id")
    )
    teams = _unique_names(
        {group.id: team_name(group.display_name) for group in groups},
        {group.id: f"group {group.display_name!r}" for group in groups},
        "a valid entity name once lower-cased with spaces as dashes",
        found.problems,
    )
    members: defaultdict[object, list[str]] = defaultdict(list)
    through = ScimGroup.members.through.objects.filter(scimgroup__provider=provider)
    for group_id, user_id in through.values_list("scimgroup_id", "scimuser_id"):
        if user_id in names:  # active, and named
            members[group_id].append(names[user_id])
    for group in groups:
        if group.id not in teams:
            continue
        found.teams.append(
            Team(
                name=teams[group.id],
                display_name=group.display_name,
                members=sorted(members[group.id]),
                annotations=_annotations(str(group.id), group.external_id),
            )
        )
    return found


def _unique_names(
    wanted: dict[object, str | None],
    described: dict[object, str],
    invalid: str,
    problems: list[str],
) -> dict[object, str]:
    """The names that are valid and taken by one row only; notes for the rest."""
    counts = Counter(name.lower() for name in wanted.values() if name)
    names: dict[object, str] = {}
    for key, name in wanted.items():
        if name is None:
            problems.append(f"SCIM {described[key]} left out: it is not {invalid}")
        elif counts[name.lower()] > 1:
            problems.append(
                f"SCIM {described[key]} left out: another one is also named "
                f"{name!r} (both are left out)"
            )
        else:
            names[key] = name
    return names


def _annotations(scim_id: str, external_id: str, user_name: str = "") -> dict[str, str]:
    annotations = {SCIM_ID: scim_id}
    if external_id:
        annotations[SCIM_EXTERNAL_ID] = external_id
    if user_name:
        annotations[SCIM_USER_NAME] = user_name
    return annotations
