"""Running git with a fixed identity and a scrubbed environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

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
