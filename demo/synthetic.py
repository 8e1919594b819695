"""The synthetic benchmark organisation as bare git repositories.

Each repository holds one catalog-info.yaml of generated Components, APIs and
Resources. Where each entity lives, and its name, is positional (not random) so
any repo can name entities in any other repo without generating it, which keeps
repos independent and parallelisable.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from demo.documents import Doc, dump_fast, entity
from demo.repos import init_bare, run_parallel, write_bare_repo

SYNTHETIC_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


def build_synthetic_org(
    root: Path, repos: int = 1000, entities_per_repo: int = 10, *, seed: int = 1
) -> list[Path]:
    """Write ``repos`` bare repositories for ingestion benchmarks.

    Each ``root/repo-NNNNN.git`` is a bare repository (clone it with
    ``git clone file://...``) whose ``main`` branch (HEAD) has one commit with
    ``catalog-info.yaml`` holding exactly ``entities_per_repo`` documents:
    Components, APIs with small inline definitions and Resources, names unique
    across the org.  Repo 0 starts with the groups (``synth-org``,
    ``synth-team-0..3``) and systems (``synth-system-0..2``) that every owner
    and system reference points at; these count towards its quota (below
    eight entities per repo some of them are cut off and references dangle).
    A repo's content depends on ``repos`` and ``seed`` (cross-repo API
    consumers), so changing either rebuilds every repository.

    Written with one ``git init --bare`` (copied as a skeleton) + one
    ``git fast-import`` per repo, in a thread pool (about 6 s for 1,000 repos
    on two cores).  Same arguments give the same commit shas; repos already at
    the expected commit are skipped, so re-running a benchmark setup is cheap.
    """
    if repos < 1 or entities_per_repo < 1:
        raise ValueError("repos and entities_per_repo must be at least 1")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"repo-{i:05d}.git" for i in range(repos)]

    with tempfile.TemporaryDirectory(prefix="greenroom-skeleton-") as tmp:
        skeleton = Path(tmp) / "empty.git"
        init_bare(skeleton)

        def build(index: int) -> None:
            docs = synthetic_documents(index, repos, entities_per_repo, seed)
            files = {"catalog-info.yaml": dump_fast(docs)}
            message = f"Synthetic catalog for repo {index}"
            timestamp = SYNTHETIC_EPOCH + index
            write_bare_repo(paths[index], files, message, timestamp, skeleton)

        run_parallel(build, repos)
    return paths


# The catalog-info.yaml documents of one synthetic repository.

_SYNTH_OPENAPI = """\
openapi: 3.0.3
info: {{title: {name}, version: 1.0.{minor}}}
paths:
  /items:
    get:
      operationId: list
      responses:
        '200': {{description: ok}}
"""

_SYNTH_ASYNCAPI = """\
asyncapi: 2.6.0
info: {{title: {name}, version: 1.0.{minor}}}
channels:
  {name}.changed:
    subscribe:
      message: {{payload: {{type: object}}}}
"""


def synthetic_documents(
    repo: int, repos: int, entities_per_repo: int, seed: int
) -> list[Doc]:
    """Exactly ``entities_per_repo`` documents (repo 0 starts with the foundation)."""
    # A per-repo RNG seeded by a string is reproducible across processes
    # (str seeds are hashed with SHA-512, not PYTHONHASHSEED).
    rng = random.Random(f"greenroom-synthetic:{seed}:{repo}")
    docs: list[Doc] = foundation_documents()[:entities_per_repo] if repo == 0 else []
    layout = RepoLayout.of(repo, repos, entities_per_repo)
    for slot, name in enumerate(layout.names):
        if name is not None:
            docs.append(_slot_document(rng, layout, slot, name))
    return docs


# Every helper below draws from ``rng`` in a fixed order: reordering the draws
# changes every synthetic repository (and its commit sha).
def _slot_document(rng: random.Random, layout: RepoLayout, slot: int, name: str) -> Doc:
    owner = f"synth-team-{rng.randrange(SYNTHETIC_TEAMS)}"
    system = f"synth-system-{rng.randrange(SYNTHETIC_SYSTEMS)}"
    meta: Doc = {
        "name": name,
        "description": f"Synthetic {name}",
        "annotations": {"github.com/project-slug": f"synth/repo-{layout.repo:05d}"},
    }
    kind = slot_kind(slot)
    if kind == "C":
        return _component(rng, layout, meta, owner, system)
    if kind == "A":
        return _api(rng, meta, owner, system)
    res_type = rng.choice(["database", "queue", "s3-bucket"])
    return entity(
        "Resource", meta, {"type": res_type, "owner": owner, "system": system}
    )


def _component(
    rng: random.Random, layout: RepoLayout, meta: Doc, owner: str, system: str
) -> Doc:
    meta["tags"] = rng.sample(
        ["python", "go", "java", "typescript", "kafka", "postgres"], 2
    )
    spec: Doc = {
        "type": rng.choices(["service", "website", "library"], [6, 2, 2])[0],
        "lifecycle": rng.choices(
            ["production", "experimental", "deprecated"], [7, 2, 1]
        )[0],
        "owner": owner,
        "system": system,
    }
    if layout.local_apis and rng.random() < 0.6:
        spec["providesApis"] = [rng.choice(layout.local_apis)]
    consumed = _cross_repo_api(rng, layout)
    if consumed:
        spec["consumesApis"] = [consumed]
    if layout.local_resources and rng.random() < 0.5:
        spec["dependsOn"] = [f"resource:{rng.choice(layout.local_resources)}"]
    return entity("Component", meta, spec)


def _cross_repo_api(rng: random.Random, layout: RepoLayout) -> str | None:
    """An API in another repo, so API relations span repositories."""
    other = rng.randrange(layout.repos)
    if not layout.api_slots or other == layout.repo:
        return None
    return synthetic_name(other, rng.choice(layout.api_slots), layout.entities_per_repo)


def _api(rng: random.Random, meta: Doc, owner: str, system: str) -> Doc:
    template, api_type = (
        (_SYNTH_ASYNCAPI, "asyncapi")
        if rng.random() < 0.2
        else (_SYNTH_OPENAPI, "openapi")
    )
    spec = {
        "type": api_type,
        "lifecycle": "production",
        "owner": owner,
        "system": system,
        "definition": template.format(name=meta["name"], minor=rng.randrange(10)),
    }
    return entity("API", meta, spec)


# Where each entity lives, and its name.

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
