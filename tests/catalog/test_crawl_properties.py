"""Property-based crawl suite: generated repositories mixing valid documents with
mutated ones (odd and overlong strings, control characters, NUL, deep or wide
structures, wrong types, placeholders, many documents).

Whatever is generated, a crawl never fails the location, never leaves a run
unfinished, never prints a traceback, and keeps every valid document. Most
examples go through the pure read/validate path (fast); fewer through a real git
repository, the crawl command and PostgreSQL.

Seeds are fixed (derandomized) and examples bounded for `make test`;
HYPOTHESIS_PROFILE=long runs many more, benchmark style.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from catalog.descriptor import Limits, parse_file
from catalog.descriptor.rules import UNSTORABLE
from catalog.descriptor.validation import EntityLimits
from catalog.ingest.reader import read_location
from catalog.models import CrawlRun, Entity, Location, ProcessingError
from catalog.storable import storable_text

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"


def examples(ci: int, long: int) -> int:
    return long if LONG else ci


# Small entity limits, so that wide and long values cross them without making
# every example megabytes large (the defaults are tested in test_hostile_repos).
ENTITY_LIMITS = EntityLimits(
    max_document_bytes=20_000,
    max_entity_bytes=60_000,
    max_tags=20,
    max_links=20,
    max_labels=20,
    max_annotations=30,
    max_relation_targets=200,
)
LIMITS = Limits(entity=ENTITY_LIMITS)

# Files a placeholder may name: hostile content of every kind, and some that are
# not there or not allowed.
PLACEHOLDER_FILES: dict[str, bytes] = {
    "ok.txt": b"plain text\n",
    "nul.txt": b"before\x00after\n",
    "surrogate.json": b'{"a": "\\ud800", "\\u0000": 1}',
    "notutf8.txt": b"\xff\xfe\xfd",
    "big.txt": b"x" * 70_000,
    "deep.json": b"[" * 80 + b"]" * 80,
    "bomb.yaml": b"a: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(
        b"%c: &%c [%s]\n" % (98 + i, 98 + i, b", ".join([b"*%c" % (97 + i)] * 9))
        for i in range(8)
    ),
    "list.yaml": b"- 1\n- two\n",
}
PLACEHOLDER_TARGETS = [
    *PLACEHOLDER_FILES,
    "missing.txt",
    "../../../etc/passwd",
    "/etc/passwd",
    "https://example.com/x",
    "",
]

# Characters of every category but lone surrogates, which no UTF-8 file can hold
# (they arrive through $json placeholders instead, see surrogate.json).
odd_chars = st.characters(exclude_categories=["Cs"])
odd_text = st.text(odd_chars, max_size=40)
nul_text = st.builds(lambda a, b: a + "\0" + b, odd_text, odd_text)
long_text = st.builds(
    lambda c, n: c * n, st.sampled_from("xé\0\x01 -"), st.integers(60, 3000)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
    nul_text,
)


def deep(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


placeholders = st.builds(
    lambda key, target: {key: target},
    st.sampled_from(["$text", "$json", "$yaml", "$openapi"]),
    st.sampled_from(PLACEHOLDER_TARGETS),
)
hostile = st.one_of(
    scalars,
    long_text,
    placeholders,
    st.lists(scalars, max_size=5),
    st.dictionaries(odd_text, scalars, max_size=5),
    st.builds(deep, st.integers(1, 70)),
    st.builds(lambda n, s: [s] * n, st.integers(20, 1500), st.sampled_from(["a", 1])),
    st.builds(
        lambda n: {f"k{i}": "v" for i in range(n)}, st.integers(20, 1000)
    ),  # wide maps
)
FIELDS = [
    ("apiVersion",),
    ("kind",),
    ("metadata",),
    ("spec",),
    ("extra",),
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("metadata", "title"),
    ("metadata", "description"),
    ("metadata", "tags"),
    ("metadata", "links"),
    ("metadata", "labels"),
    ("metadata", "annotations"),
    ("spec", "type"),
    ("spec", "owner"),
    ("spec", "lifecycle"),
    ("spec", "system"),
    ("spec", "dependsOn"),
    ("spec", "providesApis"),
]


def component(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": name,
            "description": "A service",
            "tags": ["python"],
            "links": [{"url": "https://example.com"}],
        },
        "spec": {
            "type": "service",
            "lifecycle": "production",
            "owner": "team-a",
            "dependsOn": ["resource:db"],
        },
    }


def mutate(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = doc
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    if value == "<delete>":
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return doc


@st.composite
def mutated_documents(draw: st.DrawFn, index: int) -> dict[str, Any]:
    doc = component(f"mut-{index}")
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(FIELDS))
        value = draw(st.one_of(hostile, st.just("<delete>")))
        mutate(doc, path, value)
    return doc


# JSON is YAML except for two spellings: characters YAML does not allow raw in a
# file, and astral characters written as a pair of surrogate escapes (YAML's
# `\u` takes one code point; libyaml refuses each half).
NOT_RAW = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff"
    "\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def yaml_line(doc: Any) -> str:
    """A document as one line of YAML (so it can never end the stream for the next)."""
    text = json.dumps(doc, ensure_ascii=False)
    return NOT_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass
class Generated:
    valid: list[str]  # names of the valid documents
    text: str  # the descriptor file
    raw: bytes = b""  # a second file of arbitrary bytes
    documents: int = 0
    notes: list[str] = field(default_factory=list)


@st.composite
def descriptor_files(draw: st.DrawFn, max_documents: int = 40) -> Generated:
    """One file of JSON-written documents (each on one line, so one document can
    never end the YAML stream for the next): valid ones named valid-N, mutated
    ones around them."""
    count = draw(st.integers(1, max_documents))
    docs: list[str] = []
    valid: list[str] = []
    for index in range(count):
        if draw(st.booleans()):
            valid.append(f"valid-{index}")
            docs.append(yaml_line(component(f"valid-{index}")))
        else:
            mutated = draw(mutated_documents(index))
            docs.append(yaml_line(mutated))
    if draw(st.booleans()):
        docs.insert(draw(st.integers(0, len(docs))), "")  # an empty document
    raw = draw(
        st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode))
    )
    return Generated(valid, "\n---\n".join(docs) + "\n", raw, count)


def reader(files: dict[str, bytes]) -> Any:
    def read(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return read


class DictTree:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files_ = files

    def read(self, path: str) -> bytes:
        return reader(self.files_)(path)

    def files(self) -> list[tuple[str, int]]:
        return [(path, 0o100644) for path in sorted(self.files_)]


def assert_storable(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert not UNSTORABLE.search(text), text[:200]


@settings(
    max_examples=examples(150, 3000),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(descriptor_files())
def test_read_and_validate_keep_every_valid_document(generated: Generated) -> None:
    files = {"catalog-info.yaml": generated.text.encode(), **PLACEHOLDER_FILES}
    result = parse_file(
        files["catalog-info.yaml"],
        "catalog-info.yaml",
        limits=LIMITS,
        read=reader(files),
    )
    refs = {entity.ref for entity in result.entities}
    assert {f"component:default/{name}" for name in generated.valid} <= refs
    for entity in result.entities:
        assert_storable(entity.entity)
        assert_storable(entity.descriptor)
        assert len(entity.ref) <= 400
        assert all(len(r.target) <= 400 for r in entity.relations)
        tags = entity.entity["metadata"].get("tags") or []
        assert len(tags) <= ENTITY_LIMITS.max_tags
    for problem in result.problems:
        assert storable_text(problem.message, 4000)


@settings(
    max_examples=examples(150, 3000),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode)))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    tree = DictTree({"catalog-info.yaml": data, **PLACEHOLDER_FILES})
    read = read_location(
        tree, "catalog-info.yaml", limits=LIMITS, max_files=20, max_entities=100
    )
    for entity in read.entities:
        assert_storable(entity.entity)


# -- Through git, the crawl command and PostgreSQL ---------------------------------

ROOT = json.dumps(
    {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "root"},
        "spec": {"targets": ["./generated.yaml", "./raw.yaml"]},
    }
)


@pytest.fixture
def crawl_repo(repos, settings):
    """One repository, committed to again for every example (a fresh repository
    per example would spend most of the time in `git init`)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True  # as conftest runs tasks: no waiting
    settings.GREENROOM_MAX_DOCUMENT_BYTES = ENTITY_LIMITS.max_document_bytes
    settings.GREENROOM_MAX_ENTITY_BYTES = ENTITY_LIMITS.max_entity_bytes
    settings.GREENROOM_MAX_ENTITY_TAGS = ENTITY_LIMITS.max_tags
    settings.GREENROOM_MAX_ENTITY_LINKS = ENTITY_LIMITS.max_links
    settings.GREENROOM_MAX_ENTITY_LABELS = ENTITY_LIMITS.max_labels
    settings.GREENROOM_MAX_ENTITY_ANNOTATIONS = ENTITY_LIMITS.max_annotations
    settings.GREENROOM_MAX_RELATION_TARGETS = ENTITY_LIMITS.max_relation_targets
    repo = repos.create("fuzz", {"catalog-info.yaml": ROOT, **PLACEHOLDER_FILES})
    location = Location.objects.create(url=repo.url, allow_org_kinds=True)
    return repo, location


def crawl_command(location: Location) -> str:
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "crawl", str(location.pk), "--force", "--timeout=60", stdout=out, stderr=err
        )
    except Exception as exc:  # CommandError when the crawl failed: a finding
        pytest.fail(f"crawl command raised {exc!r}: {out.getvalue()}")
    return out.getvalue() + err.getvalue()


@pytest.mark.django_db
@settings(
    max_examples=examples(25, 500),
    derandomize=True,
    deadline=None,
    # Shrinking through git and the database takes many minutes; a failure is
    # reported as generated (the pure tests above shrink theirs).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(generated=descriptor_files(max_documents=30))
def test_crawl_never_fails_and_keeps_every_valid_document(
    crawl_repo, generated: Generated
) -> None:
    repo, location = crawl_repo
    repo.commit({"generated.yaml": generated.text, "raw.yaml": generated.raw})
    output = crawl_command(location)
    assert "Traceback" not in output
    location.refresh_from_db()
    run = CrawlRun.objects.filter(location=location).first()
    assert run is not None
    assert run.status == CrawlRun.Status.SUCCEEDED, run.error
    assert location.status in (Location.Status.OK, Location.Status.WARNING)
    assert not CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).exists()
    stored = set(Entity.objects.values_list("ref", flat=True))
    missing = {f"component:default/{name}" for name in generated.valid} - stored
    errors = ProcessingError.objects.filter(location=location)
    assert not missing, [e.message[:300] for e in errors]
