"""Real descriptors nobody here wrote: Backstage's examples and public repos."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from catalog.descriptor import parse_file
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, ProcessingError, Relation
from catalog.serialize import served
from tests.support.catalog import authored
from tests.support.fixtures import shared_fixtures

# The reference's relation table (catalog-model.md section 5.2): spec field ->
# (default kind of the target, relation on the source, reverse on the target).
RELATION_FIELDS = {
    "owner": ("group", "ownedBy", "ownerOf"),
    "system": ("system", "partOf", "hasPart"),
    "subcomponentOf": ("component", "partOf", "hasPart"),
    "providesApis": ("api", "providesApi", "apiProvidedBy"),
    "consumesApis": ("api", "consumesApi", "apiConsumedBy"),
    "dependsOn": (None, "dependsOn", "dependencyOf"),
    "dependencyOf": (None, "dependencyOf", "dependsOn"),
    "domain": ("domain", "partOf", "hasPart"),
    "subdomainOf": ("domain", "partOf", "hasPart"),
    "parent": ("group", "childOf", "parentOf"),
    "children": ("group", "parentOf", "childOf"),
    "members": ("user", "hasMember", "memberOf"),
    "memberOf": ("group", "memberOf", "hasMember"),
}
KIND_FIELDS = {
    "Component": {
        "owner",
        "system",
        "subcomponentOf",
        "providesApis",
        "consumesApis",
        "dependsOn",
        "dependencyOf",
    },
    "API": {"owner", "system"},
    "Resource": {"owner", "system", "dependsOn", "dependencyOf"},
    "System": {"owner", "domain"},
    "Domain": {"owner", "subdomainOf"},
    "Group": {"parent", "children", "members"},
    "User": {"memberOf"},
}


def files_of(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def documents(folder: Path):
    for path in sorted(folder.rglob("*.yaml")):
        yield from (d for d in yaml.safe_load_all(path.read_text()) if d)


def ref_of(doc: dict) -> str:
    metadata = doc["metadata"]
    namespace = metadata.get("namespace", "default")
    return f"{doc['kind']}:{namespace}/{metadata['name']}".lower()


def full_ref(text: str, default_kind: str | None, namespace: str) -> str:
    kind, _, rest = (
        text.rpartition(":") if ":" in text.split("/")[0] else (default_kind, "", text)
    )
    ns, _, name = rest.rpartition("/") if "/" in rest else (namespace, "", rest)
    return f"{kind}:{ns}/{name}".lower()


@pytest.mark.django_db
def test_backstage_example_organisation_ingests_completely(repos):
    folder = shared_fixtures("catalog", "backstage-examples")
    repo = repos.create("examples", files_of(folder))
    for entry in ("all.yaml", "acme-corp.yaml"):
        location, _ = register_location(repo.url, path=entry)
        crawl_location(location)

    expected = {ref_of(d) for d in documents(folder)}
    stored = {e.ref: e for e in authored()}
    assert set(stored) == expected
    errors = ProcessingError.objects.filter(level="error")
    assert not errors.exists(), list(errors.values_list("message", flat=True))

    # Every relation the reference's table derives from each spec, in both directions.
    wanted = set()
    for doc in documents(folder):
        namespace = doc["metadata"].get("namespace", "default")
        source = f"{doc['kind']}:{namespace}/{doc['metadata']['name']}".lower()
        for field in KIND_FIELDS.get(doc["kind"], ()):
            values = doc.get("spec", {}).get(field)
            for value in (
                values if isinstance(values, list) else [values] if values else []
            ):
                default_kind, forward, reverse = RELATION_FIELDS[field]
                target = full_ref(value, default_kind, namespace)
                wanted |= {(source, forward, target), (target, reverse, source)}
    rows = set(Relation.objects.values_list("source_ref", "type", "target_ref"))
    assert wanted == rows
    assert len(wanted) > 100
    for source, type_, target in wanted:
        if source in stored:
            assert {"type": type_, "targetRef": target} in served(stored[source])[
                "relations"
            ]


def provenance_verdicts() -> dict[str, str]:
    """File name -> 'valid' or the INVALID reason, read from PROVENANCE.md's table."""
    text = (shared_fixtures() / "PROVENANCE.md").read_text()
    section = text.split("## 2.")[1].split("## 3.")[0]
    verdicts = {}
    for match in re.finditer(
        r"^\| `([^`]+)` \|(?:[^|]*\|){4} (valid|INVALID \(([^)]*)\))", section, re.M
    ):
        verdicts[match[1]] = match[3] or "valid"
    return verdicts


# How each kind of rejection that PROVENANCE.md names shows in our messages.
REASON_WORDS = {
    "unknown root field": "Unknown root field",
    "no apiVersion/kind": "apiVersion is required",
    "unknown kind/apiVersion": "No processor recognized",
    "spec.definition missing": "spec.definition is required",
    "metadata.name format": "metadata.name",
    "YAML parse error": "YAML syntax error",
}


def test_real_world_descriptors_are_judged_as_provenance_says():
    folder = shared_fixtures("catalog", "real-world")
    verdicts = provenance_verdicts()
    assert len(verdicts) == len(list(folder.iterdir())) == 53
    for path in sorted(folder.iterdir()):
        result = parse_file(path.read_bytes(), path.name)
        errors = [p.message for p in result.problems if p.level == "error"]
        verdict = verdicts[path.name]
        if verdict == "valid":
            assert result.entities, path.name
            assert not errors, (path.name, errors)
        else:
            assert errors, path.name
            assert all(m.startswith(path.name) for m in errors)
            assert any(REASON_WORDS[verdict] in m for m in errors), (
                path.name,
                verdict,
                errors,
            )


@pytest.mark.django_db
def test_real_world_descriptors_crawl_with_rejections_named(repos):
    folder = shared_fixtures("catalog", "real-world")
    verdicts = provenance_verdicts()
    repo = repos.create(
        "real", {f"real-world/{k}": v for k, v in files_of(folder).items()}
    )
    location, _ = register_location(repo.url, path="real-world/*")
    crawl_location(location)
    failed = set(
        ProcessingError.objects.filter(level="error", entity_ref="").values_list(
            "path", flat=True
        )
    ) | set(
        ProcessingError.objects.filter(level="error")
        .exclude(message__contains="duplicate entity")
        .values_list("path", flat=True)
    )
    for name, verdict in verdicts.items():
        path = f"real-world/{name}"
        if verdict != "valid":
            assert path in failed, name
    assert Entity.objects.count() >= 50
