"""Real git repositories for tests, served over file:// or git daemon."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class Symlink:
    target: str


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


class Repo:
    """A non-bare repository with a `main` branch, changed by `commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        git(path, "init", "--quiet", "--initial-branch=main")

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def commit(
        self,
        files: dict[str, str | bytes | Symlink | None],
        message: str = "change",
        branch: str | None = None,
    ) -> str:
        if branch:
            git(self.path, "checkout", "--quiet", "-B", branch)
        for name, content in files.items():
            target = self.path / name
            if content is None:
                git(self.path, "rm", "--quiet", "-r", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if isinstance(content, Symlink):
                os.symlink(content.target, target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            git(self.path, "add", "--", name)
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def delete_branch(self, branch: str) -> None:
        git(self.path, "branch", "--quiet", "-D", branch)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class GitDaemon:
    """`git daemon` on 127.0.0.1 serving every repository under `base`."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                f"--base-path={base}",
                str(base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("git daemon did not start")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, repo: Repo) -> str:
        return f"git://{self.host}/{repo.path.relative_to(self.base)}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Repos:
    """The repositories of one test, made under one folder by name."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def create(self, name: str, files: dict[str, object] | None = None) -> Repo:
        repo = Repo(self.base / name)
        if files is not None:
            repo.commit(files, "initial")  # type: ignore[arg-type]
        return repo
