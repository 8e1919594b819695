"""Generated entities of every kind, judged by Backstage's validators and by ours.

Each example is a batch of valid entities (the baselines of
``test_descriptor_oracle.py`` and fuller versions of them) with one to three
mutations each, at any path of the document: a string edited with an edge
character (newline, tab, carriage return, Unicode spaces, NUL, lone surrogates,
separators) or padded to 63/64/253/254 characters or far beyond, a value replaced
by another type, null or an empty collection, a key deleted, added or renamed, a
list item duplicated. Hypothesis draws the seed of each batch (derandomized, so
``make test`` always judges the same documents).

A batch goes to one long-lived ``tests/oracle/validate.mjs`` process (verdicts are
remembered per document) and through ``parse_file``; the two verdicts are compared
with the rules of ``test_descriptor_oracle.py``. A disagreement fails the test
unless it is a documented difference (``DOCUMENTED``: a predicate on the generated
document, and the reason). The failure lists only the disagreeing documents, each
reduced to its simplest form that still disagrees: one mutation, on the baseline
when it has the path (``simplest``). Hypothesis's own shrinking is off: a batch of
a hundred documents took it more than five minutes.

``bench/differential.py`` is the long profile: tens of thousands of documents, the
agreement in per cent, and the disagreements grouped by class.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from catalog.descriptor import parse_file
from tests.support.oracle import (
    BASELINES,
    NPM_CI,
    ORACLE,
    SPEC_FIELDS,
    Case,
    Judged,
    Verdict,
    differs,
    report_disagreements,
)

BATCH = 100  # mutated documents per example, judged together
PROFILE = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    # No shrinking: see disagreements().
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture(autouse=True)
def greenroom_settings() -> None:
    """Shadow tests/conftest.py's autouse fixture: no Django settings are touched."""


# ---------------------------------------------------------------------------
# Valid starting points: each kind as in BASELINES, and with every field filled.

FULL_METADATA: dict[str, Any] = {
    "namespace": "prod",
    "title": "A title",
    "description": "Some text.",
    "labels": {"tier": "backend", "example.com/team": "team-a"},
    "annotations": {
        "backstage.io/techdocs-ref": "dir:.",
        "example.com/note": "free text: any",
    },
    "tags": ["java", "web"],
    "links": [
        {"url": "https://example.com/docs", "title": "Docs", "icon": "doc", "type": "x"}
    ],
}


def _full(kind: str) -> dict[str, Any]:
    """The kind's baseline with every metadata field and every spec field set."""
    document = copy.deepcopy(BASELINES[kind])
    document["metadata"].update(copy.deepcopy(FULL_METADATA))
    valid = {field: value for field, (_, _, value) in SPEC_FIELDS[kind].items()}
    document["spec"].update(copy.deepcopy(valid))
    return document


KINDS = list(BASELINES)
FULL = {kind: _full(kind) for kind in KINDS}


# ---------------------------------------------------------------------------
# Mutations

Path = tuple[str | int, ...]
EDGE_INSERTS = (
    "\n",
    "\t",
    "\r",
    "\x0b",
    "\x0c",
    " ",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\u0085",
    "\u2028",
    "\u2029",
    "\u1680",
    "\ufeff",
    "\u200b",
    "\x1c",
    "\x00",
    "\ud800",
    "\udfff",
    "\x7f",
    "\x1b",
    "-",
    "--",
    "_",
    ".",
    "/",
    ":",
    "@",
    "é",
    "\U0001f600",
)
LENGTHS = (63, 64, 253, 254, 4096)
OTHER_VALUES: tuple[Any, ...] = (
    None,
    "",
    " ",
    0,
    5,
    -1,
    1.5,
    True,
    False,
    [],
    {},
    ["x"],
    [""],
    [None],
    {"a": "b"},
)
EXTRA_KEYS = (
    "extra",
    "",
    " ",
    "a\n",
    "\u00a0",
    "x" * 64,
    "example.com/extra",
    "Name",
    "spec",
    "relations",
    "status",
    "\x00",
)


def _dns(length: int) -> str:
    """A DNS subdomain of labels of 63 characters, `length` characters long."""
    labels, left = [], length
    while left > 64:
        labels.append("a" * 63)
        left -= 64
    return ".".join([*labels, "a" * left])


@dataclass(frozen=True)
class Edit:
    """A change to a string (a value or a key), named for the reports."""

    name: str
    apply: Callable[[str], str]


def _insert(text: str, inserted: str) -> str:
    middle = len(text) // 2
    return text[:middle] + inserted + text[middle:]


def _dns_prefixed(text: str, length: int) -> str:
    """`text` with its DNS prefix (before the first '/') replaced, or one added."""
    rest = text[text.index("/") :] if "/" in text else "/" + text
    return _dns(length) + rest


def _edits() -> dict[str, list[Edit]]:
    """Every edit, by family: a family is drawn first, then one of its edits."""
    families: dict[str, list[Edit]] = {
        "append": [],
        "prepend": [],
        "insert": [],
        "only": [],
        "pad": [],
        "DNS prefix": [],
        "other": [Edit("empty", lambda s: ""), Edit("upper-case", str.upper)],
    }
    for text in EDGE_INSERTS:
        shown = repr(text)
        families["append"].append(Edit(f"append {shown}", lambda s, t=text: s + t))
        families["prepend"].append(Edit(f"prepend {shown}", lambda s, t=text: t + s))
        families["insert"].append(
            Edit(f"insert {shown}", lambda s, t=text: _insert(s, t))
        )
        families["only"].append(Edit(f"only {shown}", lambda s, t=text: t))
    for length in LENGTHS:
        families["pad"].append(
            Edit(f"pad to {length}", lambda s, n=length: (s + "a" * n)[:n])
        )
        families["DNS prefix"].append(
            Edit(f"DNS prefix of {length}", lambda s, n=length: _dns_prefixed(s, n))
        )
    return families


EDITS = _edits()
# Relative weights of the operations that apply to a node: strings are mostly edited.
OP_WEIGHTS = {
    "replace": 3,
    "delete": 2,
    "edit": 12,
    "add-key": 2,
    "rename-key": 3,
    "append": 2,
    "duplicate": 3,
    "wrap": 1,
}


def _edit(rnd: random.Random) -> Edit:
    return rnd.choice(EDITS[rnd.choice(list(EDITS))])


@dataclass(frozen=True)
class Mutation:
    """One change at one path, replayable on any document that has the path."""

    op: str  # replace, delete, edit, add-key, rename-key, append, duplicate, wrap
    path: Path  # the node changed (add-key, append, duplicate: the object or list)
    detail: str  # what was done, for the reports
    value: Any = None  # what was put there (add-key: the pair; rename-key: the key)

    @property
    def field(self) -> str:
        """The path with list indices dropped: `spec.steps[].action`."""
        text = ""
        for part in self.path:
            text += "[]" if isinstance(part, int) else f".{part}" if text else part
        return text or "(root)"

    @property
    def label(self) -> str:
        return f"{self.op} {self.field}: {self.detail}"

    def apply(self, document: Any) -> Any:
        """A changed copy; KeyError, IndexError or TypeError when the path is not
        there (or not a list or an object, as the operation needs)."""
        document = copy.deepcopy(document)
        value = copy.deepcopy(self.value)
        node = _get(document, self.path)
        if self.op == "delete":
            del _get(document, self.path[:-1])[self.path[-1]]
        elif self.op == "add-key":
            key, item = value
            _require(node, dict)[key] = item
        elif self.op == "rename-key":
            old, parent = self.path[-1], _require(_get(document, self.path[:-1]), dict)
            renamed = {(value if k == old else k): v for k, v in parent.items()}
            document = _set(document, self.path[:-1], renamed)
        elif self.op in ("append", "duplicate"):
            _require(node, list).append(value)
        elif self.op == "wrap":
            document = _set(document, self.path, [node])
        else:  # replace, edit
            document = _set(document, self.path, value)
        return document


@dataclass(frozen=True)
class Sample:
    kind: str
    full: bool
    mutations: tuple[Mutation, ...]
    document: Any

    @property
    def label(self) -> str:
        start = f"{self.kind} ({'full' if self.full else 'baseline'})"
        return f"{start}: " + "; ".join(m.label for m in self.mutations)

    def __repr__(self) -> str:
        return f"<{self.kind}, {len(self.mutations)} mutation(s)>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis prints a failing batch: short (the documents that
        matter are in the assertion), not every field of every sample."""
        printer.text(repr(self))


def starting_point(kind: str, full: bool) -> dict[str, Any]:
    return copy.deepcopy((FULL if full else BASELINES)[kind])


def _paths(node: Any, path: Path = ()) -> Iterator[Path]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _get(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


def _set(document: Any, path: Path, value: Any) -> Any:
    """The document with the node at `path` replaced (the root too)."""
    if not path:
        return value
    _get(document, path[:-1])[path[-1]] = value
    return document


def _require(node: Any, kind: type) -> Any:
    if not isinstance(node, kind):
        raise TypeError(f"expected {kind.__name__}, found {type(node).__name__}")
    return node


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} chars)"


def _ops(node: Any, path: Path) -> list[str]:
    """The mutations that make sense for this node."""
    ops = ["replace"]
    if path:
        ops.append("delete")
    if isinstance(node, str):
        ops.append("edit")
    if isinstance(node, dict):
        ops.append("add-key")
        if node:
            ops.append("rename-key")
    if isinstance(node, list):
        ops.append("append")
        if node:
            ops.append("duplicate")
    ops.append("wrap")
    return ops


def _mutation(rnd: random.Random, document: Any) -> Mutation:
    """One mutation at a path of the document, every path and operation alike."""
    path = rnd.choice(list(_paths(document)))
    node = _get(document, path)
    ops = _ops(node, path)
    (op,) = rnd.choices(ops, [OP_WEIGHTS[op] for op in ops])
    if op == "replace":
        value = rnd.choice(OTHER_VALUES)
        return Mutation(op, path, _short(value), value)
    if op == "delete":
        return Mutation(op, path, "")
    if op == "edit":
        edit = _edit(rnd)
        return Mutation(op, path, edit.name, edit.apply(node))
    if op == "add-key":
        key, item = rnd.choice(EXTRA_KEYS), rnd.choice(("v", *OTHER_VALUES))
        return Mutation(op, path, f"{_short(key)}: {_short(item)}", (key, item))
    if op == "rename-key":
        old, edit = rnd.choice(list(node)), _edit(rnd)
        return Mutation(op, (*path, old), edit.name, edit.apply(old))
    if op == "append":
        value = rnd.choice(("x", *OTHER_VALUES))
        return Mutation(op, path, _short(value), value)
    if op == "duplicate":
        index = rnd.randrange(len(node))
        item = node[index]
        if isinstance(item, str) and rnd.random() < 0.5:
            edit = _edit(rnd)
            return Mutation(op, path, f"[{index}] {edit.name}", edit.apply(item))
        return Mutation(op, path, f"[{index}] as is", item)
    return Mutation(op, path, "in a list")


def _sample(rnd: random.Random) -> Sample:
    """A valid entity of any kind with one (most often) to three mutations."""
    kind, full = rnd.choice(KINDS), rnd.random() < 0.7
    document: Any = starting_point(kind, full)
    mutations = []
    for _ in range(rnd.choices((1, 2, 3), (10, 7, 3))[0]):
        mutation = _mutation(rnd, document)
        document = mutation.apply(document)
        mutations.append(mutation)
    return Sample(kind, full, tuple(mutations), document)


def batches(size: int) -> st.SearchStrategy[list[Sample]]:
    """Batches of mutated entities, each from a seed Hypothesis draws.

    Hypothesis's own draws favour the first choice (the root, `replace`) and repeat
    documents; a seeded generator spreads the batch over every path and edit.
    """
    return st.randoms(use_true_random=True).map(
        lambda rnd: [_sample(rnd) for _ in range(size)]
    )


def simpler_forms(sample: Sample) -> Iterator[Sample]:
    """Each of the sample's mutations alone, on the baseline then on the full
    document, where the path exists: the simplest first."""
    for full in (False, True):
        for mutation in sample.mutations:
            try:
                document = mutation.apply(starting_point(sample.kind, full))
            except (KeyError, IndexError, TypeError):
                continue
            yield Sample(sample.kind, full, (mutation,), document)


# ---------------------------------------------------------------------------
# Documented differences: Backstage accepts the document, Greenroom refuses it.


@dataclass(frozen=True)
class Documented:
    reason: str
    applies: Callable[[Any], bool]  # on the generated document


def _texts(node: Any) -> Iterator[str]:
    """Every string of a document, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _unstorable(document: Any) -> bool:
    return any(
        "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)
        for text in _texts(document)
    )


# The spec fields that hold entity references (catalog-model.md section 5.2).
REF_FIELDS = frozenset(
    {
        "owner",
        "system",
        "subcomponentOf",
        "providesApis",
        "consumesApis",
        "dependsOn",
        "dependencyOf",
        "domain",
        "subdomainOf",
        "parent",
        "children",
        "members",
        "memberOf",
    }
)
REF_MAX = 400  # README "How a crawl works": longer references are refused


def _overlong_ref(document: Any) -> bool:
    """A reference field holding a string longer than the limit: its ref is too."""
    spec = document.get("spec") if isinstance(document, dict) else None
    if not isinstance(spec, dict):
        return False
    return any(
        len(text) > REF_MAX
        for field in REF_FIELDS & set(spec)
        for text in _texts(spec[field])
    )


DOCUMENTED = (
    Documented(
        "a NUL character or a lone UTF-16 surrogate, in any string or key: "
        "PostgreSQL cannot store it, the document is refused (README, How a "
        "crawl works)",
        _unstorable,
    ),
    Documented(
        f"an entity reference longer than {REF_MAX} characters: refused, never "
        "cut (README, How a crawl works)",
        _overlong_ref,
    ),
)


def documented(item: Judged) -> Documented | None:
    """The documented difference that explains a disagreement, if one does."""
    if not (item.backstage.valid and not item.ours.valid):
        return None
    return next((d for d in DOCUMENTED if d.applies(item.case.document)), None)


# ---------------------------------------------------------------------------
# Both judges


class OracleError(RuntimeError):
    """The Backstage oracle is missing or stopped answering."""


class Oracle:
    """Backstage's verdicts from one validate.mjs process, remembered per document."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise OracleError("node is not on PATH: the oracle needs Node.js 20+")
        if not (ORACLE / "node_modules" / "@backstage" / "catalog-model").is_dir():
            raise OracleError(
                f"{ORACLE / 'node_modules'} is missing: run `{NPM_CI}` from the "
                "repository root (make test does)"
            )
        self._process = subprocess.Popen(
            [node, str(ORACLE / "validate.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ORACLE,
            text=True,
            encoding="utf-8",
        )
        self._known: dict[str, Verdict] = {}

    def verdicts(self, documents: list[Any]) -> list[Verdict]:
        lines = [json.dumps(document) for document in documents]
        new = list(dict.fromkeys(line for line in lines if line not in self._known))
        if new:
            # Written from a thread: node answers while it reads, and a batch is
            # larger than the pipes' buffers.
            writer = threading.Thread(target=self._send, args=(new,))
            writer.start()
            try:
                for line in new:
                    self._known[line] = self._receive()
            finally:
                writer.join()
        return [self._known[line] for line in lines]

    def _send(self, lines: list[str]) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write("".join(line + "\n" for line in lines))
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # node stopped: _receive reports it with node's own error

    def _receive(self) -> Verdict:
        assert self._process.stdout is not None
        answer = self._process.stdout.readline()
        if not answer:
            code = self._process.wait(timeout=10)
            raise OracleError(f"the oracle stopped (exit {code}); its stderr says why")
        result = json.loads(answer)
        return Verdict(result["valid"], result["errors"], result["refErrors"])

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def ours(document: Any) -> Verdict:
    """parse_file's verdict, as run_ours gives it, on YAML that reads back exactly.

    Non-ASCII is written escaped: PyYAML writes U+0085 raw and its reader folds it
    as a line break, so the document we judged would not be the oracle's.
    """
    result = parse_file(_yaml(document).encode("utf-8"), "catalog-info.yaml")
    for entity in result.entities:
        assert entity.descriptor == document, f"YAML changed {document!r}"
    errors = [p.message for p in result.problems if p.level == "error"]
    return Verdict(len(result.entities) == 1, errors, [])


def _yaml(document: Any) -> str:
    """libyaml's emitter (twice as fast a test), or PyYAML's for lone surrogates,
    which it escapes and libyaml cannot encode."""
    try:
        return yaml.dump(
            document, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=False
        )
    except UnicodeEncodeError:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=False)


class Judges:
    """Both verdicts for a batch; ours remembered per document too."""

    def __init__(self, oracle: Oracle) -> None:
        self.oracle = oracle
        self._ours: dict[str, Verdict] = {}

    def judge(self, batch: list[Sample]) -> list[Judged]:
        backstage = self.oracle.verdicts([sample.document for sample in batch])
        return [
            Judged(Case(sample.label, sample.document), verdict, self._judge(sample))
            for sample, verdict in zip(batch, backstage, strict=True)
        ]

    def _judge(self, sample: Sample) -> Verdict:
        key = json.dumps(sample.document)
        if key not in self._ours:
            self._ours[key] = ours(sample.document)
        return self._ours[key]


def undocumented(item: Judged) -> bool:
    return differs(item) and documented(item) is None


def disagreements(judges: Judges, batch: list[Sample]) -> list[Judged]:
    """The batch's undocumented disagreements, each in its simplest form that
    still disagrees: Hypothesis does not shrink a batch (minutes per failure)."""
    judged = judges.judge(batch)
    return [
        simplest(judges, sample, item)
        for sample, item in zip(batch, judged, strict=True)
        if undocumented(item)
    ]


def simplest(judges: Judges, sample: Sample, item: Judged) -> Judged:
    forms = list(simpler_forms(sample))
    for form, judged in zip(forms, judges.judge(forms), strict=True):
        if undocumented(judged):
            found_as = "" if form.label == sample.label else f" (from: {sample.label})"
            return replace(judged, case=Case(form.label + found_as, form.document))
    return item


# ---------------------------------------------------------------------------
# Tests


@pytest.fixture(scope="module")
def judges() -> Iterator[Judges]:
    oracle = Oracle()
    try:
        yield Judges(oracle)
    finally:
        oracle.close()


def test_every_starting_point_is_valid_for_both(judges: Judges) -> None:
    """Mutations start from documents both validators accept, with no ref errors."""
    batch = [
        Sample(kind, full, (), starting_point(kind, full))
        for kind in KINDS
        for full in (False, True)
    ]
    for item in judges.judge(batch):
        assert item.backstage.valid, (item.case.id, item.backstage.errors)
        assert not item.backstage.ref_errors, (item.case.id, item.backstage.ref_errors)
        assert item.ours.valid, (item.case.id, item.ours.errors)


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("metadata", "description"), "a\x00b", 0),
        (("metadata", "annotations"), {"example.com/a": "\ud800"}, 0),
        (("spec", "owner"), "team-" + "a" * REF_MAX, 1),
        (("spec", "dependsOn"), ["component:" + "a" * REF_MAX], 1),
    ],
)
def test_documented_differences_are_real(
    judges: Judges, path: Path, value: Any, reason: int
) -> None:
    """Each documented difference is one: Backstage accepts, we refuse."""
    document = _set(starting_point("Component", False), path, value)
    sample = Sample("Component", False, (Mutation("replace", path, "test"),), document)
    (item,) = judges.judge([sample])
    assert item.backstage.valid, item
    assert not item.ours.valid, item
    assert documented(item) is DOCUMENTED[reason], item


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("metadata", "description"), "a" * 4096),  # long, but not a reference
        (("spec", "owner"), "team-" + "a" * 300),  # a reference under the limit
        (("spec", "owner"), "team-a\n"),
        (("metadata", "annotations"), {"example.com/a": "\u2028\ufeff\U0001f600"}),
    ],
)
def test_documented_differences_excuse_nothing_else(path: Path, value: Any) -> None:
    document = _set(starting_point("Component", False), path, value)
    assert not [d.reason for d in DOCUMENTED if d.applies(document)]


@PROFILE
@given(batch=batches(BATCH))
def test_mutated_entities_agree_with_backstage(
    judges: Judges, batch: list[Sample]
) -> None:
    """Generated mutations of every kind: Backstage's verdict, or a documented one."""
    found = disagreements(judges, batch)
    assert not found, report_disagreements(found)
