"""Exporting a docs folder from git objects: regular files only, within limits."""

from __future__ import annotations

import git
import pytest

from techdocs.export import ExportError, Limits, export_folder, folder_tree
from tests.support.gitrepos import Symlink

LIMITS = Limits(max_files=50, max_bytes=100_000, max_file_bytes=20_000)


def export(repo, folder, tmp_path, limits=LIMITS):
    return export_folder(
        git.Repo(repo.path), repo.head(), folder, tmp_path / "out", limits
    )


def test_files_come_from_the_commit_and_links_are_left_out(repos, tmp_path):
    repo = repos.create(
        "docs",
        {
            "svc/mkdocs.yml": "site_name: x\n",
            "svc/docs/index.md": "# Hello\n",
            "svc/docs/img/a.png": b"\x89PNG data",
            "svc/docs/leak.md": Symlink("/etc/passwd"),
            "svc/docs/root": Symlink("/"),
            "svc/docs/up": Symlink("../../.."),
            "other/secret.md": "not exported\n",
        },
    )
    exported = export(repo, "svc", tmp_path)
    out = tmp_path / "out"
    assert sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    ) == [
        "docs/img/a.png",
        "docs/index.md",
        "mkdocs.yml",
    ]
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert (out / "docs/img/a.png").read_bytes() == b"\x89PNG data"
    assert len(exported.skipped) == 3
    assert all("symbolic link" in reason for reason in exported.skipped)
    assert exported.tree == folder_tree(git.Repo(repo.path), repo.head(), "svc")


def test_the_fingerprint_changes_only_with_the_folder(repos, tmp_path):
    repo = repos.create("docs", {"svc/docs/index.md": "# A\n", "README.md": "x\n"})
    bare = git.Repo(repo.path)
    before = folder_tree(bare, repo.head(), "svc")
    repo.commit({"README.md": "changed outside\n"})
    assert folder_tree(bare, repo.head(), "svc") == before
    repo.commit({"svc/docs/index.md": "# B\n"})
    assert folder_tree(bare, repo.head(), "svc") != before
    with pytest.raises(ExportError, match="not there"):
        folder_tree(bare, repo.head(), "missing")
    with pytest.raises(ExportError, match="not a folder"):
        folder_tree(bare, repo.head(), "README.md")


def test_limits_are_checked_before_anything_is_read(repos, tmp_path):
    many = {f"docs/page-{i}.md": f"# {i}\n" for i in range(60)}
    repo = repos.create("many", many)
    with pytest.raises(ExportError, match="60 files .* over the limit of 50"):
        export(repo, "", tmp_path)
    assert not (tmp_path / "out").exists()
    big = repos.create(
        "big", {"docs/huge.bin": b"x" * 30_000, "docs/index.md": "# ok\n"}
    )
    exported = export(big, "", tmp_path)
    assert "huge.bin: 30000 bytes" in exported.skipped[0]
    assert (tmp_path / "out/docs/index.md").exists()
    total = repos.create("total", {f"d/{i}.md": b"y" * 15_000 for i in range(8)})
    with pytest.raises(ExportError, match="120000 bytes"):
        export(total, "", tmp_path / "t")
