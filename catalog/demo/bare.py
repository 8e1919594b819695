"""Writing a bare repository with a single commit (the benchmark flavour)."""

from __future__ import annotations

import shutil
from pathlib import Path

from catalog.demo.existing import clear_for_rebuild, read_branch_tip
from catalog.demo.git import AUTHOR_EMAIL, AUTHOR_NAME, BRANCH, run_git
from catalog.demo.shas import Files, expected_commit_sha, normalise_message


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
