"""Writing deterministic git repositories, and follow-up commits in them.

Everything the builders write is deterministic: fixed author, fixed dates and
a scrubbed git environment make commit shas identical from run to run, which
is what lets them skip repositories that are already up to date (the expected
commit sha is computed here and compared with the branch tip before touching
git). Two flavours: non-bare repositories with a working tree (the demo) and
bare ones written through fast-import (the benchmarks).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

# Running git with a fixed identity and a scrubbed environment.

AUTHOR_NAME = "Greenroom Demo"
AUTHOR_EMAIL = "demo@greenroom.invalid"
BRANCH = "main"


class GitError(RuntimeError):
    """A git subprocess failed; the message carries git's stderr."""


def git_env(timestamp: int | None = None) -> dict[str, str]:
    # Drop inherited GIT_* variables (GIT_DIR, GIT_INDEX_FILE from a hook, ...)
    # and ignore the user's/system config: signing, hooks paths, autocrlf or a
    # different default branch would otherwise change the shas we promise.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=AUTHOR_NAME,
        GIT_AUTHOR_EMAIL=AUTHOR_EMAIL,
        GIT_COMMITTER_NAME=AUTHOR_NAME,
        GIT_COMMITTER_EMAIL=AUTHOR_EMAIL,
        LC_ALL="C",
    )
    if timestamp is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{timestamp} +0000"
    return env


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    timestamp: int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    """Run ``git args`` in ``cwd`` and return its stdout; raise GitError."""
    env = git_env(timestamp)
    if extra_env:
        env.update(extra_env)
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(
            f"git {' '.join(args)} failed in {cwd} ({proc.returncode}): "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode()


# Predicting the sha of the root commit a builder will create.

Files = Mapping[str, bytes]


def expected_commit_sha(files: Files, message: str, timestamp: int) -> str:
    """Sha of the root commit the builders create for ``files``.

    Mirrors git's object format exactly (regular files only, one root commit,
    fixed identity); tests assert it equals what git really produced, which is
    what makes the "already up to date" short-cut trustworthy.
    """
    ident = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {timestamp} +0000"
    body = (
        f"tree {_tree_sha(files).hex()}\n"
        f"author {ident}\ncommitter {ident}\n\n{normalise_message(message)}"
    ).encode()
    return _hash_object(b"commit", body).hex()


def normalise_message(message: str) -> str:
    # `git commit -m` strips trailing whitespace and ends with one newline;
    # the fast-import path writes the same bytes so both agree.
    return message.strip() + "\n"


def _hash_object(kind: bytes, body: bytes) -> bytes:
    # Same framing git uses for loose objects; only used to predict shas.
    header = kind + b" " + str(len(body)).encode() + b"\0"
    return hashlib.sha1(header + body, usedforsecurity=False).digest()


def _tree_sha(files: Files) -> bytes:
    nested: dict[str, Any] = {}
    for relpath, content in files.items():
        *dirs, leaf = relpath.split("/")
        node = nested
        for part in dirs:
            node = node.setdefault(part, {})
        node[leaf] = content
    return _tree_node_sha(nested)


def _tree_node_sha(node: Mapping[str, Any]) -> bytes:
    entries: list[tuple[bytes, bytes]] = []
    for name, value in node.items():
        raw = name.encode()
        if isinstance(value, dict):
            # git orders a subtree as if its name ended with "/".
            entries.append(
                (raw + b"/", b"40000 " + raw + b"\0" + _tree_node_sha(value))
            )
        else:
            entries.append(
                (raw, b"100644 " + raw + b"\0" + _hash_object(b"blob", value))
            )
    entries.sort()
    return _hash_object(b"tree", b"".join(entry for _, entry in entries))


# Repositories already on disk: read their branch tip, clear them for a rebuild.


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


# Building many repositories at once.


def run_parallel(func: Callable[[int], object], count: int) -> None:
    """Call ``func(0) .. func(count - 1)`` in a thread pool; re-raise failures."""
    # Threads are enough: the heavy lifting happens in git subprocesses, and
    # the Python part (YAML) interleaves with them even on two cores.
    workers = max(1, min(16, (os.cpu_count() or 1) * 2, count))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # list() re-raises the first worker exception here.
        list(pool.map(func, range(count)))


# A bare repository with a single commit (the benchmark flavour).


def init_bare(path: Path) -> None:
    # --template= skips copying the sample hooks: a measurable saving over
    # thousands of repos, and a bare benchmark repo has no use for them.
    run_git(
        ["init", "-q", "--bare", "--template=", "-b", BRANCH, str(path)], path.parent
    )


def write_bare_repo(
    path: Path, files: Files, message: str, timestamp: int, skeleton: Path | None = None
) -> bool:
    """Create a bare repo with one commit via fast-import; False if unchanged.

    ``skeleton`` is an empty repository made by ``git init --bare`` once;
    copying it is ~20x cheaper than starting ``git init`` for every repo.
    """
    expected = expected_commit_sha(files, message, timestamp)
    if read_branch_tip(path) == expected:
        return False
    clear_for_rebuild(path, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if skeleton is None:
        init_bare(path)
    else:
        shutil.copytree(skeleton, path)
    # unpackLimit=0 keeps the tiny pack as is; the default (100) would explode
    # it into loose objects through an extra unpack-objects process per repo.
    run_git(
        ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet"],
        path,
        stdin=_fast_import_stream(files, message, timestamp),
    )
    return True


def _fast_import_stream(files: Files, message: str, timestamp: int) -> bytes:
    ident = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {timestamp} +0000".encode()
    msg = normalise_message(message).encode()
    stream = [
        b"commit refs/heads/" + BRANCH.encode() + b"\n",
        b"author " + ident + b"\n",
        b"committer " + ident + b"\n",
        b"data %d\n" % len(msg),
        msg,
    ]
    for relpath, content in sorted(files.items()):
        stream += [
            b"M 100644 inline " + relpath.encode() + b"\n",
            b"data %d\n" % len(content),
            content,
            b"\n",
        ]
    stream.append(b"\n")
    return b"".join(stream)


# A non-bare repository with a single commit (the demo flavour).


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


# Follow-up commits that turn a built repository into a "changed repo".

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
