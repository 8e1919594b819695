"""The one YAML loader for untrusted input (catalog-info.yaml, mkdocs.yml).

Files come from repositories we do not control, so every resource a file can
make us spend is bounded by `Limits` before any Python object is built:

* bytes are checked before anything is parsed, so a huge file is refused
  without being loaded;
* every document costs at least one node of the file's node budget, so the
  number of documents is bounded by it (and by the bytes) rather than by a small
  count: an organisation file of thousands of users is read whole;
* documents are composed by our own event-driven composer (not PyYAML's
  recursive one) so nesting, alias expansion and tags are checked while the
  node graph is built, and a bad document is skipped without building it;
* construction is restricted to JSON-like values: no Python tags, no merge
  keys, string keys only, dates as ISO strings;
* plain scalars are read with the YAML 1.2 core schema, as Backstage's parser reads
  them: `yes`, `on`, `12:30` and `2024-01-01` stay strings, `017` is seventeen.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, ClassVar, Protocol, cast

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.scanner import ScannerError
from yaml.tokens import Token

from catalog.descriptor.validation import EntityLimits

__all__ = ["Document", "FileRefused", "Limits", "load_documents", "load_one"]


@dataclass(frozen=True, slots=True)
class Limits:
    # The defaults are the settings' (portal/settings.py, GREENROOM_MAX_*): a
    # 10,000-user organisation file (about 2.5 MB, 240,000 nodes) is read whole,
    # in about 2 s.
    max_bytes: int = 4 * 1024 * 1024  # whole file
    # YAML documents per file; 0: no count of its own (each document costs a node).
    max_documents: int = 0
    max_depth: int = 50  # nesting depth of mappings/sequences
    max_nodes: int = 1_000_000  # total nodes after alias expansion, per file
    # Nodes of one document, whose node graph is held at once (about 500 bytes a
    # node). An entity document has at most half as many nodes as its bytes as
    # JSON, so this never refuses one that EntityLimits.max_document_bytes
    # accepts; it bounds the memory a single huge document costs.
    max_document_nodes: int = 200_000
    # Placeholder content ($text/$json/$yaml) substituted into all the entities
    # of one location (per file when parse_file is given no `placeholders`).
    max_substituted_bytes: int = 64 * 1024 * 1024
    # What one entity may hold once loaded (parse_file checks it, not the loader).
    entity: EntityLimits = EntityLimits()


@dataclass(frozen=True, slots=True)
class Document:
    index: int  # 0-based, counting empty documents too
    value: object | None  # JSON-like; None for an empty document or on error
    error: str | None  # why this document was refused; None when it loaded
    line: int  # 1-based line where the document starts


class FileRefused(ValueError):
    """The whole file is refused; str(exc) says why."""


class _DocumentError(Exception):
    """One document is refused; the rest of the file still loads."""


_YAML = "tag:yaml.org,2002:"
_STR = _YAML + "str"
_SEQ = _YAML + "seq"
_MAP = _YAML + "map"
_MERGE = _YAML + "merge"
_VALUE = _YAML + "value"
_SCALAR_TAGS = frozenset(
    _YAML + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)

_BOM = b"\xef\xbb\xbf"
# Everything outside YAML's c-printable set; the parser would stop at it anyway,
# but with a message that hides where the character is.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


class _EventSource(Protocol):
    def get_event(self) -> Event | None: ...
    def resolve(self, kind: type[Node], value: str | None, implicit: object) -> str: ...
    def dispose(self) -> None: ...


# libyaml stops at this flow nesting depth by itself; the Python scanner needs
# telling, or a file of `[[[[...` costs it quadratic time before our own depth
# check ever sees an event.
_MAX_FLOW_LEVEL = 1000


class _PurePythonLoader(yaml.SafeLoader):
    def fetch_flow_collection_start(self, TokenClass: type[Token]) -> None:
        if self.flow_level >= _MAX_FLOW_LEVEL:
            mark = self.get_mark()
            raise ScannerError(
                "while increasing flow level",
                mark,
                "exceeded maximum nesting depth",
                mark,
            )
        super().fetch_flow_collection_start(TokenClass)


class _CoreSchema:
    """YAML 1.2 core schema resolution (PyYAML itself only knows YAML 1.1's)."""

    yaml_implicit_resolvers: ClassVar[
        dict[str | None, list[tuple[str, re.Pattern[str]]]]
    ] = {}


_CORE_RESOLVERS = [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),  # resolved only so that it can be refused
]
for _tag, _pattern, _first in _CORE_RESOLVERS:
    for _char in _first:
        _CoreSchema.yaml_implicit_resolvers.setdefault(_char, []).append(
            ("tag:yaml.org,2002:" + _tag, re.compile(_pattern))
        )


class _CoreCLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    yaml_implicit_resolvers = _CoreSchema.yaml_implicit_resolvers


class _CorePurePythonLoader(_PurePythonLoader):
    yaml_implicit_resolvers = _CoreSchema.yaml_implicit_resolvers


_LOADER_CLASS: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    _CoreCLoader if yaml.__with_libyaml__ else _CorePurePythonLoader
)


def _make_loader(text: str) -> _EventSource:
    # Only the parser and the resolver of the loader are used: composing and
    # constructing are done here, so the loader class never builds objects.
    return cast(_EventSource, _LOADER_CLASS(text))


# ---------------------------------------------------------------------------
# Public API


def load_documents(data: bytes, limits: Limits = Limits()) -> list[Document]:
    """Load every document of a YAML stream; bad documents carry an error.

    A file with no documents at all (empty, or only comments) gives [].
    Raises FileRefused when the file as a whole cannot be accepted.
    """
    text = _decode(data, limits)
    return _StreamLoader(text, limits).load()


def load_one(data: bytes, limits: Limits = Limits()) -> object:
    """Load a file that must hold at most one document (mkdocs.yml).

    An empty file gives None. Any error, per-document or not, is FileRefused.
    """
    # Stop reading at the second document rather than loading all of them.
    documents = load_documents(data, replace(limits, max_documents=1))
    if not documents:
        return None
    document = documents[0]
    if document.error is not None:
        raise FileRefused(document.error)
    return document.value


# ---------------------------------------------------------------------------
# Whole-file checks


def _decode(data: bytes, limits: Limits) -> str:
    if len(data) > limits.max_bytes:
        raise FileRefused(
            f"file is {len(data)} bytes, larger than the limit of "
            f"{limits.max_bytes} bytes"
        )
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"file is not valid UTF-8: {exc.reason} at byte offset {exc.start + skip}"
        ) from None
    # After decoding, so that a UTF-16 file is reported as not being UTF-8.
    nul = data.find(b"\x00")
    if nul != -1:
        raise FileRefused(f"file contains a NUL byte at byte offset {nul}")
    _refuse_non_printable(text)
    return text


def _refuse_non_printable(text: str) -> None:
    match = _NON_PRINTABLE.search(text)
    if match is None:
        return
    position = match.start()
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    raise FileRefused(
        f"file contains control character U+{ord(match.group()):04X} at line "
        f"{line}, column {column}, which YAML does not allow"
    )


# ---------------------------------------------------------------------------
# Stream: one pass over the parser's events


def _line(mark: object) -> int:
    # Marks from the C parser and from the Python parser are different types.
    return cast(Mark, mark).line + 1 if mark is not None else 0


def _syntax_message(exc: yaml.YAMLError) -> str:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"YAML syntax error: {exc}"
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem = f"{exc.context}: {problem}"
    if mark is None:
        return f"YAML syntax error: {problem}"
    return (
        f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: "
        f"{problem}"
    )


def _next_event(loader: _EventSource) -> Event:
    event = loader.get_event()
    if event is None:  # only after StreamEndEvent, which ends every read
        raise yaml.YAMLError("unexpected end of the YAML stream")
    return event


class _StreamLoader:
    def __init__(self, text: str, limits: Limits) -> None:
        self._loader = _make_loader(text)
        self._limits = limits
        # Shared by all documents: aliases in many small documents must not
        # add up to what one large document may not have.
        self._node_budget = limits.max_nodes
        self._documents: list[Document] = []

    def load(self) -> list[Document]:
        try:
            self._read_stream()
        finally:
            self._loader.dispose()
        return self._documents

    def _read_stream(self) -> None:
        while True:
            try:
                event = _next_event(self._loader)
            except yaml.YAMLError as exc:
                # Between documents: the error opens the next document.
                self._check_document_count()
                mark = getattr(exc, "problem_mark", None)
                self._add(None, _syntax_message(exc), _line(mark))
                return
            if isinstance(event, StreamEndEvent):
                return
            if isinstance(event, DocumentStartEvent) and not self._read_document(event):
                return

    def _read_document(self, start: DocumentStartEvent) -> bool:
        """Read one document; False when a syntax error or the spent node budget
        ended the stream."""
        self._check_document_count()
        line = _line(start.start_mark)
        if self._node_budget <= 0:
            self._add(None, _spent(self._limits.max_nodes, line), line)
            return False
        try:
            value, error = self._document_outcome()
        except yaml.YAMLError as exc:
            # The parser cannot recover: the rest of the file is this error.
            self._add(None, _syntax_message(exc), line)
            return False
        self._add(value, error, line)
        return True

    def _check_document_count(self) -> None:
        allowed = self._limits.max_documents
        if allowed and len(self._documents) >= allowed:
            raise FileRefused(
                f"file has too many YAML documents: at most {allowed} allowed"
            )

    def _document_outcome(self) -> tuple[object | None, str | None]:
        composer = _Composer(self._loader, self._limits, self._node_budget)
        try:
            root = composer.compose()
        except _DocumentError as exc:
            self._skip_rest_of_document()
            return None, self._refused(exc)
        try:
            value = _construct(root.node)
        except _DocumentError as exc:
            return None, self._refused(exc)
        self._node_budget -= root.size
        return value, None

    def _refused(self, exc: _DocumentError) -> str:
        """A refused document costs one node, so that refusals are bounded by the
        budget as documents are (not by what the refused one would have cost:
        an alias bomb must not starve the documents after it)."""
        self._node_budget -= 1
        return str(exc)

    def _skip_rest_of_document(self) -> None:
        # Events only, no nodes: a refused document costs no memory.
        while not isinstance(_next_event(self._loader), DocumentEndEvent):
            pass

    def _add(self, value: object | None, error: str | None, line: int) -> None:
        self._documents.append(Document(len(self._documents), value, error, line))


# ---------------------------------------------------------------------------
# Composer: events -> node graph, with every limit checked on the way


@dataclass(frozen=True, slots=True)
class _Built:
    """A finished node with its cost as if every alias were expanded."""

    node: Node
    size: int  # nodes, counting through aliases
    height: int  # nesting depth of collections below and including this node


@dataclass(slots=True)
class _Open:
    node: SequenceNode | MappingNode
    anchor: str | None
    size: int = 1
    child_height: int = 0
    key: Node | None = None
    items: list[Node] | list[tuple[Node, Node]] = field(default_factory=list)
    is_mapping: bool = False

    def expects_key(self) -> bool:
        return self.is_mapping and self.key is None


class _Composer:
    """Builds one document's node graph without recursion.

    Sizes and heights are computed once per node when it closes and stored
    with its anchor, so an alias costs O(1) however much it would expand to.
    Anchors are registered only when their node closes, which makes the graph
    acyclic (a recursive alias is refused) and keeps memoisation trivial.
    """

    def __init__(self, loader: _EventSource, limits: Limits, budget: int) -> None:
        self._loader = loader
        self._limits = limits
        self._budget = budget
        self._nodes = 0
        self._stack: list[_Open] = []
        self._anchors: dict[str, _Built] = {}
        self._opening: set[str] = set()

    def compose(self) -> _Built:
        root: _Built | None = None
        while root is None:
            built = self._handle(_next_event(self._loader))
            if built is not None:
                root = self._attach(built)
        if not isinstance(_next_event(self._loader), DocumentEndEvent):
            raise _DocumentError("expected the end of the YAML document")
        return root

    def _handle(self, event: Event) -> _Built | None:
        if isinstance(event, ScalarEvent):
            return self._scalar(event)
        if isinstance(event, AliasEvent):
            return self._alias(event)
        if isinstance(event, SequenceStartEvent | MappingStartEvent):
            self._open(event)
            return None
        return self._close(event)

    def _scalar(self, event: ScalarEvent) -> _Built:
        tag = self._scalar_tag(event)
        node = ScalarNode(
            tag,
            event.value,
            cast(Mark, event.start_mark),
            cast(Mark, event.end_mark),
            style=event.style,
        )
        self._count(1)
        return self._finish(_Built(node, 1, 0), event.anchor)

    def _scalar_tag(self, event: ScalarEvent) -> str:
        mark = event.start_mark
        if event.tag not in (None, "!"):
            return _check_tag(event.tag, _SCALAR_TAGS, "scalar", mark)
        tag = self._loader.resolve(ScalarNode, event.value, event.implicit)
        if tag == _MERGE and self._expects_key():
            raise _DocumentError(f"merge keys are not supported (line {_line(mark)})")
        # YAML 1.1 leftovers that only mean something as merge/value keys:
        # anywhere else a plain `<<` or `=` is just text.
        if tag in (_MERGE, _VALUE):
            return _STR
        return _check_tag(tag, _SCALAR_TAGS, "scalar", mark)

    def _expects_key(self) -> bool:
        return bool(self._stack) and self._stack[-1].expects_key()

    def _alias(self, event: AliasEvent) -> _Built:
        name = event.anchor or ""
        if name in self._opening:
            raise _DocumentError(
                f"recursive alias '*{name}' at line {_line(event.start_mark)} "
                "is not supported"
            )
        target = self._anchors.get(name)
        if target is None:
            raise _DocumentError(
                f"undefined alias '*{name}' at line {_line(event.start_mark)}"
            )
        self._check_depth(len(self._stack) + target.height, event.start_mark)
        self._count(target.size)
        return target

    def _open(self, event: CollectionStartEvent) -> None:
        self._check_depth(len(self._stack) + 1, event.start_mark)
        node: SequenceNode | MappingNode
        start, end = cast(Mark, event.start_mark), cast(Mark, event.end_mark)
        if isinstance(event, MappingStartEvent):
            tag = self._collection_tag(event, MappingNode, _MAP, "mapping")
            node = MappingNode(tag, [], start, end, flow_style=event.flow_style)
        else:
            tag = self._collection_tag(event, SequenceNode, _SEQ, "sequence")
            node = SequenceNode(tag, [], start, end, flow_style=event.flow_style)
        self._count(1)
        if event.anchor is not None:
            self._opening.add(event.anchor)
        is_mapping = isinstance(node, MappingNode)
        self._stack.append(
            _Open(node, event.anchor, items=node.value, is_mapping=is_mapping)
        )

    def _collection_tag(
        self,
        event: CollectionStartEvent,
        kind: type[Node],
        allowed: str,
        what: str,
    ) -> str:
        tag = event.tag
        if tag in (None, "!"):
            tag = self._loader.resolve(kind, None, event.implicit)
        return _check_tag(tag, frozenset((allowed,)), what, event.start_mark)

    def _close(self, event: Event) -> _Built:
        if not self._stack:
            raise _DocumentError(f"unexpected {type(event).__name__} in document")
        frame = self._stack.pop()
        frame.node.end_mark = cast(Mark, event.end_mark)
        if frame.anchor is not None:
            self._opening.discard(frame.anchor)
        built = _Built(frame.node, frame.size, frame.child_height + 1)
        return self._finish(built, frame.anchor)

    def _finish(self, built: _Built, anchor: str | None) -> _Built:
        if anchor is not None:
            self._anchors[anchor] = built
        return built

    def _attach(self, built: _Built) -> _Built | None:
        """Add a finished node to its parent; returns it if it is the root."""
        if not self._stack:
            return built
        frame = self._stack[-1]
        frame.size += built.size
        frame.child_height = max(frame.child_height, built.height)
        if not frame.is_mapping:
            cast(list[Node], frame.items).append(built.node)
        elif frame.key is None:
            frame.key = _check_key(built.node)
        else:
            cast(list[tuple[Node, Node]], frame.items).append((frame.key, built.node))
            frame.key = None
        return None

    def _check_depth(self, depth: int, mark: object) -> None:
        if depth > self._limits.max_depth:
            raise _DocumentError(
                f"nesting deeper than {self._limits.max_depth} levels at line "
                f"{_line(mark)}"
            )

    def _count(self, nodes: int) -> None:
        self._nodes += nodes
        if self._nodes > self._budget:
            raise _DocumentError(
                f"too many YAML nodes: more than {self._limits.max_nodes} in the "
                "file after alias expansion"
            )
        if self._nodes > self._limits.max_document_nodes:
            raise _DocumentError(
                f"too many YAML nodes: more than {self._limits.max_document_nodes} "
                "in one document after alias expansion"
            )


def _spent(max_nodes: int, line: int) -> str:
    return (
        f"too many YAML nodes: more than {max_nodes} in the file after alias "
        f"expansion; the rest of the file, from line {line}, was not read"
    )


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


def _check_tag(tag: str, allowed: frozenset[str], what: str, mark: object) -> str:
    if tag not in allowed:
        raise _DocumentError(
            f"unsupported YAML tag '{_short_tag(tag)}' on a {what} at line "
            f"{_line(mark)}"
        )
    return tag


def _check_key(node: Node) -> Node:
    if not isinstance(node, ScalarNode):
        kind = "mapping" if isinstance(node, MappingNode) else "sequence"
        raise _DocumentError(
            f"mapping keys must be scalars, found a {kind} at line "
            f"{_line(node.start_mark)}"
        )
    return node


# ---------------------------------------------------------------------------
# Constructor: node graph -> JSON-like Python values


class _JsonConstructor(SafeConstructor):
    """SafeConstructor narrowed to values that survive a trip through JSON."""

    def construct_object(self, node: Node, deep: bool = False) -> object:
        try:
            return cast(object, super().construct_object(node, deep))
        except _DocumentError:
            raise
        except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # Explicit tags on the wrong text (`!!int abc`, `!!bool maybe`)
            # make the stock constructors raise all sorts of errors.
            # A KeyError's text is only the offending value again.
            detail = "" if isinstance(exc, KeyError) else f": {exc}"
            raise _DocumentError(
                f"invalid {_short_tag(node.tag)} value {_excerpt(node)} at line "
                f"{_line(node.start_mark)}{detail}"
            ) from None

    def construct_mapping(
        self, node: MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        # Replaces the stock version, which silently keeps the last of
        # duplicate keys and would expand merge keys.
        mapping: dict[Hashable, object] = {}
        for key_node, value_node in node.value:
            key = _json_key(self.construct_object(key_node, deep=deep), key_node)
            if key in mapping:
                raise _DocumentError(
                    f"duplicate key {key!r} at line {_line(key_node.start_mark)}"
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_float(self, node: ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            # json.dumps would write NaN/Infinity, which is not JSON and which
            # PostgreSQL's jsonb refuses.
            raise _DocumentError(
                f"non-finite number {_excerpt(node)} at line "
                f"{_line(node.start_mark)} cannot be represented in JSON"
            )
        return value

    def construct_core_int(self, node: ScalarNode) -> int:
        # YAML 1.2: a leading zero is decimal; octal is spelled 0o.
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits, 10)

    def construct_iso_timestamp(self, node: ScalarNode) -> str:
        value: date = super().construct_yaml_timestamp(node)
        return value.isoformat()

    # Only the JSON-like tags have constructors at all, so even a tag that
    # slipped past the composer's check could not reach a Python object.
    yaml_constructors: ClassVar[dict[str | None, Any]] = {
        _YAML + "null": SafeConstructor.construct_yaml_null,
        _YAML + "bool": SafeConstructor.construct_yaml_bool,
        _YAML + "int": construct_core_int,
        _YAML + "float": construct_yaml_float,
        _YAML + "timestamp": construct_iso_timestamp,
        _YAML + "str": SafeConstructor.construct_yaml_str,
        _YAML + "seq": SafeConstructor.construct_yaml_seq,
        _YAML + "map": SafeConstructor.construct_yaml_map,
        # Without a None entry the base class quietly builds unknown tags
        # as plain strings, lists and dicts.
        None: SafeConstructor.construct_undefined,
    }
    yaml_multi_constructors: ClassVar[dict[str | None, Any]] = {}


def _excerpt(node: Node) -> str:
    text = node.value if isinstance(node.value, str) else ""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _json_key(key: object, node: Node) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int | float):
        # Exactly what json.dumps would turn the key into.
        return json.dumps(key)
    raise _DocumentError(  # pragma: no cover - only scalars reach here
        f"unsupported mapping key at line {_line(node.start_mark)}"
    )


def _construct(node: Node) -> object:
    # A fresh constructor per document: its alias memo must not leak across.
    return cast(object, _JsonConstructor().construct_document(node))


# ---------------------------------------------------------------------------
# Application tags: the same loader and limits, for formats with tags of their
# own (mkdocs.yml's `!ENV`, `!relative` and `!!python/name:`)

TagHandler = Callable[[str, object], object]


@dataclass(frozen=True, slots=True)
class _Tags:
    """Handlers by exact tag, or by prefix for keys that end in '/' or ':'."""

    handlers: Mapping[str, TagHandler]

    def handler(self, tag: str | None) -> TagHandler | None:
        if tag is None:
            return None
        if tag in self.handlers:
            return self.handlers[tag]
        for key, handler in self.handlers.items():
            if key.endswith(("/", ":")) and tag.startswith(key):
                return handler
        return None


class _TaggedComposer(_Composer):
    def __init__(
        self, loader: _EventSource, limits: Limits, budget: int, tags: _Tags
    ) -> None:
        super().__init__(loader, limits, budget)
        self._tags = tags

    def _scalar_tag(self, event: ScalarEvent) -> str:
        if event.tag is not None and self._tags.handler(event.tag) is not None:
            return event.tag
        return super()._scalar_tag(event)

    def _collection_tag(
        self,
        event: CollectionStartEvent,
        kind: type[Node],
        allowed: str,
        what: str,
    ) -> str:
        if event.tag is not None and self._tags.handler(event.tag) is not None:
            return event.tag
        return super()._collection_tag(event, kind, allowed, what)


class _TaggedConstructor(_JsonConstructor):
    """A tagged node's plain value (text, list or mapping) goes to its handler."""

    def __init__(self, tags: _Tags) -> None:
        super().__init__()
        self._tags = tags

    def construct_object(self, node: Node, deep: bool = False) -> object:
        handler = self._tags.handler(node.tag)
        if handler is None:
            return super().construct_object(node, deep)
        value: object
        if isinstance(node, MappingNode):
            value = self.construct_mapping(node, deep=True)
        elif isinstance(node, SequenceNode):
            value = [self.construct_object(item, deep=True) for item in node.value]
        else:
            value = str(node.value)
        return handler(node.tag, value)


class _TaggedConstructor11(_TaggedConstructor):
    # `0b1`, `1_000`, `017` (octal) as PyYAML, and so MkDocs, reads them.
    yaml_constructors: ClassVar[dict[str | None, Any]] = {
        **_JsonConstructor.yaml_constructors,
        _YAML + "int": SafeConstructor.construct_yaml_int,
    }


class _TaggedStreamLoader(_StreamLoader):
    def __init__(self, text: str, limits: Limits, tags: _Tags, yaml11: bool) -> None:
        super().__init__(text, limits)
        self._tags = tags
        self._yaml11 = yaml11
        if yaml11:
            self._loader.dispose()
            self._loader = cast(_EventSource, _YAML11_LOADER_CLASS(text))

    def _document_outcome(self) -> tuple[object | None, str | None]:
        # As _StreamLoader's, with the tag-aware composer and constructor.
        composer = _TaggedComposer(
            self._loader, self._limits, self._node_budget, self._tags
        )
        try:
            root = composer.compose()
        except _DocumentError as exc:
            self._skip_rest_of_document()
            return None, self._refused(exc)
        kind = _TaggedConstructor11 if self._yaml11 else _TaggedConstructor
        constructor = kind(self._tags)
        try:
            value = cast(object, constructor.construct_document(root.node))
        except _DocumentError as exc:
            return None, self._refused(exc)
        self._node_budget -= root.size
        return value, None


# YAML 1.1 resolution (`yes` is true), as PyYAML reads files for tools built on it.
_YAML11_LOADER_CLASS: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else _PurePythonLoader
)


def load_one_tagged(
    data: bytes,
    tags: Mapping[str, TagHandler],
    limits: Limits = Limits(),
    *,
    yaml11: bool = False,
) -> object:
    """`load_one` for a format with tags of its own, under the same limits.

    A node whose tag is a key of `tags` (or starts with a key ending in '/' or
    ':') is built as plain text, list or mapping and passed, with its full tag,
    to the handler; what the handler returns takes its place. Every other tag is
    refused as `load_one` refuses it. `yaml11` reads plain scalars as PyYAML
    does (YAML 1.1), for files written for PyYAML-based tools such as MkDocs.
    """
    single = replace(limits, max_documents=1)
    text = _decode(data, single)
    documents = _TaggedStreamLoader(text, single, _Tags(tags), yaml11).load()
    if not documents:
        return None
    document = documents[0]
    if document.error is not None:
        raise FileRefused(document.error)
    return document.value


__all__ += ["TagHandler", "load_one_tagged"]
