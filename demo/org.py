"""The Acme Shop people and teams: the acme.yaml table, and the acme-org repository.

acme.yaml holds the whole organisation as data (groups, users, systems, APIs,
components); the acme-org repository publishes its groups, users, domains and
systems behind a Location.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from demo.documents import Doc, dump, entity, md

ORG_REPO = "acme-org"
GITHUB_ORG = "acme"


@cache
def acme() -> Doc:
    """acme.yaml, parsed once; shared between callers, so treat it as read-only."""
    text = resources.files(__package__).joinpath("acme.yaml").read_text("utf-8")
    data: Doc = yaml.safe_load(text)
    # A top-level component is named after its repository (subcomponents of a
    # monorepo carry their own names).
    data["components"] = [{"name": row["repo"], **row} for row in data["components"]]
    return data


def api_provider(name: str) -> Doc:
    """The component whose ``provides`` lists API ``name``."""
    components: list[Doc] = acme()["components"]
    for comp in components:
        if name in comp.get("provides", ()):
            return comp
    raise KeyError(name)


def org_repo_files() -> dict[str, bytes]:
    """Repo path -> content; one file per group, one per other kind."""
    data = acme()
    files = _group_files(data)
    files["users.yaml"] = dump(_user(name, row) for name, row in data["users"].items())
    files["domains.yaml"] = dump(
        _domain(name, row) for name, row in data["domains"].items()
    )
    files["systems.yaml"] = dump(
        _system(name, row) for name, row in data["systems"].items()
    )
    files["catalog-info.yaml"] = dump([_location(sorted(files))])
    files["README.md"] = md(
        "# acme-org",
        "",
        "The Acme Shop organisation as catalog entities: the group hierarchy,",
        "people, domains and systems. Edit the YAML files and open a pull",
        "request; the catalog picks the change up on its next refresh.",
    )
    return files


def _group_files(data: Doc) -> dict[str, bytes]:
    """groups/<name>.yaml for the organisation, business units and teams."""
    # (name, type, display name, parent, children), parents before children.
    rows: list[tuple[str, str, str, str | None, list[str]]] = [
        ("acme", "organization", "Acme Shop", None, list(data["business_units"]))
    ]
    for unit, row in data["business_units"].items():
        rows.append((unit, "business-unit", row["display_name"], "acme", row["teams"]))
        rows += [
            (team, "team", f"{data['team_names'][team]} team", unit, [])
            for team in row["teams"]
        ]
    members = _members_by_group(data)
    return {
        f"groups/{name}.yaml": dump(
            [_group(name, gtype, display, parent, children, members.get(name))]
        )
        for name, gtype, display, parent, children in rows
    }


def _members_by_group(data: Doc) -> dict[str, list[str]]:
    """Members to list on a Group, for the groups that list them at all."""
    members: dict[str, list[str]] = {}
    for user, row in data["users"].items():
        for group in row["member_of"]:
            members.setdefault(group, []).append(user)
    listing = set(data["groups_listing_members"])
    return {group: users for group, users in members.items() if group in listing}


def _group(
    name: str,
    gtype: str,
    display: str,
    parent: str | None,
    children: list[str],
    members: list[str] | None,
) -> Doc:
    email = f"{name.removeprefix('team-')}@acme.example"
    spec: Doc = {"type": gtype, "profile": {"displayName": display, "email": email}}
    if parent:
        spec["parent"] = parent
    spec["children"] = children
    if members:
        spec["members"] = members
    meta = {"name": name, "description": f"{display} at Acme Shop."}
    return entity("Group", meta, spec)


def _user(name: str, row: Doc) -> Doc:
    profile = {"displayName": row["display_name"], "email": f"{name}@acme.example"}
    return entity(
        "User", {"name": name}, {"profile": profile, "memberOf": row["member_of"]}
    )


def _domain(name: str, row: Doc) -> Doc:
    meta = {"name": name, "description": row["description"]}
    return entity("Domain", meta, {"owner": row["owner"]})


def _system(name: str, row: Doc) -> Doc:
    meta = {"name": name, "description": row["description"]}
    return entity("System", meta, {"owner": row["owner"], "domain": row["domain"]})


def _location(paths: list[str]) -> Doc:
    """The root Location, listing the group files explicitly (no globbing)."""
    targets = [f"./{path}" for path in paths if path.startswith("groups/")]
    targets += ["./users.yaml", "./domains.yaml", "./systems.yaml"]
    return entity(
        "Location",
        {
            "name": ORG_REPO,
            "description": "The Acme Shop groups, users, domains and systems.",
        },
        {"targets": targets},
    )
