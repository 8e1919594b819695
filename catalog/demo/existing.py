"""Repositories already on disk: read their branch tip, clear them for a rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

from catalog.demo.git import BRANCH


def read_branch_tip(git_dir: Path) -> str | None:
    """Sha ``main`` points at, or None if HEAD is elsewhere or unreadable."""
    # Reading the ref file directly avoids a subprocess per repo on re-runs.
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    if head != f"ref: refs/heads/{BRANCH}":
        return None
    try:
        return (git_dir / "refs" / "heads" / BRANCH).read_text().strip()
    except OSError:
        pass
    return _packed_branch_tip(git_dir)


def _packed_branch_tip(git_dir: Path) -> str | None:
    try:
        packed = (git_dir / "packed-refs").read_text()
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, ref = line.partition(" ")
        if ref == f"refs/heads/{BRANCH}":
            return sha
    return None


def clear_for_rebuild(path: Path, git_dir: Path) -> None:
    """Remove the repository at ``path`` (``git_dir`` is its .git or itself)."""
    if not path.exists():
        return
    # Only ever delete something that is recognisably a git repository; a
    # stray directory with other data in it is the caller's to sort out.
    if not (git_dir / "HEAD").is_file():
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
            return
        raise FileExistsError(f"{path} exists and is not a git repository")
    shutil.rmtree(path)
