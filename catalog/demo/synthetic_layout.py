"""Where each entity of the synthetic organisation lives, and its name.

Positional (not random) so any repo can name entities in any other repo
without generating it, which keeps repos independent and parallelisable.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.demo.descriptors import Doc, entity

SYNTHETIC_TEAMS = 4
SYNTHETIC_SYSTEMS = 3
# Kind of each slot in a repo, repeating: 50% Components, 30% APIs, 20% Resources.
_SLOT_KINDS = "CACRCACRCA"
_SLOT_PREFIX = {"C": "svc", "A": "api", "R": "res"}
# synth-org + teams + systems, all written at the start of repo 0.
_FOUNDATION_SIZE = 1 + SYNTHETIC_TEAMS + SYNTHETIC_SYSTEMS


def foundation_documents() -> list[Doc]:
    """The groups and systems every synthetic owner/system reference targets."""
    teams = [f"synth-team-{t}" for t in range(SYNTHETIC_TEAMS)]
    docs = [
        entity(
            "Group", {"name": "synth-org"}, {"type": "organization", "children": teams}
        )
    ]
    docs += [
        entity(
            "Group",
            {"name": team},
            {"type": "team", "parent": "synth-org", "children": []},
        )
        for team in teams
    ]
    docs += [
        entity(
            "System",
            {"name": f"synth-system-{s}"},
            {"owner": teams[s % SYNTHETIC_TEAMS]},
        )
        for s in range(SYNTHETIC_SYSTEMS)
    ]
    return docs


def slot_kind(slot: int) -> str:
    """Kind letter of ``slot``: C(omponent), A(PI) or R(esource)."""
    return _SLOT_KINDS[slot % len(_SLOT_KINDS)]


def synthetic_name(repo: int, slot: int, entities_per_repo: int) -> str | None:
    # Repo 0 starts with the foundation documents; its low slots are not
    # regular entities, so references to them would dangle.
    if slot >= entities_per_repo or (repo == 0 and slot < _FOUNDATION_SIZE):
        return None
    return f"{_SLOT_PREFIX[slot_kind(slot)]}-{repo:05d}-{slot:03d}"


@dataclass(frozen=True)
class RepoLayout:
    """The entity names of one repo, and what its components may point at."""

    repo: int
    repos: int
    entities_per_repo: int
    names: list[str | None]
    local_apis: list[str]
    local_resources: list[str]
    api_slots: list[int]

    @classmethod
    def of(cls, repo: int, repos: int, entities_per_repo: int) -> RepoLayout:
        slots = range(entities_per_repo)
        names = [synthetic_name(repo, slot, entities_per_repo) for slot in slots]
        return cls(
            repo=repo,
            repos=repos,
            entities_per_repo=entities_per_repo,
            names=names,
            local_apis=[n for n in names if n and n.startswith("api-")],
            local_resources=[n for n in names if n and n.startswith("res-")],
            api_slots=[s for s in slots if slot_kind(s) == "A"],
        )
