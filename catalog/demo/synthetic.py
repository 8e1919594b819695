"""Building the synthetic benchmark organisation as bare git repositories."""

from __future__ import annotations

import tempfile
from pathlib import Path

from catalog.demo.bare import init_bare, write_bare_repo
from catalog.demo.descriptors import dump_fast
from catalog.demo.parallel import run_parallel
from catalog.demo.synthetic_docs import synthetic_documents

SYNTHETIC_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


def build_synthetic_org(
    root: Path, repos: int = 1000, entities_per_repo: int = 10, *, seed: int = 1
) -> list[Path]:
    """Write ``repos`` bare repositories for ingestion benchmarks.

    Each ``root/repo-NNNNN.git`` is a bare repository (clone it with
    ``git clone file://...``) whose ``main`` branch (HEAD) has one commit with
    ``catalog-info.yaml`` holding exactly ``entities_per_repo`` documents:
    Components, APIs with small inline definitions and Resources, names unique
    across the org.  Repo 0 starts with the groups (``synth-org``,
    ``synth-team-0..3``) and systems (``synth-system-0..2``) that every owner
    and system reference points at; these count towards its quota (below
    eight entities per repo some of them are cut off and references dangle).
    A repo's content depends on ``repos`` and ``seed`` (cross-repo API
    consumers), so changing either rebuilds every repository.

    Written with one ``git init --bare`` (copied as a skeleton) + one
    ``git fast-import`` per repo, in a thread pool (about 6 s for 1,000 repos
    on two cores).  Same arguments give the same commit shas; repos already at
    the expected commit are skipped, so re-running a benchmark setup is cheap.
    """
    if repos < 1 or entities_per_repo < 1:
        raise ValueError("repos and entities_per_repo must be at least 1")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"repo-{i:05d}.git" for i in range(repos)]

    with tempfile.TemporaryDirectory(prefix="greenroom-skeleton-") as tmp:
        skeleton = Path(tmp) / "empty.git"
        init_bare(skeleton)

        def build(index: int) -> None:
            docs = synthetic_documents(index, repos, entities_per_repo, seed)
            files = {"catalog-info.yaml": dump_fast(docs)}
            message = f"Synthetic catalog for repo {index}"
            timestamp = SYNTHETIC_EPOCH + index
            write_bare_repo(paths[index], files, message, timestamp, skeleton)

        run_parallel(build, repos)
    return paths
