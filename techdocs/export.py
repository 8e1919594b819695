"""A documentation folder at one commit, written from git's objects into a new dir.

Nothing is read from a working tree: the files come out of the object database,
so a symbolic link is only ever a name (links and submodules are left out and
listed), and nothing outside the folder can be reached. Counts and sizes are
checked on the listing before any file is read. The folder's tree hash is the
build input's fingerprint: same hash, same docs.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

import git

from techdocs.config import CONFIG_NAMES, ConfigError, load_untrusted

REGULAR = (0o100644, 0o100755)
SYMLINK, SUBMODULE = 0o120000, 0o160000


class ExportError(ValueError):
    """The folder cannot be exported; the message says why."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_files: int
    max_bytes: int
    max_file_bytes: int


@dataclass(slots=True)
class Exported:
    root: Path
    tree: str  # git's hash of the folder: the fingerprint of the docs input
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)


def folder_tree(repo: git.Repo, commit: str, folder: str) -> str:
    """The hash of `folder` at `commit` (cheap: no file is read); ExportError when
    it is missing or not a folder."""
    return str(_folder(repo, commit, folder).hexsha)


def _folder(repo: git.Repo, commit: str, folder: str) -> git.Tree:
    try:
        root = repo.commit(commit).tree
        node = root / folder if folder else root
    except (KeyError, ValueError, git.BadName):
        raise ExportError(f"{folder or 'the repository root'} is not there") from None
    if node.type != "tree":
        raise ExportError(f"{folder} is not a folder")
    return node


def docs_fingerprint(repo: git.Repo, commit: str, folder: str) -> str:
    """What a build reads, hashed: the config file and the docs_dir it names.

    Files beside them (a README at the root of a `dir:.` folder) do not count,
    so a commit that changes only those builds nothing. ExportError when the
    folder is missing or not a folder.
    """
    base = _folder(repo, commit, folder)
    config_sha, docs_dir = "none", "docs"
    for name in CONFIG_NAMES:
        try:
            blob = base / name
        except KeyError:
            continue
        config_sha = str(blob.hexsha)
        try:
            raw = load_untrusted(blob.data_stream.read())
        except ConfigError:
            raw = None
        if isinstance(raw, dict) and isinstance(raw.get("docs_dir"), str):
            docs_dir = raw["docs_dir"].strip() or "docs"
        break
    try:
        docs_sha = str((base / posixpath.normpath(docs_dir)).hexsha)
    except (KeyError, ValueError):
        docs_sha = "missing"
    return hashlib.sha256(f"{config_sha}:{docs_dir}:{docs_sha}".encode()).hexdigest()


def export_folder(
    repo: git.Repo, commit: str, folder: str, target: Path, limits: Limits
) -> Exported:
    """Write the regular files under `folder` at `commit` into `target`."""
    tree = folder_tree(repo, commit, folder)
    listing = _list(repo, commit, folder)
    exported = Exported(root=target, tree=tree)
    wanted: list[tuple[str, str]] = []
    for mode, sha, size, path in listing:
        relative = posixpath.relpath(path, folder) if folder else path
        if mode == SYMLINK:
            exported.skipped.append(f"{relative}: a symbolic link, not followed")
        elif mode == SUBMODULE or mode not in REGULAR:
            exported.skipped.append(f"{relative}: not a regular file")
        elif size > limits.max_file_bytes:
            exported.skipped.append(
                f"{relative}: {size} bytes, over the limit of {limits.max_file_bytes}"
            )
        else:
            wanted.append((sha, relative))
            exported.bytes += size
    if len(wanted) > limits.max_files:
        raise ExportError(
            f"{len(wanted)} files in the documentation folder, "
            f"over the limit of {limits.max_files}"
        )
    if exported.bytes > limits.max_bytes:
        raise ExportError(
            f"{exported.bytes} bytes in the documentation folder, "
            f"over the limit of {limits.max_bytes}"
        )
    for sha, relative in wanted:
        path = _inside(target, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(repo.odb.stream(bytes.fromhex(sha)).read())
        exported.files += 1
    return exported


def _list(repo: git.Repo, commit: str, folder: str) -> list[tuple[int, str, int, str]]:
    """(mode, sha, size, path) of everything under `folder`, one git process."""
    args = ["-r", "-z", "-l", "--full-tree", commit]
    if folder:
        args += ["--", f"{folder}/"]
    out = repo.git.ls_tree(*args)
    entries = []
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, _kind, sha, size = meta.split()
        entries.append((int(mode, 8), sha, int(size) if size != "-" else 0, path))
    return entries


def _inside(root: Path, relative: str) -> Path:
    parts = relative.split("/")
    if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ExportError(f"{relative!r} is not a plain path")
    return root.joinpath(*parts)
