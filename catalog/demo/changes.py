"""Follow-up commits that turn a built repository into a "changed repo"."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from catalog.demo.git import run_git

# commit_file moves time forward by this much relative to the parent commit, so
# follow-up commits are deterministic too and sort after their parents.
COMMIT_FILE_STEP_SECONDS = 60


def commit_file(repo: Path, relpath: str, content: str | None, message: str) -> str:
    """Write (or, with ``content=None``, delete) ``relpath`` and commit it.

    Works on the current branch of both repository flavours made here:

    * non-bare (demo) repos: the working tree file is written/removed and
      committed with ``git add``/``git rm`` + ``git commit``, so the working
      tree, index and branch stay in sync;
    * bare (synthetic) repos: plumbing only -- a throw-away index file is
      loaded from HEAD, patched with ``update-index``, turned into a tree with
      ``write-tree`` and committed with ``commit-tree``/``update-ref``.

    A commit is always created (an unchanged file gives an empty commit) so the
    returned sha always differs from the previous tip.  The commit is dated one
    minute after its parent, keeping follow-up histories deterministic.
    """
    repo = Path(repo)
    relpath = _checked_relpath(relpath)
    parent_sha, parent_time = run_git(
        ["log", "-1", "--format=%H %ct", "HEAD"], repo
    ).split()
    timestamp = int(parent_time) + COMMIT_FILE_STEP_SECONDS
    if (repo / ".git").exists():
        return _commit_in_worktree(repo, relpath, content, message, timestamp)
    return _commit_in_bare(repo, relpath, content, message, parent_sha, timestamp)


def _checked_relpath(relpath: str) -> str:
    path = PurePosixPath(relpath)
    if (
        path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or path.parts[0] == ".git"
    ):
        raise ValueError(f"relpath must stay inside the repository: {relpath!r}")
    return path.as_posix()


def _commit_in_worktree(
    repo: Path, relpath: str, content: str | None, message: str, timestamp: int
) -> str:
    target = repo / relpath
    if content is None:
        target.unlink(missing_ok=True)
        run_git(["rm", "-q", "--cached", "--ignore-unmatch", "--", relpath], repo)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode())
        run_git(["add", "--", relpath], repo)
    run_git(
        ["commit", "-q", "--no-verify", "--allow-empty", "-m", message],
        repo,
        timestamp=timestamp,
    )
    return run_git(["rev-parse", "HEAD"], repo).strip()


def _commit_in_bare(
    repo: Path,
    relpath: str,
    content: str | None,
    message: str,
    parent_sha: str,
    timestamp: int,
) -> str:
    tree = _patched_tree(repo, relpath, content)
    sha = run_git(
        ["commit-tree", tree, "-p", parent_sha, "-m", message],
        repo,
        timestamp=timestamp,
    ).strip()
    # Compare-and-swap against the parent so a concurrent writer is detected.
    run_git(["update-ref", "-m", "commit_file", "HEAD", sha, parent_sha], repo)
    return sha


def _patched_tree(repo: Path, relpath: str, content: str | None) -> str:
    """HEAD's tree with ``relpath`` replaced or removed, via a throw-away index."""
    with tempfile.TemporaryDirectory(prefix="greenroom-index-") as tmp:
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        run_git(["read-tree", "HEAD"], repo, extra_env=index_env)
        if content is None:
            # Mode 0 removes the entry; `--force-remove` would want a work tree.
            entry = f"0 {'0' * 40}\t{relpath}\n"
        else:
            blob = run_git(
                ["hash-object", "-w", "--stdin"], repo, stdin=content.encode()
            )
            entry = f"100644 {blob.strip()}\t{relpath}\n"
        run_git(
            ["update-index", "--index-info"],
            repo,
            stdin=entry.encode(),
            extra_env=index_env,
        )
        return run_git(["write-tree"], repo, extra_env=index_env).strip()
