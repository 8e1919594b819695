"""Real MkDocs builds, in the sandboxed process, of real and hostile docs."""

from __future__ import annotations

import shutil

import pytest

from techdocs.build import BuildError, Limits, build_site
from tests.support.docs import all_html, write
from tests.support.fixtures import shared_fixtures

LIMITS = Limits(seconds=120)


@pytest.mark.parametrize(
    "name",
    [
        "backstage__backstage__plugins__techdocs-backend__examples__documented-component",
        "backstage__demo",
        "redhat-developer__rhdh-local",
        "1-Platform__one-platform__packages__feedback-service",
    ],
)
def test_the_real_trees_build(name, tmp_path):
    source = shared_fixtures("techdocs", name)
    root = tmp_path / "export"
    shutil.copytree(source, root)
    site = build_site(root, tmp_path / "work", "Fallback name", LIMITS)
    docs = root / ("docs" if (root / "docs").is_dir() else ".")
    markdown = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    assert sorted(page.source for page in site.pages) == markdown
    assert all(page.title for page in site.pages)
    assert site.nav
    assert "<script" not in all_html(site)
    assert (site.site_dir / "techdocs_metadata.json").exists()


def test_nested_nav_code_tables_and_admonitions(tmp_path):
    root = write(
        tmp_path / "export",
        {
            "mkdocs.yml": "site_name: Billing\nnav:\n  - Home: index.md\n"
            "  - Guides:\n    - Setup: guides/setup.md\n    - Deep:\n"
            "      - Internals: guides/deep/internals.md\n",
            "docs/index.md": "# Billing\n\nSee [setup](guides/setup.md).\n",
            "docs/guides/setup.md": "# Setup\n\n## Install\n\n"
            "```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            '!!! note "Careful"\n    Body.\n',
            "docs/guides/deep/internals.md": "# Internals\n\n## Storage\n\ntext\n",
        },
    )
    site = build_site(root, tmp_path / "work", "x", LIMITS)
    assert site.nav[1]["title"] == "Guides"
    assert site.nav[1]["children"][1]["children"][0]["url"] == "guides/deep/internals/"
    setup = next(p for p in site.pages if p.source == "guides/setup.md")
    assert setup.url == "guides/setup/"
    assert setup.toc[0]["children"][0]["id"] == "install"
    assert "<table>" in setup.html
    assert 'class="admonition note"' in setup.html
    assert 'class="highlight"' in setup.html or "language-python" in setup.html
    index = next(p for p in site.pages if p.url == "")
    assert 'href="guides/setup/"' in index.html  # links rewritten by MkDocs


def test_hostile_markup_is_removed_from_pages(tmp_path):
    root = write(
        tmp_path / "export",
        {
            "docs/index.md": "# Hi\n\n<script>alert(1)</script>\n\n"
            '<img src="x.png" onerror="alert(2)">\n\n'
            "[click](javascript:alert(3))\n\n"
            '<iframe src="https://evil.example"></iframe>\n\n'
            '<form action="https://evil.example"><input name="q"></form>\n\n'
            '<input type="password"><svg onload="alert(5)"><script>x</script>'
            '<use href="https://evil.example/i.svg#a"/><path d="M0 0"/></svg>\n\n'
            '<img src="https://tracker.example/pixel.png" alt="pixel">\n\n'
            '<a href="https://example.com/ok" onclick="x()">fine</a>\n',
            "docs/static.html": "<script>alert(4)</script>",
        },
    )
    site = build_site(root, tmp_path / "work", "Hostile", LIMITS)
    html = all_html(site)
    for bad in ("<script", "onerror", "javascript:", "<iframe", "<form",
                "tracker.example", "onclick", "onload", "<use", "password",
                "evil.example"):  # fmt: skip
        assert bad not in html, bad
    # No text box to type in: inputs without a toggle type lose it, are
    # read-only, and portal.css hides them.
    assert html.count("<input") == 2
    assert html.count('<input name="q" readonly="readonly">') == 1
    assert html.count('<input readonly="readonly">') == 1
    assert '<svg><path d="M0 0"></path></svg>' in html  # icons: paths only
    assert 'href="https://example.com/ok"' in html
    assert 'src="x.png"' in html


def test_nothing_from_the_repository_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"import pathlib; pathlib.Path({str(marker)!r}).write_text('x')\n"
    root = write(
        tmp_path / "export",
        {
            "mkdocs.yml": "site_name: x\nhooks: [hook.py]\n"
            "markdown_extensions: [myext, 'subprocess:Popen']\n"
            "plugins: [techdocs-core, evil]\n"
            f"extra: {{x: !!python/object/apply:os.system ['touch {marker}']}}\n",
            "hook.py": payload,
            "myext.py": payload,
            "yaml.py": payload,
            "markdown.py": payload,
            "mkdocs/__init__.py": payload,
            "techdocs/__init__.py": payload,
            "techdocs/runner.py": payload,
            "docs/index.md": "# Hi\n",
        },
    )
    site = build_site(root, tmp_path / "work", "x", LIMITS)
    assert not marker.exists()
    assert [page.source for page in site.pages] == ["index.md"]
    ignored = "\n".join(site.log)
    for refused in ("hooks", "myext", "subprocess:Popen", "evil", "python/object"):
        assert refused in ignored


def test_plantuml_without_the_program_shows_the_source(tmp_path):
    root = write(
        tmp_path / "export",
        {"docs/index.md": "# D\n\n```plantuml\n@startuml\nA -> B\n@enduml\n```\n"},
    )
    site = build_site(root, tmp_path / "work", "x", LIMITS)
    assert "A -&gt; B" in site.pages[0].html


def test_a_build_over_its_time_is_stopped(tmp_path):
    root = write(tmp_path / "export", {"docs/index.md": "# Slow\n"})
    with pytest.raises(BuildError, match="longer than 0.05 s"):
        build_site(root, tmp_path / "work", "x", Limits(seconds=0.05))


def test_secrets_in_the_environment_do_not_reach_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user:hunter2@db/greenroom")
    root = write(
        tmp_path / "export",
        {
            "mkdocs.yml": "site_name: !ENV [DATABASE_URL, safe]\n",
            "docs/index.md": "# Env\n",
        },
    )
    site = build_site(root, tmp_path / "work", "x", LIMITS)
    assert site.site_name == "safe"
    assert "hunter2" not in (site.site_dir / "index.html").read_text()
