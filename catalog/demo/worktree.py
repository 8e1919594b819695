"""Writing a non-bare repository with a single commit (the demo flavour)."""

from __future__ import annotations

from pathlib import Path

from catalog.demo.existing import clear_for_rebuild, read_branch_tip
from catalog.demo.git import BRANCH, run_git
from catalog.demo.shas import Files, expected_commit_sha


def write_worktree_repo(path: Path, files: Files, message: str, timestamp: int) -> bool:
    """Create a non-bare repo with one commit; return False if already there."""
    expected = expected_commit_sha(files, message, timestamp)
    if read_branch_tip(path / ".git") == expected:
        return False
    clear_for_rebuild(path, path / ".git")
    path.mkdir(parents=True)
    for relpath, content in files.items():
        target = path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    run_git(["init", "-q", "-b", BRANCH], path)
    run_git(["add", "-A"], path)
    run_git(["commit", "-q", "--no-verify", "-m", message], path, timestamp=timestamp)
    return True
