"""Placeholders cannot amplify: each file read once per crawl, one byte budget per
location, over it a processing error on that document and the others ingested."""

from __future__ import annotations

import time
from collections import Counter

import git
import pytest

from catalog.descriptor import Limits
from catalog.ingest.git import CommitTree
from catalog.ingest.reader import ReadResult, read_location
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import CrawlRun, ProcessingError
from tests.support.catalog import authored

MiB = 1024 * 1024
DEFAULT_BUDGET = Limits().max_substituted_bytes


def component(name: str, extra: str = "[]") -> str:
    return f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: {name}}}
spec:
  type: service
  lifecycle: production
  owner: team-a
  extra: {extra}
"""


def placeholders(key: str, target: str, count: int) -> str:
    return "[" + ", ".join([f"{{{key}: {target}}}"] * count) + "]"


ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec:
  targets: [./a.yaml, ./b.yaml]
"""


class CountingTree(CommitTree):
    """The real commit reader, counting what it is asked for."""

    def __init__(self, repo, commit: str, max_bytes: int) -> None:
        super().__init__(repo, commit, max_bytes)
        self.reads: Counter[str] = Counter()

    def read(self, path: str) -> bytes:
        self.reads[path] += 1
        return super().read(path)


def tree_of(repo) -> CountingTree:
    return CountingTree(git.Repo(repo.path), repo.head(), MiB)


def read(tree: CommitTree, limits: Limits | None = None) -> ReadResult:
    return read_location(
        tree,
        "catalog-info.yaml",
        limits=limits or Limits(),
        max_files=100,
        max_entities=1000,
    )


def names(result: ReadResult) -> set[str]:
    return {entity.name for entity in result.entities if entity.kind == "Component"}


def errors(result: ReadResult) -> list[str]:
    return [p.message for p in result.problems if p.level == "error"]


def test_each_placeholder_file_is_read_once_per_crawl(repos):
    uses = (
        placeholders("$text", "./spec.yaml", 3)[:-1]
        + ", {$yaml: ./spec.yaml}, {$json: ./spec.json}, {$json: ./spec.json}]"
    )
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": ROOT,
            "a.yaml": component("one", uses) + "---\n" + component("two", uses),
            "b.yaml": component("three", uses),
            "spec.yaml": "openapi: 3.0.0\n",
            "spec.json": '{"openapi": "3.0.0"}',
        },
    )
    tree = tree_of(repo)
    result = read(tree)
    assert names(result) == {"one", "two", "three"}
    assert tree.reads["spec.yaml"] == 1
    assert tree.reads["spec.json"] == 1
    extra = next(e for e in result.entities if e.name == "two").entity["spec"]["extra"]
    assert extra == [
        "openapi: 3.0.0\n",
        "openapi: 3.0.0\n",
        "openapi: 3.0.0\n",
        {"openapi": "3.0.0"},
        {"openapi": "3.0.0"},
        {"openapi": "3.0.0"},
    ]
    assert {"spec.yaml", "spec.json"} <= result.input_paths


def test_amplified_text_placeholders_are_refused_over_the_budget(repos):
    # 70 lines pointing at a 1 MiB file: 70 MiB, over the 64 MiB default.
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": "---\n".join(
                [
                    component("before"),
                    component("amplified", placeholders("$text", "./big.txt", 70)),
                    component("after", "[{$text: ./big.txt}]"),
                ]
            ),
            "big.txt": "x" * MiB,
        },
    )
    result = read(tree_of(repo))
    assert names(result) == {"before", "after"}
    (error,) = errors(result)
    assert "document 2 (component:default/amplified)" in error
    assert f"the {DEFAULT_BUDGET} bytes allowed for one location" in error
    assert "GREENROOM_MAX_SUBSTITUTED_BYTES" in error
    # The refused entity keeps its last good version rather than vanishing.
    assert "component:default/amplified" in result.kept_refs


def test_a_megabyte_of_placeholders_costs_the_budget_not_gigabytes(repos):
    # The finding: ~45,000 23-byte lines at a 1 MiB file were 45 GB in memory.
    lines = "".join("    - {$text: ./big.txt}\n" for _ in range(40_000))
    descriptor = component("amplified", "\n" + lines)
    assert len(descriptor) > 900_000
    repo = repos.create(
        "repo", {"catalog-info.yaml": descriptor, "big.txt": "x" * (MiB - 1)}
    )
    tree = tree_of(repo)
    started = time.perf_counter()
    result = read(tree)
    assert time.perf_counter() - started < 30
    assert names(result) == set()
    assert "GREENROOM_MAX_SUBSTITUTED_BYTES" in errors(result)[0]
    assert tree.reads["big.txt"] == 1


def test_the_budget_is_shared_by_the_location_and_refunded_by_a_refused_document(
    repos,
):
    limits = Limits(max_substituted_bytes=1000)
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": ROOT,
            "a.yaml": "---\n".join(
                [
                    component("one", "[{$text: ./t400.txt}]"),  # 400 spent
                    component("two", placeholders("$text", "./t400.txt", 3)),  # 1600
                ]
            ),
            "b.yaml": "---\n".join(
                [
                    component("three", "[{$text: ./t400.txt}]"),  # 800: two gave back
                    component("four", "[{$text: ./t300.txt}]"),  # 1100
                    component("five"),  # nothing to substitute
                ]
            ),
            "t400.txt": "x" * 400,
            "t300.txt": "y" * 300,
        },
    )
    result = read(tree_of(repo), limits)
    assert names(result) == {"one", "three", "five"}
    refused = errors(result)
    assert len(refused) == 2
    assert "a.yaml, document 2 (component:default/two)" in refused[0]
    assert "b.yaml, document 2 (component:default/four)" in refused[1]
    assert "the 1000 bytes allowed for one location" in refused[1]
    assert "t300.txt adds 300 bytes to the 800 already substituted" in refused[1]
    assert {"component:default/two", "component:default/four"} <= result.kept_refs


def test_parsed_yaml_counts_its_size_as_json_not_its_file_size(repos):
    # 1.1 kB on disk, 50 kB once the aliases are expanded.
    expanding = "s: &s " + "x" * 1000 + "\nl: [" + ", ".join(["*s"] * 50) + "]\n"
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": "---\n".join(
                [
                    component("small", "[{$json: ./small.json}]"),
                    component("expanding", "[{$yaml: ./expanding.yaml}]"),
                ]
            ),
            "small.json": '{"a": "' + "y" * 4000 + '"}',
            "expanding.yaml": expanding,
        },
    )
    result = read(tree_of(repo), Limits(max_substituted_bytes=20_000))
    assert names(result) == {"small"}
    (error,) = errors(result)
    assert "component:default/expanding" in error
    assert "expanding.yaml alone is larger than that" in error


def test_a_yaml_alias_bomb_is_measured_without_being_expanded(repos):
    # 111,111 nodes (under the loader's 200,000), 100 kB of text: 10 GB as JSON.
    levels = ["s: &l0 " + "x" * 100_000]
    for level in range(1, 6):
        levels.append(
            f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]"
        )
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": component("bomb", "{$yaml: ./bomb.yaml}"),
            "bomb.yaml": "\n".join(levels) + "\n",
        },
    )
    started = time.perf_counter()
    result = read(tree_of(repo))
    assert time.perf_counter() - started < 10
    assert names(result) == set()
    assert "GREENROOM_MAX_SUBSTITUTED_BYTES" in errors(result)[0]


@pytest.mark.parametrize("depth", [60, 100_000])
def test_deeply_nested_json_is_a_warning_not_a_crash(repos, depth):
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": component("deep", "{$json: ./deep.json}"),
            "deep.json": "[" * depth + "]" * depth,
        },
    )
    result = read(tree_of(repo))
    (entity,) = result.entities
    assert entity.entity["spec"]["extra"] == {}
    (warning,) = [p.message for p in result.problems if p.level == "warning"]
    assert "nested deeper than 50 levels" in warning


def test_placeholders_inside_substituted_files_are_data_so_nothing_recurses(repos):
    # As Backstage: a substituted value is not searched for placeholders again,
    # so a file that names itself, or two that name each other, resolve once.
    descriptor = component(
        "self", "{mine: {$yaml: ./catalog-info.yaml}, other: {$yaml: ./other.yaml}}"
    )
    other = "back: {$yaml: ./catalog-info.yaml}\ntext: {$text: ./t.txt}\n"
    repo = repos.create(
        "repo", {"catalog-info.yaml": descriptor, "other.yaml": other, "t.txt": "hi"}
    )
    result = read(tree_of(repo))
    (entity,) = result.entities
    extra = entity.entity["spec"]["extra"]
    assert extra["mine"] == entity.descriptor  # itself, as written
    assert extra["mine"]["spec"]["extra"]["mine"] == {"$yaml": "./catalog-info.yaml"}
    assert extra["other"] == {
        "back": {"$yaml": "./catalog-info.yaml"},
        "text": {"$text": "./t.txt"},
    }
    assert errors(result) == []


@pytest.mark.django_db
def test_a_crawl_over_the_budget_records_the_error_and_ingests_the_rest(repos):
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": "---\n".join(
                [
                    component("good"),
                    component("amplified", placeholders("$text", "./big.txt", 70)),
                    component("also-good", "[{$text: ./big.txt}]"),
                ]
            ),
            "big.txt": "x" * MiB,
        },
    )
    location, _ = register_location(repo.url)
    run = crawl_location(location)
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert set(authored().values_list("name", flat=True)) == {"good", "also-good"}
    error = ProcessingError.objects.get(location=location, level="error")
    assert "component:default/amplified" in error.message
    assert "GREENROOM_MAX_SUBSTITUTED_BYTES" in error.message


@pytest.mark.django_db
def test_the_budget_setting_reaches_the_crawl(repos, settings):
    settings.GREENROOM_MAX_SUBSTITUTED_BYTES = 3000
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": "---\n".join(
                [
                    component("first", placeholders("$text", "./kb.txt", 2)),
                    component("second", placeholders("$text", "./kb.txt", 2)),
                ]
            ),
            "kb.txt": "x" * 1024,
        },
    )
    location, _ = register_location(repo.url)
    crawl_location(location)
    assert set(authored().values_list("name", flat=True)) == {"first"}
    error = ProcessingError.objects.get(location=location, level="error")
    assert "component:default/second" in error.message
