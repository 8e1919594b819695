"""Building the "Acme Shop" demo organisation as non-bare git repositories."""

from __future__ import annotations

from pathlib import Path

from demo.components import component_repo_files
from demo.org import ORG_REPO, acme, org_repo_files
from demo.repos import run_parallel, write_worktree_repo

# 2024-03-01T09:00:00Z.  Each demo repo is committed an hour after the previous
# one so the history looks plausible while staying fixed.
DEMO_EPOCH = 1_709_283_600


def demo_repos() -> list[tuple[str, dict[str, bytes]]]:
    """(repo name, path -> content) for every demo repo, acme-org first."""
    repos = [(ORG_REPO, org_repo_files())]
    repos += [
        (comp["repo"], component_repo_files(comp)) for comp in acme()["components"]
    ]
    return repos


def build_demo_org(root: Path) -> list[Path]:
    """Write the Acme Shop demo organisation under ``root``.

    One non-bare repository per directory (``root/<repo>``), each with a single
    commit on ``main`` by ``Greenroom Demo`` at a fixed date.  A repository whose
    ``main`` already points at the expected commit is left untouched; any other
    existing git repository at that path (edited, or built from older demo
    data) is deleted and rebuilt so the result is always the canonical demo.
    Returns the repository paths, ``acme-org`` first, then table order.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    repos = demo_repos()

    def build(index: int) -> None:
        name, files = repos[index]
        message = f"Add catalog descriptors for {name}"
        write_worktree_repo(root / name, files, message, DEMO_EPOCH + 3600 * index)

    run_parallel(build, len(repos))
    return [root / name for name, _ in repos]
