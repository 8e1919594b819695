"""The catalog-info.yaml documents of one synthetic benchmark repository."""

from __future__ import annotations

import random

from catalog.demo.descriptors import Doc, entity
from catalog.demo.synthetic_layout import (
    SYNTHETIC_SYSTEMS,
    SYNTHETIC_TEAMS,
    RepoLayout,
    foundation_documents,
    slot_kind,
    synthetic_name,
)

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
