"""Tests for the demo / synthetic git organisations (no database needed)."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import demo

NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
TAG_RE = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
REQUIRED_SPEC = {
    "Component": {"type", "lifecycle", "owner"},
    "API": {"type", "lifecycle", "owner", "definition"},
    "Resource": {"type", "owner"},
    "System": {"owner"},
    "Domain": {"owner"},
    "Group": {"type", "children"},
    "User": {"memberOf"},
    "Location": set(),
}
# spec field -> default kind of the referenced entity (None: kind required)
REF_FIELDS = {
    "owner": "group",
    "system": "system",
    "domain": "domain",
    "parent": "group",
    "children": "group",
    "members": "user",
    "memberOf": "group",
    "providesApis": "api",
    "consumesApis": "api",
    "dependsOn": None,
}

Entity = dict[str, Any]


@pytest.fixture(autouse=True)
def greenroom_settings() -> None:
    """Shadow tests/conftest.py's autouse fixture of the same name.

    That one needs pytest-django's ``settings``; these tests touch no Django
    code and must also run with ``-p no:django``.
    """


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def load_location_tree(repo: Path) -> list[tuple[Path, Entity]]:
    """Entities from the repo's root descriptor, following Location targets."""
    found: list[tuple[Path, Entity]] = []
    pending = [repo / "catalog-info.yaml"]
    while pending:
        path = pending.pop(0)
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is None:
                continue
            found.append((path, doc))
            if doc["kind"] == "Location":
                targets = list(doc["spec"].get("targets", []))
                if "target" in doc["spec"]:
                    targets.append(doc["spec"]["target"])
                for target in targets:
                    assert target.startswith("./"), target
                    resolved = (path.parent / target).resolve()
                    assert resolved.is_relative_to(repo.resolve()), target
                    pending.append(resolved)
    return found


def ref_target(value: str, default_kind: str | None) -> tuple[str, str]:
    kind, sep, name = value.partition(":")
    if not sep:
        assert default_kind is not None, f"{value!r} needs a kind prefix"
        kind, name = default_kind, value
    assert "/" not in name
    return kind.lower(), name.lower()


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def demo_repos(demo_root: Path) -> list[Path]:
    return demo.build_demo_org(demo_root)


@pytest.fixture(scope="module")
def entities(demo_repos: list[Path]) -> list[tuple[Path, Path, Entity]]:
    return [
        (repo, path, entity)
        for repo in demo_repos
        for path, entity in load_location_tree(repo)
    ]


def test_demo_repos_are_real_git_repos_with_one_commit(
    demo_root: Path, demo_repos: list[Path]
) -> None:
    assert len(demo_repos) >= 30
    assert len(set(demo_repos)) == len(demo_repos)
    assert all(repo.parent == demo_root for repo in demo_repos)
    assert demo_repos[0].name == "acme-org"
    for repo in demo_repos:
        log = git(repo, "log", "--format=%H|%an|%ae|%at", "main").splitlines()
        assert len(log) == 1, repo
        _, author, email, _ = log[0].split("|")
        assert (author, email) == ("Greenroom Demo", "demo@greenroom.invalid")
        assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
        assert git(repo, "status", "--porcelain") == ""
        assert (repo / "README.md").is_file()
        docs = list(yaml.safe_load_all((repo / "catalog-info.yaml").read_text()))
        assert docs
        assert all(isinstance(doc, dict) for doc in docs)


def test_demo_is_deterministic_and_matches_predicted_sha(
    demo_repos: list[Path], tmp_path: Path
) -> None:
    tips = [git(repo, "rev-parse", "main").strip() for repo in demo_repos]
    # The predicted sha is what the idempotency short-cut relies on.
    for index, (name, files) in enumerate(demo.demo_repos()):
        predicted = demo.expected_commit_sha(
            files, f"Add catalog descriptors for {name}", demo.DEMO_EPOCH + 3600 * index
        )
        assert predicted == tips[index], name
    # Dates are fixed, so a build elsewhere produces the very same commits.
    others = demo.build_demo_org(tmp_path / "again")
    assert [git(repo, "rev-parse", "main").strip() for repo in others] == tips


def test_demo_build_is_idempotent(demo_root: Path, demo_repos: list[Path]) -> None:
    before = {
        repo: (
            git(repo, "rev-parse", "main").strip(),
            (repo / ".git" / "index").stat().st_mtime_ns,
        )
        for repo in demo_repos
    }
    assert demo.build_demo_org(demo_root) == demo_repos
    after = {
        repo: (
            git(repo, "rev-parse", "main").strip(),
            (repo / ".git" / "index").stat().st_mtime_ns,
        )
        for repo in demo_repos
    }
    # Same shas and untouched indexes: the repos were left alone, not rebuilt.
    assert after == before


def test_demo_rebuild_resets_a_changed_repo(tmp_path: Path) -> None:
    repos = demo.build_demo_org(tmp_path)
    repo = repos[5]
    original = git(repo, "rev-parse", "main").strip()
    demo.commit_file(repo, "catalog-info.yaml", "broken: [", "Break it")
    demo.build_demo_org(tmp_path)
    assert git(repo, "rev-parse", "main").strip() == original
    assert len(git(repo, "log", "--format=%H", "main").splitlines()) == 1


def test_demo_refuses_to_delete_foreign_directories(tmp_path: Path) -> None:
    (tmp_path / "acme-org").mkdir()
    (tmp_path / "acme-org" / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a git repository"):
        demo.build_demo_org(tmp_path)
    assert (tmp_path / "acme-org" / "precious.txt").read_text() == "keep me"


def test_demo_kind_counts(entities: list[tuple[Path, Path, Entity]]) -> None:
    counts = Counter(entity["kind"] for _, _, entity in entities)
    assert counts["Component"] >= 15
    assert counts["API"] >= 5
    assert counts["Resource"] >= 3
    assert counts["System"] >= 4
    assert counts["Domain"] >= 2
    assert counts["Group"] >= 8
    assert counts["User"] >= 15
    assert counts["Location"] >= 2
    assert set(counts) == set(REQUIRED_SPEC)


def test_demo_entities_are_valid_descriptors(
    entities: list[tuple[Path, Path, Entity]],
) -> None:
    seen: set[tuple[str, str]] = set()
    for _, path, entity in entities:
        assert set(entity) == {"apiVersion", "kind", "metadata", "spec"}, path
        assert entity["apiVersion"] == "backstage.io/v1alpha1"
        kind = entity["kind"]
        meta, spec = entity["metadata"], entity["spec"]
        name = meta["name"]
        assert 1 <= len(name) <= 63
        assert NAME_RE.match(name), name
        key = (kind.lower(), name.lower())
        assert key not in seen, f"duplicate {key}"
        seen.add(key)
        for tag in meta.get("tags", []):
            assert len(tag) <= 63
            assert TAG_RE.match(tag), (name, tag)
        for link in meta.get("links", []):
            assert link["url"].startswith("https://")
        assert all(isinstance(v, str) for v in meta.get("annotations", {}).values())
        assert REQUIRED_SPEC[kind] <= set(spec), (kind, name)
        for ref in spec.get("dependsOn", []):
            assert ref.split(":", 1)[0] in {"component", "resource"}, ref
        if kind == "Group":
            assert isinstance(spec["children"], list)
        if kind == "User":
            assert isinstance(spec["memberOf"], list)
            assert spec["profile"]["email"].endswith("@acme.example")


def test_demo_references_resolve_except_the_dangling_owner(
    entities: list[tuple[Path, Path, Entity]],
) -> None:
    known = {(e["kind"].lower(), e["metadata"]["name"].lower()) for _, _, e in entities}
    dangling: list[tuple[str, str, tuple[str, str]]] = []
    for _, _, entity in entities:
        for field, default_kind in REF_FIELDS.items():
            values = entity["spec"].get(field, [])
            for value in [values] if isinstance(values, str) else values:
                target = ref_target(value, default_kind)
                if target not in known:
                    dangling.append((entity["metadata"]["name"], field, target))
    assert dangling == [("recommendations", "owner", ("group", "team-personalization"))]


def test_demo_cross_links(entities: list[tuple[Path, Path, Entity]]) -> None:
    by_kind: dict[str, dict[str, Entity]] = {}
    for _, _, entity in entities:
        by_kind.setdefault(entity["kind"], {})[entity["metadata"]["name"]] = entity
    components = by_kind["Component"]
    deprecated = {
        n for n, c in components.items() if c["spec"]["lifecycle"] == "deprecated"
    }
    depended = {
        ref.split(":", 1)[1]
        for c in components.values()
        for ref in c["spec"].get("dependsOn", [])
    }
    assert deprecated & depended, "a deprecated component should still be depended upon"
    assert {c["spec"]["type"] for c in components.values()} >= {
        "service",
        "website",
        "library",
    }
    assert {c["spec"]["lifecycle"] for c in components.values()} == {
        "production",
        "experimental",
        "deprecated",
    }
    consumed = {
        api for c in components.values() for api in c["spec"].get("consumesApis", [])
    }
    provided = {
        api for c in components.values() for api in c["spec"].get("providesApis", [])
    }
    assert provided == set(by_kind["API"])
    assert len(consumed & provided) >= 5
    assert all("domain" in s["spec"] for s in by_kind["System"].values())
    assert {"commerce", "platform", "data"} <= set(by_kind["Domain"])
    assert {"storefront", "payments", "search", "identity", "observability"} <= set(
        by_kind["System"]
    )
    # Group hierarchy: parent and children agree both ways.
    groups = by_kind["Group"]
    for name, group in groups.items():
        for child in group["spec"]["children"]:
            assert groups[child]["spec"]["parent"] == name
        if "parent" in group["spec"]:
            assert name in groups[group["spec"]["parent"]]["spec"]["children"]
        for member in group["spec"].get("members", []):
            assert name in by_kind["User"][member]["spec"]["memberOf"]
    assert groups["acme"]["spec"]["children"] == ["commerce", "platform"]
    assert any("members" in g["spec"] for g in groups.values())


def test_demo_multi_document_files_and_monorepo_location(
    demo_root: Path, entities: list[tuple[Path, Path, Entity]]
) -> None:
    kinds_per_file: dict[Path, set[str]] = {}
    for _, path, entity in entities:
        kinds_per_file.setdefault(path, set()).add(entity["kind"])
    assert any(k >= {"Component", "API", "Resource"} for k in kinds_per_file.values())
    # acme-org fans out to explicitly listed group files.
    org = yaml.safe_load((demo_root / "acme-org" / "catalog-info.yaml").read_text())
    assert org["kind"] == "Location"
    targets = org["spec"]["targets"]
    assert {"./users.yaml", "./domains.yaml"} <= set(targets)
    assert sum(t.startswith("./groups/") and t.endswith(".yaml") for t in targets) >= 8
    # A monorepo whose root Location lists two subfolder descriptors.
    monorepos = [
        (repo, entity)
        for repo, path, entity in entities
        if entity["kind"] == "Location"
        and path == repo / "catalog-info.yaml"
        and repo.name != "acme-org"
    ]
    assert len(monorepos) == 1
    repo, location = monorepos[0]
    sub_targets = location["spec"]["targets"]
    assert len(sub_targets) == 2
    for target in sub_targets:
        assert target.startswith("./services/")
        docs = list(yaml.safe_load_all((repo / target).read_text()))
        assert [d["kind"] for d in docs] == ["Component"]


def test_demo_api_definitions(entities: list[tuple[Path, Path, Entity]]) -> None:
    api_types: Counter[str] = Counter()
    for _, path, entity in entities:
        if entity["kind"] != "API":
            continue
        spec = entity["spec"]
        api_types[spec["type"]] += 1
        definition = spec["definition"]
        if spec["type"] == "openapi":
            assert definition == {"$text": "./openapi.yaml"}
            doc = yaml.safe_load((path.parent / "openapi.yaml").read_text())
            assert doc["openapi"].startswith("3.0.")
            assert doc["info"]["title"]
            assert doc["info"]["version"]
            assert doc["paths"]
            schemas = doc["components"]["schemas"]
            refs = re.findall(
                r"\$ref: '#/components/schemas/(\w+)'", yaml.safe_dump(doc)
            )
            assert refs
            assert set(refs) <= set(schemas)
            for path_item in doc["paths"].values():
                for operation in path_item.values():
                    assert operation["responses"]
        elif spec["type"] == "asyncapi":
            assert isinstance(definition, str)
            doc = yaml.safe_load(definition)
            assert doc["asyncapi"].startswith("2.")
            assert doc["channels"]
        else:
            assert spec["type"] == "graphql"
            assert isinstance(definition, str)
            assert "type Query {" in definition
    assert api_types["openapi"] >= 5
    assert api_types["asyncapi"] >= 1
    assert api_types["graphql"] >= 1


def test_demo_techdocs_sites(
    demo_repos: list[Path], entities: list[tuple[Path, Path, Entity]]
) -> None:
    with_docs = [
        repo
        for repo in demo_repos
        if (repo / "mkdocs.yml").is_file() and (repo / "docs" / "index.md").is_file()
    ]
    assert len(with_docs) >= 8
    for repo in with_docs:
        mkdocs = yaml.safe_load((repo / "mkdocs.yml").read_text())
        assert mkdocs["site_name"]
        pages = [page for item in mkdocs["nav"] for page in item.values()]
        assert len(pages) >= 2
        for page in pages:
            assert (repo / "docs" / page).is_file(), (repo, page)
        markdown = "\n".join((repo / "docs" / p).read_text() for p in pages)
        assert markdown.startswith("# ")
        assert "!!! note" in markdown
        assert "|---|" in markdown
        assert "```" in markdown
    # The techdocs annotation appears exactly where a site exists.
    annotated = {
        repo
        for repo, _, entity in entities
        if entity["metadata"].get("annotations", {}).get("backstage.io/techdocs-ref")
        == "dir:."
    }
    assert annotated == set(with_docs)


def test_demo_docs_build_with_plain_mkdocs(demo_root: Path, tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(
        str(demo_root / "checkout-service" / "mkdocs.yml"),
        site_dir=str(tmp_path / "site"),
        strict=True,
    )
    build(config)
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'class="admonition note"' in html
    assert (tmp_path / "site" / "runbook" / "index.html").is_file()


# -- synthetic org -------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("synthetic")
    return demo.build_synthetic_org(root, repos=20, entities_per_repo=10)


def test_synthetic_org_is_cloneable_with_expected_documents(
    synthetic: list[Path], tmp_path: Path
) -> None:
    assert len(synthetic) == 20
    docs: list[Entity] = []
    for index, repo in enumerate(synthetic):
        clone = tmp_path / f"clone-{index}"
        subprocess.run(
            ["git", "clone", "-q", f"file://{repo}", str(clone)],
            check=True,
            capture_output=True,
        )
        assert git(clone, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
        assert len(git(clone, "log", "--format=%H").splitlines()) == 1
        repo_docs = list(yaml.safe_load_all((clone / "catalog-info.yaml").read_text()))
        assert len(repo_docs) == 10
        docs += repo_docs
    assert len(docs) == 200
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(set(names)) == 200
    counts = Counter(d["kind"] for d in docs)
    assert counts["Component"] > counts["API"] > counts["Resource"] > 0
    assert counts["Group"] >= 2
    assert counts["System"] >= 1
    groups = {d["metadata"]["name"] for d in docs if d["kind"] == "Group"}
    systems = {d["metadata"]["name"] for d in docs if d["kind"] == "System"}
    apis = {d["metadata"]["name"] for d in docs if d["kind"] == "API"}
    resources = {d["metadata"]["name"] for d in docs if d["kind"] == "Resource"}
    for doc in docs:
        spec = doc["spec"]
        assert NAME_RE.match(doc["metadata"]["name"])
        assert REQUIRED_SPEC[doc["kind"]] <= set(spec)
        if "owner" in spec:
            assert spec["owner"] in groups
        if doc["kind"] in {"Component", "API", "Resource"}:
            assert spec["system"] in systems
        if doc["kind"] == "API":
            assert yaml.safe_load(spec["definition"])
        assert set(spec.get("providesApis", []) + spec.get("consumesApis", [])) <= apis
        for ref in spec.get("dependsOn", []):
            assert ref.removeprefix("resource:") in resources


def test_synthetic_org_is_deterministic_and_idempotent(
    synthetic: list[Path], tmp_path: Path
) -> None:
    tips = [git(repo, "rev-parse", "main").strip() for repo in synthetic]
    assert [p.name for p in demo.build_synthetic_org(tmp_path, repos=20)] == [
        p.name for p in synthetic
    ]
    assert [
        git(tmp_path / p.name, "rev-parse", "main").strip() for p in synthetic
    ] == tips
    # Re-running over existing repos leaves them alone.
    packs = sorted(
        str(p) for p in (tmp_path / synthetic[3].name).glob("objects/pack/*")
    )
    demo.build_synthetic_org(tmp_path, repos=20)
    assert (
        sorted(str(p) for p in (tmp_path / synthetic[3].name).glob("objects/pack/*"))
        == packs
    )
    other_seed = demo.build_synthetic_org(tmp_path / "seed2", repos=20, seed=2)
    assert git(other_seed[3], "rev-parse", "main").strip() != tips[3]


def test_synthetic_scales_entities_per_repo(tmp_path: Path) -> None:
    repos = demo.build_synthetic_org(tmp_path, repos=3, entities_per_repo=25)
    total = sum(
        len(list(yaml.safe_load_all(git(repo, "show", "main:catalog-info.yaml"))))
        for repo in repos
    )
    assert total == 75
    with pytest.raises(ValueError, match="at least 1"):
        demo.build_synthetic_org(tmp_path, repos=0)


# -- commit_file ---------------------------------------------------------------


def test_commit_file_in_worktree_repo(demo_repos: list[Path], tmp_path: Path) -> None:
    repo = tmp_path / "cart-service"
    subprocess.run(
        ["git", "clone", "-q", str(demo_repos[0].parent / "cart-service"), str(repo)],
        check=True,
        capture_output=True,
    )
    before = git(repo, "rev-parse", "HEAD").strip()
    sha = demo.commit_file(repo, "catalog-info.yaml", "kind: Changed\n", "Change it")
    assert sha != before
    assert git(repo, "rev-parse", "main").strip() == sha
    assert git(repo, "show", "main:catalog-info.yaml") == "kind: Changed\n"
    assert git(repo, "rev-parse", f"{sha}^").strip() == before
    assert git(repo, "log", "-1", "--format=%an|%B", "main").strip() == (
        "Greenroom Demo|Change it"
    )
    assert git(repo, "status", "--porcelain") == ""
    nested = demo.commit_file(repo, "deep/new/file.txt", "hello", "Add nested file")
    assert git(repo, "show", f"{nested}:deep/new/file.txt") == "hello"
    gone = demo.commit_file(repo, "README.md", None, "Remove readme")
    assert not (repo / "README.md").exists()
    assert "README.md" not in git(repo, "ls-tree", "--name-only", gone)
    # An unchanged file still yields a new commit, so callers always see a change.
    again = demo.commit_file(repo, "deep/new/file.txt", "hello", "No-op")
    assert again != gone
    assert git(repo, "status", "--porcelain") == ""


def test_commit_file_in_bare_repo(synthetic: list[Path], tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(synthetic[1]), str(bare)],
        check=True,
        capture_output=True,
    )
    before = git(bare, "rev-parse", "main").strip()
    sha = demo.commit_file(bare, "catalog-info.yaml", "kind: Changed\n", "Change it")
    assert sha != before
    assert git(bare, "rev-parse", "main").strip() == sha
    assert git(bare, "show", "main:catalog-info.yaml") == "kind: Changed\n"
    added = demo.commit_file(bare, "services/a/catalog-info.yaml", "x: 1\n", "Add")
    assert git(bare, "show", f"{added}:services/a/catalog-info.yaml") == "x: 1\n"
    removed = demo.commit_file(bare, "catalog-info.yaml", None, "Remove")
    assert git(bare, "ls-tree", "-r", "--name-only", removed).split() == [
        "services/a/catalog-info.yaml"
    ]
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", f"file://{bare}", str(clone)],
        check=True,
        capture_output=True,
    )
    assert (clone / "services" / "a" / "catalog-info.yaml").read_text() == "x: 1\n"
    assert git(bare, "fsck", "--no-progress") == ""


@pytest.mark.parametrize("relpath", ["../escape.txt", "/etc/passwd", ".git/config", ""])
def test_commit_file_rejects_paths_outside_the_repo(
    synthetic: list[Path], relpath: str
) -> None:
    with pytest.raises(ValueError, match="inside the repository"):
        demo.commit_file(synthetic[2], relpath, "x", "nope")
