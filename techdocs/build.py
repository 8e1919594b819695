"""Building one documentation site from an exported docs folder, safely.

The steps: the repository's mkdocs.yml (or none) becomes safe options
(techdocs/config.py); MkDocs runs on them in a separate process
(techdocs/runner.py) with a minimal environment, no network where the machine
allows it, limits on memory, CPU, file sizes and wall time, from the docs folder
itself; every page it renders is then cleaned (techdocs/sanitize.py). A failure
of any kind is a BuildError whose message is the trimmed log.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techdocs import sanitize
from techdocs.config import (
    CONFIG_NAMES,
    ConfigError,
    PythonName,
    SafeConfig,
    default_options,
    load_untrusted,
)
from techdocs.config import (
    sanitize as sanitize_config,
)

LOG_LINES = 60


class BuildError(Exception):
    """The site could not be built; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class Limits:
    seconds: float = 300
    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 300
    file_bytes: int = 200 * 1024 * 1024


@dataclass(slots=True)
class Page:
    url: str  # as MkDocs has it: "" for the home page, "guide/" for guide.md
    source: str
    title: str
    html: str  # cleaned
    toc: list[dict[str, Any]]


@dataclass(slots=True)
class BuiltSite:
    site_name: str
    pages: list[Page]
    nav: list[dict[str, Any]]
    site_dir: Path  # MkDocs' output: images and other files the pages link to
    log: list[str] = field(default_factory=list)


def safe_config(root: Path, site_name: str) -> SafeConfig:
    """The options for the folder's own config file, or Backstage's default."""
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file():
            return sanitize_config(
                load_untrusted(path.read_bytes()), site_name=site_name
            )
    return sanitize_config(default_options(site_name), site_name=site_name)


def build_site(root: Path, work: Path, site_name: str, limits: Limits) -> BuiltSite:
    """Build the docs exported at `root`, writing only under `work`."""
    try:
        config = safe_config(root, site_name)
    except ConfigError as exc:
        raise BuildError(str(exc)) from None
    log = [f"ignored from the MkDocs config: {reason}" for reason in config.dropped]
    if not (root / (config.docs_dir or ".")).is_dir():
        raise BuildError(f"the docs folder {config.docs_dir or '.'!r} is missing")
    work.mkdir(parents=True, exist_ok=True)
    job = {
        "root": str(root),
        "options": _json(config.options),
        "docs_dir": config.docs_dir or ".",
        "site_dir": str(work / "site"),
        "output": str(work / "pages.json"),
    }
    (work / "job.json").write_text(json.dumps(job))
    log += _run(work, root, limits)
    try:
        captured = json.loads((work / "pages.json").read_text())
    except (OSError, ValueError):
        raise BuildError(
            "\n".join(log[-LOG_LINES:]) or "MkDocs wrote no pages"
        ) from None
    pages = [
        Page(
            url=page["url"],
            source=page["src"],
            title=page["title"] or page["src"],
            html=sanitize.clean(page["content"]),
            toc=page["toc"],
        )
        for page in captured["pages"]
    ]
    return BuiltSite(captured["site_name"], pages, captured["nav"], work / "site", log)


def _json(value: Any) -> Any:
    if isinstance(value, PythonName):
        return {"__python_name__": value.dotted}
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def _run(work: Path, root: Path, limits: Limits) -> list[str]:
    """Run the builder; its output lines, or BuildError with the last of them."""
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {  # nothing of ours: no database URL, no secret key, no tokens
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    # -I: isolated, so nothing in the docs folder (the working directory) or the
    # environment can put modules in front of ours (a `yaml.py` in the repo...).
    runner = [sys.executable, "-I", "-m", "techdocs.runner", str(work / "job.json")]
    command = [*_no_network(), *runner]
    process = subprocess.Popen(  # noqa: S603 - our interpreter and our module
        command,
        cwd=root,  # snippets resolve against the docs folder, never above it
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=functools.partial(_limit, limits),  # noqa: PLW1509
    )
    try:
        output, _ = process.communicate(timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise BuildError(
            f"the build took longer than {limits.seconds:g} s and was stopped"
        ) from None
    lines = output.decode("utf-8", "replace").splitlines()
    if process.returncode != 0:
        reason = "\n".join(lines[-LOG_LINES:])
        if process.returncode < 0:
            reason += f"\nthe build was stopped by signal {-process.returncode}"
        raise BuildError(reason.strip() or f"MkDocs failed ({process.returncode})")
    return lines


def _limit(limits: Limits) -> None:
    """In the child, before MkDocs starts: ceilings it cannot raise again."""
    for kind, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(kind, (value, value))


@functools.cache
def _no_network() -> list[str]:
    """`unshare -n` when this machine lets us (an empty network namespace)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run(  # noqa: S603
        [unshare, "-n", "true"], capture_output=True, check=False
    )
    return [unshare, "-n"] if probe.returncode == 0 else []
