"""Read a location's descriptor files from a tree, following Location entities.

Everything here works on a `Tree` (a commit in git, or a folder for offline checks)
and returns plain values; the database is not touched.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from catalog.descriptor import FileResult, Limits, ParsedEntity, Problem, parse_file
from catalog.descriptor.substitution import Placeholders

SYMLINK_MODE = 0o120000
GLOB_CHARS = re.compile(r"[*?\[]")


class Tree(Protocol):
    def read(self, path: str) -> bytes: ...

    def files(self) -> list[tuple[str, int]]: ...


class UrlReader(Protocol):
    """Reads the URLs placeholders name (catalog/ingest/remotefiles.py)."""

    def own_path(self, url: str) -> str | None:
        """The path a URL names in the tree being read, None for any other URL."""

    def read(self, url: str) -> bytes:
        """Any other URL's file; ValueError or OSError, saying why, if not."""


@dataclass(slots=True)
class ReadResult:
    entities: list[ParsedEntity] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    kept_refs: set[str] = field(default_factory=set)
    incomplete_paths: set[str] = field(default_factory=set)
    missing_paths: set[str] = field(default_factory=set)  # required, not found
    # Backstage's emit graph: file path, or another repository's target, -> the
    # ref of the Location entity that first named it (root files have none).
    parents: dict[str, str] = field(default_factory=dict)
    remote_targets: dict[str, str] = field(default_factory=dict)
    content_hash: str = ""
    # Every path the read looked at (descriptors, placeholder files, missing ones):
    # a push that touches none of them (nor a YAML or JSON file) changes nothing.
    # URLs read outside the tree are here too: the location reads more than its
    # commit, so an unchanged commit is not an unchanged catalog (sync.py).
    input_paths: set[str] = field(default_factory=set)


GLOBSTAR = "**"


@dataclass(frozen=True, slots=True)
class Glob:
    """A glob matched segment by segment, in time linear in the path.

    A whole `**` segment crosses folders: zero or more of them in the middle or at
    the start, one or more at the end (it names files there, as `services/**` does).
    `*` and `?` stay inside one segment, and so does a `**` inside a segment
    (`**.yaml` is `*.yaml`, as in Backstage's minimatch and in gitignore). `[` is
    an ordinary character: folders such as Next.js's `[id]` are common.
    """

    segments: tuple[str, ...]

    def match(self, path: str) -> bool:
        """Run the pattern as an NFA over the path's segments: the states are
        pattern positions, so the work is (pattern segments) x (path segments)
        segment matches, each linear-ish (`_match_segment`)."""
        last = len(self.segments)
        states = self._closure({0})
        for name in path.split("/"):
            moved: set[int] = set()
            for i in states:
                if i == last:
                    continue
                segment = self.segments[i]
                if segment == GLOBSTAR:
                    moved.update((i, i + 1))  # take this folder, and maybe stop
                elif _match_segment(segment, name):
                    moved.add(i + 1)
            states = self._closure(moved)
            if not states:
                return False
        return last in states

    def _closure(self, states: set[int]) -> set[int]:
        """Add the positions reached by a `**` that takes no folder at all (not
        the last one, which must take at least one). `compile_glob` merges
        `**/**`, so one step is enough."""
        last = len(self.segments) - 1
        return states | {
            i + 1 for i in states if i < last and self.segments[i] == GLOBSTAR
        }


def compile_glob(pattern: str) -> Glob:
    """The `Glob` for a normalised pattern (see `clean_relative`)."""
    segments: list[str] = []
    for segment in pattern.split("/"):
        if segment == GLOBSTAR and segments and segments[-1] == GLOBSTAR:
            continue  # `**/**` is `**`
        segments.append(segment)
    return Glob(tuple(segments))


def _match_segment(pattern: str, name: str) -> bool:
    """`*` and `?` wildcard match of one segment, without backtracking blow-up.

    Greedy, going back only to the last `*` seen: a later `*` can absorb anything
    an earlier one could, so earlier choices never need revisiting. At most
    len(pattern) x len(name) steps, where a regex for `*a*a*a*b` takes
    len(name) ** (number of stars).
    """
    p = n = 0
    star, resume = -1, 0
    while n < len(name):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p, n
            p += 1
        elif p < len(pattern) and pattern[p] in ("?", name[n]):
            p += 1
            n += 1
        elif star >= 0:
            p, resume = star + 1, resume + 1
            n = resume
        else:
            return False
    return pattern[p:].strip("*") == ""


def is_glob(path: str) -> bool:
    return bool(GLOB_CHARS.search(path))


def clean_relative(path: str) -> str | None:
    """A normalised path inside the repository, or None when it would leave it."""
    if path.startswith(("/", "\\")) or "\\" in path or "\0" in path:
        return None
    normal = posixpath.normpath(path)
    if normal in (".", "..") or normal.startswith("../"):
        return None
    return normal


class LocationReader:
    """Reads one location: the root file(s), then every Location target, once each."""

    def __init__(
        self, tree: Tree, limits: Limits, max_files: int, max_entities: int,
        urls: UrlReader | None = None,
    ) -> None:  # fmt: skip
        self.tree = tree
        self.urls = urls
        self.limits = limits
        self.max_files = max_files
        self.max_entities = max_entities
        self.result = ReadResult()
        self._hash = hashlib.sha256()
        self._seen: set[str] = set()
        self._queue: deque[tuple[str, bool, str]] = deque()
        self._listing: list[tuple[str, int]] | None = None
        # One for the whole location: each placeholder file read once, one budget.
        self._placeholders = Placeholders(
            self._read_bytes, limits, self._read_url if urls else None
        )

    def read(self, root: str) -> ReadResult:
        path = clean_relative(root)
        if path is None:
            self._problem(root, f"{root!r} is not a path inside the repository")
        elif is_glob(path):
            matches = self._glob(path)
            if not matches:
                self._problem(path, f"no file in the repository matches {path!r}")
            self._queue.extend((match, True, "") for match in matches)
        else:
            self._queue.append((path, True, ""))
        while self._queue:
            self._read_file(*self._queue.popleft())
        self.result.content_hash = self._hash.hexdigest()
        return self.result

    def _read_bytes(self, path: str) -> bytes:
        self.result.input_paths.add(path)
        data = self.tree.read(path)
        self._hash.update(f"{path}\0{len(data)}\0".encode())
        self._hash.update(data)
        return data

    def _read_url(self, url: str) -> bytes:
        """A placeholder's URL: a file of the tree when it names one, else read
        by `urls`, hashed like a file, so a change there is a change here."""
        assert self.urls is not None  # only given to Placeholders with urls
        path = self.urls.own_path(url)
        if path is not None:
            return self._read_bytes(path)
        self.result.input_paths.add(url)
        data = self.urls.read(url)
        self._hash.update(f"{url}\0{len(data)}\0".encode())
        self._hash.update(data)
        return data

    def _read_file(self, path: str, required: bool, parent: str) -> None:
        if path in self._seen:
            return
        self._seen.add(path)
        self.result.input_paths.add(path)
        if parent:
            self.result.parents[path] = parent
        if len(self._seen) > self.max_files:
            self._problem(
                path,
                f"more than {self.max_files} descriptor files; "
                f"{path} and later files were not read",
            )
            self.result.incomplete_paths.add(path)
            self._queue.clear()
            return
        try:
            data = self._read_bytes(path)
        except FileNotFoundError:
            if required:
                self.result.missing_paths.add(path)
                self._problem(path, f"{path} not found")
            return
        except ValueError as exc:  # refused: symlink, too large, not a file
            self._problem(path, str(exc))
            self.result.incomplete_paths.add(path)
            return
        parsed = parse_file(
            data, path, limits=self.limits, placeholders=self._placeholders
        )
        self._add(parsed, path)

    def _add(self, parsed: FileResult, path: str) -> None:
        room = self.max_entities - len(self.result.entities)
        if len(parsed.entities) > room:
            self._problem(
                path,
                f"more than {self.max_entities} entities in this location; "
                f"the rest of {path} was not read",
            )
            parsed.entities = parsed.entities[: max(room, 0)]
            parsed.incomplete = True
        self.result.entities.extend(parsed.entities)
        self.result.problems.extend(parsed.problems)
        self.result.kept_refs |= parsed.kept_refs
        if parsed.incomplete:
            self.result.incomplete_paths.add(path)
        for entity in parsed.entities:
            if entity.kind == "Location":
                self._follow(entity)

    def _follow(self, location: ParsedEntity) -> None:
        spec = location.entity.get("spec", {})
        targets = [spec["target"]] if spec.get("target") else []
        targets += spec.get("targets") or []
        required = spec.get("presence", "required") == "required"
        base = posixpath.dirname(location.path)
        for target in targets:
            self._follow_target(location, target, base, required)

    def _follow_target(
        self, location: ParsedEntity, target: str, base: str, required: bool
    ) -> None:
        where = f"{location.path} ({location.ref}): target {target!r}"
        if target.startswith("file:") or target.startswith(("/", "\\")):
            self._problem(
                location.path,
                f"{where} refused: only paths relative to the file are read, "
                "not absolute paths or file URLs",
                location.ref,
            )
        elif "://" in target or re.match(r"^[\w.-]+@[\w.-]+:", target):
            self.result.remote_targets.setdefault(target, location.ref)
        else:
            path = clean_relative(posixpath.join(base, target))
            if path is None:
                self._problem(
                    location.path,
                    f"{where} refused: it leaves the repository",
                    location.ref,
                )
            elif is_glob(path):
                self._queue.extend(
                    (match, required, location.ref) for match in self._glob(path)
                )
            else:
                self._queue.append((path, required, location.ref))

    def _glob(self, pattern: str) -> list[str]:
        if self._listing is None:
            self._listing = self.tree.files()
        glob = compile_glob(pattern)
        matches = []
        for path, mode in self._listing:
            if glob.match(path):
                if mode == SYMLINK_MODE:
                    self._problem(
                        path, f"{path} is a symbolic link; links are never followed"
                    )
                else:
                    matches.append(path)
        return sorted(matches)

    def _problem(self, path: str, message: str, ref: str | None = None) -> None:
        self.result.problems.append(Problem(path, message, None, ref))


def read_location(
    tree: Tree, root: str, *, limits: Limits, max_files: int, max_entities: int,
    urls: UrlReader | None = None,
) -> ReadResult:  # fmt: skip
    return LocationReader(tree, limits, max_files, max_entities, urls).read(root)
