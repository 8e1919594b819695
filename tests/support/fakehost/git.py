"""Real bare git repositories on disk, and git's smart HTTP over them.

A new repository's first commit is written as loose objects straight from Python
(a fraction of a millisecond, where two git processes take ~15 ms: tests add
hundreds of repositories). Every later change goes through `git fast-import`,
and every read through `git cat-file` / `git diff`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import zlib
from pathlib import Path

AUTHOR = "Fake Host <fakehost@example.invalid>"

ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Fake Host",
    "GIT_AUTHOR_EMAIL": "fakehost@example.invalid",
    "GIT_COMMITTER_NAME": "Fake Host",
    "GIT_COMMITTER_EMAIL": "fakehost@example.invalid",
    "GIT_TERMINAL_PROMPT": "0",
}


def _env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        **ENV,
    }


def git(git_dir: Path, *args: str, data: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        input=data,
        env=_env(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    if result.returncode:
        raise GitError(result.stderr.decode(errors="replace").strip())
    return result.stdout


class GitError(RuntimeError):
    pass


def blob_sha(data: bytes) -> str:
    """The id git gives these bytes as a blob (the hosts' file `sha`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324


def _write_object(git_dir: Path, kind: str, body: bytes) -> str:
    raw = f"{kind} {len(body)}\0".encode() + body
    sha = hashlib.sha1(raw).hexdigest()  # noqa: S324
    path = git_dir / "objects" / sha[:2] / sha[2:]
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(zlib.compress(raw, 1))
    return sha


def _write_tree(git_dir: Path, entries: dict[str, object]) -> str:
    # git orders entries by name, a directory's name as if it ended with "/".
    rows = []
    for name, value in entries.items():
        if isinstance(value, dict):
            rows.append((name + "/", b"40000", name, _write_tree(git_dir, value)))
        else:
            assert isinstance(value, bytes)
            rows.append((name, b"100644", name, _write_object(git_dir, "blob", value)))
    body = b"".join(
        mode + b" " + name.encode() + b"\0" + bytes.fromhex(sha)
        for _, mode, name, sha in sorted(rows, key=lambda row: row[0].encode())
    )
    return _write_object(git_dir, "tree", body)


def create(git_dir: Path, branch: str, files: dict[str, str], when: int) -> str:
    """A new bare repository whose `branch` holds `files` in one commit; its sha."""
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    for sub in ("", "objects", "objects/pack", "refs", "refs/heads"):
        (git_dir / sub).mkdir()  # git makes the rest on demand
    (git_dir / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
    )
    (git_dir / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    tree: dict[str, object] = {}
    for path, text in files.items():
        *dirs, leaf = path.strip("/").split("/")
        node = tree
        for part in dirs:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[leaf] = text.encode()
    stamp = f"{AUTHOR} {when} +0000"
    tree_sha = _write_tree(git_dir, tree)
    commit = f"tree {tree_sha}\nauthor {stamp}\ncommitter {stamp}\n\nInitial commit\n"
    sha = _write_object(git_dir, "commit", commit.encode())
    (git_dir / "refs" / "heads" / branch).write_text(sha + "\n")
    return sha


def _quote(path: str) -> bytes:
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'.encode()


def commit(
    git_dir: Path,
    branch: str,
    changes: dict[str, str | None],
    message: str,
    when: int,
    *,
    start: str | None = None,
    merge: str | None = None,
) -> str:
    """Commit `changes` (None deletes) on `branch`, from its tip or from `start`."""
    parent = start or resolve(git_dir, branch)
    stamp = f"{AUTHOR} {when} +0000".encode()
    msg = message.encode()
    out = [b"commit refs/heads/" + branch.encode(), b"author " + stamp]
    out += [b"committer " + stamp, b"data %d" % len(msg), msg]
    if parent:
        out.append(b"from " + parent.encode())
    if merge:
        out.append(b"merge " + merge.encode())
    for path, text in changes.items():
        if text is None:
            out.append(b"D " + _quote(path))
        else:
            data = text.encode()
            out += [b"M 100644 inline " + _quote(path), b"data %d" % len(data), data]
    git(git_dir, "fast-import", "--quiet", "--force", data=b"\n".join(out) + b"\n\n")
    sha = resolve(git_dir, branch)
    assert sha
    return sha


def resolve(git_dir: Path, ref: str) -> str | None:
    """The commit a branch, tag or sha names, or None."""
    if not ref or ref.startswith("-"):
        return None  # never an option to git
    try:
        out = git(git_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return None
    return out.decode().strip() or None


def read(git_dir: Path, ref: str, path: str) -> bytes | None:
    """A file's bytes at `ref`, or None (no such ref, path, or not a file)."""
    sha = resolve(git_dir, ref)
    if sha is None:
        return None
    try:
        kind = git(git_dir, "cat-file", "-t", f"{sha}:{path}").decode().strip()
        if kind != "blob":
            return None
        return git(git_dir, "cat-file", "blob", f"{sha}:{path}")
    except GitError:
        return None


def set_branch(git_dir: Path, name: str, sha: str) -> None:
    git(git_dir, "update-ref", f"refs/heads/{name}", sha)


def changes(git_dir: Path, base: str, head: str) -> dict[str, str | None]:
    """What `head` changed since it left `base`: path -> new text, None if deleted."""
    out = git(
        git_dir, "diff", "--no-renames", "--name-status", "-z", f"{base}...{head}"
    )
    parts = out.decode().split("\0")
    result: dict[str, str | None] = {}
    for status, path in zip(parts[0::2], parts[1::2], strict=False):
        if status.startswith("D"):
            result[path] = None
        elif status:
            data = read(git_dir, head, path)
            result[path] = data.decode(errors="replace") if data is not None else None
    return result


def http_backend(
    root: Path,
    method: str,
    path_info: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[int, dict[str, str], bytes]:
    """git's smart HTTP server (`git http-backend` as a CGI), upload-pack only."""
    env = {
        **_env(),
        "GIT_PROJECT_ROOT": str(root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "REQUEST_METHOD": method,
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "CONTENT_TYPE": headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_CONTENT_ENCODING": headers.get("content-encoding", ""),
        "GIT_PROTOCOL": headers.get("git-protocol", ""),
        "REMOTE_ADDR": "127.0.0.1",
    }
    out = subprocess.run(
        ["git", "http-backend"],
        input=body,
        env=env,
        capture_output=True,
        check=False,
        timeout=60,
    ).stdout
    head, _, payload = out.partition(b"\r\n\r\n")
    status, answer = 200, {}
    for line in head.decode(errors="replace").split("\r\n"):
        name, _, value = line.partition(": ")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name:
            answer[name] = value
    return status, answer, payload


def commit_info(git_dir: Path, sha: str) -> tuple[str, list[str]]:
    """A commit's tree and parents."""
    out = git(git_dir, "log", "-1", "--format=%T %P", sha).decode().split()
    return out[0], out[1:]


def last_commit(git_dir: Path, ref: str, path: str) -> str | None:
    """The last commit at or before `ref` that changed `path`."""
    try:
        out = git(git_dir, "log", "-1", "--format=%H", ref, "--", path)
    except GitError:
        return None
    return out.decode().strip() or None
