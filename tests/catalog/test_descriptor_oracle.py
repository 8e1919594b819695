"""Our descriptor validator judged against Backstage's own, used as an oracle.

Every document of a corpus (systematic variations of each envelope, metadata and spec
rule, plus every document of the shared fixtures) goes once through
``tests/oracle/validate.mjs`` (``@backstage/catalog-model`` and the scaffolder's
Template validator, in the order a stock catalog applies them) and through our
``parse_file``; the two must agree on valid/invalid.

Two kinds of case are compared separately from the validators' verdict:

* spec references that do not parse (``dependsOn: [foo]`` has no kind): Backstage's
  validators accept them and its catalog backend fails them later, while emitting
  relations; we reject them at validation. The oracle reports them as ``refErrors``
  (catalog-model's ``parseEntityRef``), and we must reject exactly those.
* YAML that does not parse cannot be handed to the oracle (it takes JSON); for such a
  fixture file we must report a problem and no entity.

The node packages are installed by ``npm ci --prefix tests/oracle``.
"""

from __future__ import annotations

import copy
import datetime
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from catalog.descriptor import parse_file
from catalog.descriptor.template_schema import SCHEMAS, load_schema
from tests.support.fixtures import FIXTURES
from tests.support.oracle import (
    BASELINES,
    LIST,
    NPM_CI,
    OBJECT,
    ORACLE,
    PARAMETERS,
    PRESENCE,
    PROFILE,
    SPEC_FIELDS,
    STEPS,
    STR,
    V1,
    V1BETA3,
    Case,
    Judged,
    Verdict,
    differs,
    report_disagreements,
)

CATALOG_FIXTURES = FIXTURES / "catalog"


@pytest.fixture(autouse=True)
def greenroom_settings() -> None:
    """Shadow tests/conftest.py's autouse fixture: no Django settings are touched."""


# ---------------------------------------------------------------------------
# The corpus


DELETE = object()  # a variant value that removes the key


# Wrong or edge values for each shape (valid ones are in SPEC_FIELDS).
SHAPE_VALUES: dict[str, list[Any]] = {
    STR: [
        5,
        1.5,
        True,
        None,
        "",
        " ",
        "\n",
        ["x"],
        {"a": "b"},
        "Some Value/with:odd chars",
    ],
    LIST: [[], "x", "", [""], [5], ["x", 5], [["x"]], None, 5, {"a": "b"}],
    PROFILE: [
        {},
        {"displayName": ""},
        {"displayName": 5},
        {"email": "not an email"},
        {"email": 5},
        {"picture": "https://example.com/p.png"},
        {"picture": ""},
        {"extra": "key"},
        "x",
        [],
        None,
    ],
    PRESENCE: ["required", "optional", "maybe", "Required", "", 5, None],
    STEPS: [
        [],
        [{}],
        [{"action": ""}],
        [{"action": 5}],
        [{"id": "a", "action": "x", "input": {"a": 1}, "if": "${{ true }}"}],
        [{"action": "x", "unknown": 1}],
        ["debug:log"],
        {"action": "x"},
        "x",
        None,
    ],
    PARAMETERS: [{}, [], [{}], [5], "x", 5, None, {"properties": {"a": {}}}],
    OBJECT: [{}, {"text": [{"title": "t", "content": "c"}]}, "x", [], 5, None],
}

NAMES = [
    "a",
    "A_b.c-9",
    "-a",
    "a-",
    "my service",
    "x" * 63,
    "x" * 64,
    "a--b",
    "a_b",
    "a.b",
    "a__b",
    "a..b",
    "_a",
    "a_",
    ".a",
    "a.",
    "0",
    "9lives",
    "a/b",
    "a:b",
    "a\tb",
    "café",
    "名前",
    # Python's `$` matches before a final newline; Backstage's JavaScript `$` does not.
    "a\n",
    "svc\n",
    "a\n\n",
    "\na",
    "",
    " a",
    5,
    1.5,
    True,
    None,
    ["a"],
    {"a": "b"},
]
NAMESPACES = [
    "default",
    "prod",
    "Prod",
    "my_ns",
    "a--b",
    "a-b",
    "a.b",
    "-a",
    "a-",
    "0",
    "x" * 63,
    "x" * 64,
    "",
    "café",
    "prod\n",
    5,
    None,
]
TAGS = [
    "java",
    "Java",
    "c++",
    "c#",
    "node:18",
    "a--b",
    "a_b",
    "a-b",
    "a.b",
    "-a",
    "a-",
    "x" * 63,
    "x" * 64,
    "",
    "with space",
    "java\n",
    "é",
    5,
    None,
]
KEYS = [
    "a",
    "A_b.c-9",
    "example.com/foo",
    "backstage.io/techdocs-ref",
    "a.b.c/d",
    "x" * 63,
    "x" * 64,
    "-a",
    "a_b",
    "Example.com/foo",
    "a/b/c",
    "/foo",
    "example.com/",
    "ex_ample.com/foo",
    "-example.com/foo",
    "example..com/foo",
    ("a" * 64) + ".com/foo",
    "example.com/" + "x" * 64,
    "my key",
    "a\n",
    "example.com/a\n",
    "example.com\n/a",
    "example.com/a\nb",
    "",
]
LABEL_VALUES = [
    "",
    "a",
    "A_b.c-9",
    "a b",
    "-a",
    "a\n",
    "x" * 63,
    "x" * 64,
    5,
    True,
    None,
]
ANNOTATION_VALUES = [
    "",
    "any text: with spaces, / and ${{ braces }}",
    "line\nbreak",
    5,
    1.5,
    True,
    None,
    ["a"],
    {"a": "b"},
]
LINKS: list[Any] = [
    [],
    [{"url": "https://example.com"}],
    [{"url": "https://example.com", "title": "Docs", "icon": "docs", "type": "doc"}],
    [{}],
    [{"title": "no url"}],
    [{"url": ""}],
    [{"url": "not a url"}],
    [{"url": "example.com"}],
    [{"url": "//example.com/x"}],
    [{"url": "mailto:team@example.com"}],
    [{"url": "ftp://example.com/x"}],
    [{"url": "x:y"}],
    [{"url": "http://"}],
    [{"url": "https://exa mple.com"}],
    [{"url": " https://example.com"}],
    [{"url": "https://example.com/a b"}],
    [{"url": "https://例え.jp/"}],
    [{"url": "https://"}],
    [{"url": "https://example.com\t"}],
    [{"url": "https://example.com/a path"}],
    [{"url": "https://example.com:99999/"}],
    [{"url": "https://example.com:port/"}],
    [{"url": "https://exa<mple.com/"}],
    [{"url": "https://[::1]/"}],
    [{"url": "https://[::1/"}],
    [{"url": "file:///etc/hosts"}],
    [{"url": "javascript:alert(1)"}],
    [{"url": "urn:isbn:0451450523"}],
    [{"url": "1http://example.com"}],
    [{"url": 5}],
    [{"url": "https://example.com", "title": ""}],
    [{"url": "https://example.com", "title": 5}],
    [{"url": "https://example.com", "icon": ""}],
    [{"url": "https://example.com", "type": ""}],
    [{"url": "https://example.com", "extra": "key"}],
    # title and icon must not be blank once trimmed (JavaScript's trim, not
    # Python's strip: U+3000 and U+FEFF are blank, U+001C is not); type may be.
    *(
        [{"url": "https://example.com", key: blank}]
        for key in ("title", "icon", "type")
        for blank in (" ", "   ", "\t", "\n", " \u2028 ", "\u3000", "\ufeff")
    ),
    # Hosts as WHATWG parses them: percent-decoded, mapped as UTS46 maps (U+3000
    # becomes a space, U+FF0F a slash), then checked for forbidden code points.
    *(
        [{"url": f"https://{host}/x"}]
        for host in (
            "exam\u2003ple.com",
            "exam\u3000ple.com",
            "exa\uff0fmple.com",
            "a\u2100b.com",
            "exa\x01mple.com",
            "exa\x7fmple.com",
            "exa\ufffdmple.com",
            "ex%41mple.com",
            "exa%20mple.com",
            "ex%zzample.com",
            "ex%ffample.com",
            "exa\u00admple.com",
            "ex_ample.com",
        )
    ),
    [{"url": "https://example.com", "title": "\x1c"}],
    [{"url": "https://example.com", "icon": "\u200b"}],
    [{"url": "https://example.com", "title": " Docs "}],
    [{"url": "https://example.com", "extra": {"nested": [1]}}],
    ["https://example.com"],
    {"url": "https://example.com"},
    "https://example.com",
    None,
]
# Template spec values beyond the per-shape ones: the scaffolder's JSON schema
# (Template.v1beta3) types every documented key, down to nested items.
TEMPLATE_SPECS: list[tuple[str, Any]] = [
    ("steps", [{"action": "a", "id": 5}]),
    ("steps", [{"action": "a", "name": None}]),
    ("steps", [{"action": "a", "if": 1}]),
    ("steps", [{"action": "a", "if": False}]),
    ("steps", [{"action": "a", "input": []}]),
    ("steps", [{"action": "a", "backstage:permissions": {"tags": [1]}}]),
    ("steps", [{"action": "a", "backstage:permissions": {"tags": ["t"]}}]),
    ("parameters", {"backstage:permissions": {"tags": [1]}}),
    ("parameters", [{"when": 5}]),
    ("parameters", [{"when": True, "properties": {}}]),
    ("parameters", [{"backstage:permissions": 5}]),
    ("parameters", [[]]),
    ("output", {"links": [{}]}),
    ("output", {"links": [{"url": ""}]}),
    ("output", {"links": [{"title": "", "url": "https://example.com"}]}),
    ("output", {"links": [{"if": 3}]}),
    ("output", {"links": "x"}),
    ("output", {"text": [{"content": 5}]}),
    ("output", {"text": [{"title": "t", "icon": "i", "content": "**c**"}]}),
    ("output", {"anything": 5}),
    ("output", {"anything": "x"}),
    ("secrets", {}),
    ("secrets", {"schema": 5}),
    ("secrets", 5),
    ("presentation", {"buttonLabels": {"backButtonText": 5}}),
    ("presentation", {"buttonLabels": {"createButtonText": "Go"}}),
    ("presentation", 5),
    ("formDecorators", [{"id": 5}]),
    ("formDecorators", [5]),
    ("formDecorators", {}),
    ("EXPERIMENTAL_formDecorators", [{"input": 5}]),
    ("EXPERIMENTAL_recovery", {"EXPERIMENTAL_strategy": 5}),
    ("EXPERIMENTAL_recovery", 5),
]
API_VERSIONS = [
    V1,
    "backstage.io/v1beta1",
    "backstage.io/v1beta2",
    "backstage.io/v1",
    V1BETA3,
    "v1",
    "my-company.net/v1",
    "1.0",
    "Backstage.io/v1",
    "a/b/c",
    "backstage.io/v1-beta",
    "backstage.io/v1alpha1\n",
    "v1\n",
    "backstage.io\n/v1alpha1",
    "backstage.io/",
    "/v1alpha1",
    "",
    5,
    None,
]
KINDS_WRITTEN = [
    "component",
    "COMPONENT",
    "Component2",
    "Com-ponent",
    "Component\n",
    "Service",
    "",
    5,
    None,
]
# Spec references: the field, the value, and the kind whose baseline gets it.
REFS: list[tuple[str, str, Any]] = [
    ("Component", "owner", "user:jdoe"),
    ("Component", "owner", "group:default/team-a"),
    ("Component", "owner", "default/team-a"),
    ("Component", "owner", "Group:Default/Team-A"),
    ("Component", "owner", "a/b/c"),
    ("Component", "owner", ":team-a"),
    ("Component", "owner", "group:"),
    ("Component", "owner", "group:/team-a"),
    ("Component", "owner", "default/"),
    ("Component", "owner", "/team-a"),
    ("Component", "owner", "team@example.com"),
    ("Component", "system", "component:default/a:b"),
    ("Component", "dependsOn", ["db"]),
    ("Component", "dependsOn", ["resource:db", "db"]),
    ("Component", "dependsOn", ["resource:ns/db"]),
    ("Component", "dependsOn", ["/db"]),
    ("Component", "dependencyOf", ["frontend"]),
    ("Component", "dependencyOf", "component:frontend"),
    ("Component", "dependencyOf", "frontend"),
    ("Resource", "dependencyOf", "component:svc"),
    ("Component", "owner", " team-a "),
    ("Component", "owner", "  :team-a"),
    ("Component", "dependencyOf", [{"kind": "Component", "name": "frontend"}]),
    ("Component", "dependencyOf", [{"name": "frontend"}]),
    ("Component", "dependencyOf", 5),
    ("Component", "providesApis", [" svc-api"]),
    ("Component", "providesApis", ["api:"]),
    ("Component", "consumesApis", ["ns/api"]),
    ("Resource", "dependsOn", ["other-db"]),
    ("Resource", "dependencyOf", ["component:"]),
    ("Group", "children", ["ns/"]),
    ("Group", "members", ["user:ns/jdoe"]),
    ("User", "memberOf", [":team-a"]),
    ("Template", "owner", "group:"),
    ("Template", "owner", "user:jdoe"),
]


def _variant(kind: str, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """The kind's baseline with one value set (or removed) at a path."""
    document = copy.deepcopy(BASELINES[kind])
    node = document
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)
    return document


def _label(value: Any) -> str:
    """A short, unique-enough rendering of a value for a case id."""
    if value is DELETE:
        return "(missing)"
    text = (
        repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    )
    return text if len(text) <= 100 else f"{text[:40]}...({len(text)} chars)"


def synthetic_cases() -> Iterator[Case]:
    for kind, baseline in BASELINES.items():
        yield Case(f"baseline {kind}", copy.deepcopy(baseline))

    # Envelope: root keys, apiVersion and kind.
    for key, value in [
        ("apiVersion", DELETE),
        ("kind", DELETE),
        ("metadata", DELETE),
        ("metadata", None),
        ("metadata", "svc"),
        ("metadata", []),
        ("metadata", {}),
        ("spec", "x"),
        ("spec", []),
        ("spec", 5),
        ("foo", "bar"),
        ("Spec", {}),
        ("relations", []),
        ("relations", [{"type": "ownedBy", "targetRef": "group:default/team-a"}]),
        ("status", {}),
        ("status", {"items": []}),
    ]:
        yield Case(f"root {key}={_label(value)}", _variant("Component", (key,), value))
    for kind in BASELINES:
        yield Case(f"root {kind} spec missing", _variant(kind, ("spec",), DELETE))
        yield Case(f"root {kind} spec null", _variant(kind, ("spec",), None))
        yield Case(f"root {kind} spec empty", _variant(kind, ("spec",), {}))
        yield Case(
            f"root {kind} spec extra key",
            _variant(kind, ("spec", "somethingElse"), {"any": ["thing"]}),
        )
        for api_version in (
            V1,
            "backstage.io/v1beta1",
            "backstage.io/v1beta2",
            V1BETA3,
        ):
            yield Case(
                f"apiVersion {kind} {api_version}",
                _variant(kind, ("apiVersion",), api_version),
            )
    for written in API_VERSIONS:
        yield Case(
            f"apiVersion {_label(written)}",
            _variant("Component", ("apiVersion",), written),
        )
    for kind_text in KINDS_WRITTEN:
        yield Case(
            f"kind {_label(kind_text)}", _variant("Component", ("kind",), kind_text)
        )

    # Metadata.
    yield Case("name missing", _variant("Component", ("metadata", "name"), DELETE))
    for name in NAMES:
        yield Case(
            f"name {_label(name)}", _variant("Component", ("metadata", "name"), name)
        )
    for namespace in NAMESPACES:
        yield Case(
            f"namespace {_label(namespace)}",
            _variant("Component", ("metadata", "namespace"), namespace),
        )
    for tag in TAGS:
        yield Case(
            f"tag {_label(tag)}", _variant("Component", ("metadata", "tags"), [tag])
        )
    for tags in ([], "java", {"a": "b"}, None, ["java", "java"]):
        yield Case(
            f"tags {_label(tags)}", _variant("Component", ("metadata", "tags"), tags)
        )
    for field, value in [
        ("labels", []),
        ("labels", "a=b"),
        ("labels", None),
        ("labels", {}),
        ("annotations", []),
        ("annotations", "a=b"),
        ("annotations", None),
        ("annotations", {}),
        # The catalog's collector: falsy annotations are none, other non-objects
        # an error, and the managed-by annotations are its own, whatever the file.
        ("annotations", ""),
        ("annotations", 0),
        ("annotations", False),
        ("annotations", True),
        ("annotations", 5),
        ("annotations", {"backstage.io/managed-by-location": 5}),
        ("annotations", {"backstage.io/managed-by-origin-location": None}),
        ("annotations", {"backstage.io/managed-by-location": ["url:x"]}),
    ]:
        yield Case(
            f"{field} {_label(value)}",
            _variant("Component", ("metadata", field), value),
        )
    for key in KEYS:
        yield Case(
            f"label key {_label(key)}",
            _variant("Component", ("metadata", "labels"), {key: "v"}),
        )
        yield Case(
            f"annotation key {_label(key)}",
            _variant("Component", ("metadata", "annotations"), {key: "v"}),
        )
    for value in LABEL_VALUES:
        yield Case(
            f"label value {_label(value)}",
            _variant("Component", ("metadata", "labels"), {"tier": value}),
        )
    for value in ANNOTATION_VALUES:
        yield Case(
            f"annotation value {_label(value)}",
            _variant(
                "Component", ("metadata", "annotations"), {"example.com/a": value}
            ),
        )
    for links in LINKS:
        yield Case(
            f"links {_label(links)}",
            _variant("Component", ("metadata", "links"), links),
        )
    for field, value in [
        ("title", "Title"),
        ("title", ""),
        ("title", " "),
        ("title", "\n"),
        ("title", 5),
        ("title", None),
        ("title", ["t"]),
        ("description", ""),
        ("description", "multi\nline"),
        ("description", 5),
        ("description", None),
        ("uid", "5f3a0c1e-0000-0000-0000-000000000000"),
        ("uid", ""),
        ("uid", 5),
        ("etag", "abc"),
        ("etag", ""),
        ("etag", 5),
        ("generation", 1),
        ("custom", {"nested": [1, "two", None]}),
    ]:
        yield Case(
            f"metadata {field}={_label(value)}",
            _variant("Component", ("metadata", field), value),
        )

    # Spec fields of every kind: missing, each wrong shape, the valid value.
    for kind, fields in SPEC_FIELDS.items():
        for field, (shape, _required, valid) in fields.items():
            path = ("spec", field)
            yield Case(f"spec {kind}.{field} missing", _variant(kind, path, DELETE))
            yield Case(f"spec {kind}.{field} valid", _variant(kind, path, valid))
            for value in SHAPE_VALUES[shape]:
                yield Case(
                    f"spec {kind}.{field}={_label(value)}", _variant(kind, path, value)
                )
    yield Case(
        "spec Location target and targets",
        _variant("Location", ("spec", "targets"), ["./b.yaml"]),
    )
    yield Case(
        "spec Location presence only",
        _variant("Location", ("spec",), {"presence": "optional"}),
    )
    yield Case(
        "Template backstage.io/v1beta2 legacy",
        {
            "apiVersion": "backstage.io/v1beta2",
            "kind": "Template",
            "metadata": {"name": "legacy"},
            "spec": {
                "owner": "team-a",
                "type": "service",
                "parameters": [{"title": "x", "properties": {}}],
                "steps": [{"id": "fetch", "name": "Fetch", "action": "fetch:template"}],
            },
        },
    )

    for field, value in TEMPLATE_SPECS:
        yield Case(
            f"spec Template.{field}={_label(value)} (schema)",
            _variant("Template", ("spec", field), value),
        )

    # Spec references (compared through the oracle's refErrors).
    for kind, field, value in REFS:
        yield Case(
            f"ref {kind}.{field}={_label(value)}",
            _variant(kind, ("spec", field), value),
        )

    # Documents that are not objects.
    for value in ([], [BASELINES["Component"]], "apiVersion: v1", 5, True, None):
        yield Case(f"root not an object {_label(value)}", value)


def _resolve_placeholders(node: Any) -> Any:
    """Assume `$text`-style placeholders resolved, as PROVENANCE.md's judgement did."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, target),) = node.items()
            if key in ("$text", "$openapi", "$asyncapi"):
                return f"(content of {target})"
            if key in ("$json", "$yaml"):
                return {}
        return {k: _resolve_placeholders(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_placeholders(item) for item in node]
    if isinstance(node, datetime.date):  # YAML 1.1 timestamps; Backstage keeps strings
        return node.isoformat()
    return node


@dataclass(frozen=True)
class Fixtures:
    cases: list[Case]
    unparseable: dict[str, str]  # relative path -> PyYAML's error


def fixture_cases() -> Fixtures | None:
    if not CATALOG_FIXTURES.is_dir():
        return None
    cases: list[Case] = []
    unparseable: dict[str, str] = {}
    for path in sorted(CATALOG_FIXTURES.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        relative = str(path.relative_to(CATALOG_FIXTURES))
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            unparseable[relative] = str(exc).splitlines()[0]
            continue
        for index, document in enumerate(documents):
            if document is None:  # an empty document (a trailing ---): no entity
                continue
            cases.append(
                Case(f"fixture {relative}#{index}", _resolve_placeholders(document))
            )
    return Fixtures(cases, unparseable)


# ---------------------------------------------------------------------------
# Both judges


def node_for_oracle() -> str:
    """Node.js, with the oracle's packages installed (else the test fails)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not on PATH: the Backstage oracle needs Node.js 20 or later"
        )
    if not (ORACLE / "node_modules" / "@backstage" / "catalog-model").is_dir():
        pytest.fail(
            f"{ORACLE / 'node_modules'} is missing: run `{NPM_CI}` from the "
            "repository root (make test does) before these tests"
        )
    return node


def run_oracle(documents: list[Any]) -> list[Verdict]:
    node = node_for_oracle()
    lines = "".join(json.dumps(document) + "\n" for document in documents)
    proc = subprocess.run(
        [node, str(ORACLE / "validate.mjs")],
        input=lines,
        capture_output=True,
        text=True,
        cwd=ORACLE,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"the oracle failed (exit {proc.returncode}):\n{proc.stderr}")
    # Split on "\n" only: splitlines() would also split inside a verdict whose
    # message quotes U+0085, U+2028 or another character Python calls a line break.
    results = [json.loads(line) for line in proc.stdout.split("\n") if line]
    assert len(results) == len(documents), proc.stderr
    return [Verdict(r["valid"], r["errors"], r["refErrors"]) for r in results]


def run_ours(document: Any) -> Verdict:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    result = parse_file(text.encode("utf-8"), "catalog-info.yaml")
    errors = [p.message for p in result.problems if p.level == "error"]
    return Verdict(len(result.entities) == 1, errors, [])


@pytest.fixture(scope="module")
def fixtures() -> Fixtures | None:
    return fixture_cases()


@pytest.fixture(scope="module")
def judged(fixtures: Fixtures | None) -> dict[str, Judged]:
    cases = list(synthetic_cases()) + (fixtures.cases if fixtures else [])
    ids = [case.id for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"corpus ids must be unique: {duplicates}"
    verdicts = run_oracle([case.document for case in cases])
    return {
        case.id: Judged(case, backstage, run_ours(case.document))
        for case, backstage in zip(cases, verdicts, strict=True)
    }


def _disagreements(judged: dict[str, Judged], *, fixture: bool) -> str:
    found = [
        item
        for item in judged.values()
        if item.case.id.startswith("fixture ") == fixture and differs(item)
    ]
    return report_disagreements(found) if found else ""


# ---------------------------------------------------------------------------
# Tests


def test_oracle_is_discriminating(judged: dict[str, Judged]) -> None:
    """Every baseline passes Backstage, and the corpus has both verdicts in bulk."""
    for kind in BASELINES:
        item = judged[f"baseline {kind}"]
        assert item.backstage.valid, (kind, item.backstage.errors)
        assert not item.backstage.ref_errors, (kind, item.backstage.ref_errors)
    synthetic = [j for j in judged.values() if not j.case.id.startswith("fixture ")]
    valid = sum(j.backstage.valid for j in synthetic)
    assert len(synthetic) >= 300
    assert 100 <= valid <= len(synthetic) - 100
    refs = [j for j in synthetic if j.backstage.valid and j.backstage.ref_errors]
    assert len(refs) >= 10


def test_verdicts_agree_with_backstage(judged: dict[str, Judged]) -> None:
    """The systematic corpus: the same valid/invalid verdict as Backstage's."""
    problems = _disagreements(judged, fixture=False)
    assert not problems, problems


def test_unparseable_refs_rejected_like_the_catalog(judged: dict[str, Judged]) -> None:
    """Refs Backstage's processor cannot parse: its validators pass, we must reject."""
    items = [j for j in judged.values() if j.backstage.valid and j.backstage.ref_errors]
    assert items, "the corpus should hold refs that do not parse"
    wrong = []
    for item in items:
        fields = {
            error.split(":", 1)[0].removeprefix("spec.")
            for error in item.backstage.ref_errors
        }
        named = all(any(f"spec.{f}" in e for e in item.ours.errors) for f in fields)
        if item.ours.valid or not named:
            wrong.append(item)
    assert not wrong, report_disagreements(wrong)


def test_fixture_verdicts_agree_with_backstage(
    judged: dict[str, Judged], fixtures: Fixtures | None
) -> None:
    """Every document of the shared fixtures, placeholders assumed resolved."""
    if fixtures is None:
        pytest.skip(f"shared fixtures not present at {CATALOG_FIXTURES}")
    assert len(fixtures.cases) >= 100
    problems = _disagreements(judged, fixture=True)
    assert not problems, problems


def test_unparseable_fixture_files_yield_no_entity(fixtures: Fixtures | None) -> None:
    """YAML the oracle cannot be given (not JSON-able): we report a problem instead."""
    if fixtures is None:
        pytest.skip(f"shared fixtures not present at {CATALOG_FIXTURES}")
    for relative, reason in fixtures.unparseable.items():
        result = parse_file((CATALOG_FIXTURES / relative).read_bytes(), relative)
        assert not result.entities, (relative, reason)
        assert any(p.level == "error" for p in result.problems), (relative, reason)


# The JSON schemas vendored in catalog/descriptor/schemas/, each from the module of
# the oracle's package that holds it: name -> (package, module in the package).
VENDORED_SCHEMAS = {
    "Template.v1beta3": (
        "@backstage/plugin-scaffolder-common",
        "dist/Template.v1beta3.schema.json.cjs.js",
    ),
    "Entity": ("@backstage/catalog-model", "dist/schema/Entity.schema.json.cjs.js"),
    "EntityMeta": (
        "@backstage/catalog-model",
        "dist/schema/EntityMeta.schema.json.cjs.js",
    ),
    "common": (
        "@backstage/catalog-model",
        "dist/schema/shared/common.schema.json.cjs.js",
    ),
}
PRINT_SCHEMAS = """
const paths = JSON.parse(process.argv[1]);
const out = {};
for (const [name, path] of Object.entries(paths)) out[name] = require(path).default;
process.stdout.write(JSON.stringify(out));
"""


def test_vendored_schemas_equal_the_oracle_packages() -> None:
    """The schemas Templates are checked by are the installed packages' own, and
    NOTICE names those packages' versions: upgrading the oracle shows drift here."""
    node = node_for_oracle()
    modules = ORACLE / "node_modules"
    paths = {
        name: str(modules / package / module)
        for name, (package, module) in VENDORED_SCHEMAS.items()
    }
    proc = subprocess.run(
        [node, "-e", PRINT_SCHEMAS, json.dumps(paths)],
        capture_output=True,
        text=True,
        cwd=ORACLE,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    installed = json.loads(proc.stdout)
    for name in VENDORED_SCHEMAS:
        assert load_schema(name) == installed[name], f"{name} differs; copy it again"
    notice = (SCHEMAS / "NOTICE").read_text()
    for package in {package for package, _ in VENDORED_SCHEMAS.values()}:
        version = json.loads((modules / package / "package.json").read_text())
        assert f"{package} {version['version']}" in notice, package
    assert sorted(
        path.stem.removesuffix(".schema") for path in SCHEMAS.glob("*.json")
    ) == sorted(VENDORED_SCHEMAS)
