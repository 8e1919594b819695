"""Hostile mkdocs.yml: the catalog loader's limits, options checked at every depth."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from techdocs.build import BuildError, Limits, build_site
from techdocs.config import ConfigError, PythonName, load_untrusted, sanitize
from tests.support.docs import all_html, write


def safe(text: str):
    return sanitize(load_untrusted(text), site_name="billing")


def alias_bomb(levels: int) -> str:
    """Nine copies of the level below, `levels` times: 9**(levels+1) strings."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        below = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{below}]")
    return "site_name: x\nextra:\n" + "".join(f"  {line}\n" for line in lines)


# Finding 6: one loader for untrusted YAML, with the catalog loader's limits.


def test_an_alias_bomb_is_refused_quickly():
    text = alias_bomb(5)  # 531,441 strings from 300 bytes; ten levels would need GBs
    assert len(text) < 400
    started = time.monotonic()
    with pytest.raises(ConfigError, match="too many YAML nodes"):
        load_untrusted(text)
    assert time.monotonic() - started < 0.5


def test_an_alias_bomb_fails_the_build_with_a_clear_error(tmp_path):
    root = write(
        tmp_path / "export", {"mkdocs.yml": alias_bomb(5), "docs/index.md": "# x\n"}
    )
    started = time.monotonic()
    with pytest.raises(BuildError, match="MkDocs config .*too many YAML nodes"):
        build_site(root, tmp_path / "work", "billing", Limits(seconds=60))
    assert time.monotonic() - started < 1
    assert not (tmp_path / "work").exists()  # refused before anything ran


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("site_name: x\nsite_name: y\n", "duplicate key"),
        ("extra: " + "[" * 60 + "]" * 60 + "\n", "nesting deeper"),
        ("base: &b {a: 1}\nextra: {<<: *b}\n", "merge keys"),
        ("site_name: !custom x\n", "unsupported YAML tag '!custom'"),
        ("a: 1\n---\nb: 2\n", "too many YAML documents"),
    ],
)
def test_what_the_catalog_loader_refuses_is_refused(text, reason):
    with pytest.raises(ConfigError, match=reason):
        load_untrusted(text)


def test_mkdocs_tags_and_yaml_1_1_values_read_as_mkdocs_reads_them(monkeypatch):
    monkeypatch.setenv("HOME_SECRET", "hunter2")
    raw = load_untrusted(
        "site_name: !ENV [HOME_SECRET, Billing]\n"
        "copyright: !ENV HOME_SECRET\n"
        "docs_dir: !relative $config_dir\n"
        "markdown_extensions:\n"
        "  - toc: {permalink: yes, toc_depth: 0x3}\n"
        "  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      emoji_generator: !!python/name:os.system\n"
        "  - pymdownx.superfences:\n"
        "      custom_fences:\n"
        "        - name: x\n"
        "          format: !!python/object/apply:os.system [touch /tmp/x]\n"
    )
    assert raw["site_name"] == "Billing"
    assert raw["copyright"] is None
    assert raw["docs_dir"] is None
    toc, emoji, fences = raw["markdown_extensions"]
    assert toc == {"toc": {"permalink": True, "toc_depth": 3}}
    options = emoji["pymdownx.emoji"]
    assert options["emoji_index"] == PythonName("material.extensions.emoji.twemoji")
    config = sanitize(raw, site_name="x")
    assert "hunter2" not in repr(config)
    assert config.options["markdown_extensions"][1] == {
        "pymdownx.emoji": {
            "emoji_index": PythonName("material.extensions.emoji.twemoji"),
            "emoji_generator": None,
        }
    }
    assert config.options["markdown_extensions"][2] == {
        "pymdownx.superfences": {"custom_fences": [{"name": "x"}]}
    }
    reasons = " ".join(config.dropped)
    assert "!!python/name" in reasons
    assert "!!python/object" in reasons


# Finding 7: options that name a path, a program or a server, at any depth.


def test_nested_options_that_name_host_paths_are_dropped():
    config = safe(
        "markdown_extensions:\n"
        "  - pymdownx.emoji: {options: {custom_icons: [/usr/share]}}\n"
        "  - plantuml_markdown: {cachedir: /tmp/c, base_dir: /etc, format: svg}\n"
        "  - pymdownx.superfences:\n"
        "      custom_fences: [{name: m, class: m, base_path: /, cmd: sh}]\n"
        "  - pymdownx.snippets: {base_path: [/], check_paths: true}\n"
        "  - markdown.extensions.extra: {footnotes: {config: /etc/x}}\n"
        "  - pymdownx.highlight: {pygments_lang_class: true, extend_pygments_lang:"
        " [{name: x, lang: py, options: {style_file: /etc/passwd}}]}\n"
        "  - codehilite: {pygments_formatter: img}\n"
        "  - wikilinks: {build_url: !!python/name:os.system, base_url: /w/}\n"
    )
    emoji, plantuml, fences, snippets, extra, highlight, codehilite, wiki = (
        config.options["markdown_extensions"]
    )
    assert emoji == {"pymdownx.emoji": {"options": {}}}
    assert plantuml == {"plantuml_markdown": {"format": "svg"}}
    assert fences == {
        "pymdownx.superfences": {"custom_fences": [{"name": "m", "class": "m"}]}
    }
    assert snippets == {
        "pymdownx.snippets": {"check_paths": True, "restrict_base_path": True}
    }
    assert extra == {"markdown.extensions.extra": {"footnotes": {}}}
    assert highlight == {
        "pymdownx.highlight": {
            "pygments_lang_class": True,
            "extend_pygments_lang": [{"name": "x", "lang": "py", "options": {}}],
        }
    }
    assert codehilite == "codehilite"
    assert wiki == {"wikilinks": {"base_url": "/w/"}}
    reasons = "\n".join(config.dropped)
    for refused in (
        "custom_icons",
        "cachedir",
        "base_dir",
        "custom_fences.base_path",
        "custom_fences.cmd",
        "snippets: option 'base_path'",
        "extra.footnotes.config",
        "style_file",
        "pygments_formatter",
        "build_url",
    ):
        assert refused in reasons, refused


def test_plugin_and_theme_options_are_checked_at_every_depth():
    config = safe(
        "plugins:\n"
        "  - search: {lang: [en, {path: /etc}], separator: '[\\s\\-]+'}\n"
        "  - techdocs-core: {use_material_search: {custom_dir: /}}\n"
        "theme:\n"
        "  name: material\n"
        "  custom_dir: /etc\n"
        "  language: ../../../etc/passwd\n"
        "  direction: sideways\n"
        "  features: [navigation.tabs, {dir: /etc}]\n"
        "  icon:\n"
        "    logo: ../../../../../etc/passwd\n"
        "    repo: fontawesome/brands/github\n"
        "    admonition: {note: octicons/tag-16, tip: /etc/hosts}\n"
        "    tag: {custom_dir: /etc}\n"
    )
    assert config.options["plugins"] == [
        {"search": {"lang": ["en", {}], "separator": "[\\s\\-]+"}},
        {"techdocs-core": {"use_material_search": {}}},
    ]
    assert config.options["theme"] == {
        "name": "material",
        "font": False,
        "features": ["navigation.tabs"],
        "icon": {
            "repo": "fontawesome/brands/github",
            "admonition": {"note": "octicons/tag-16"},
            "tag": {},
        },
    }
    reasons = "\n".join(config.dropped)
    for refused in (
        "search.lang.path",
        "use_material_search.custom_dir",
        "theme.custom_dir",
        "theme.language",
        "theme.direction",
        "theme.features",
        "theme.icon.logo",
        "theme.icon.admonition.tip",
        "theme.icon.tag.custom_dir",
    ):
        assert refused in reasons, refused


def test_material_never_reads_icons_from_a_folder_on_the_build_host(tmp_path):
    secret = tmp_path / "host" / "secret"
    secret.mkdir(parents=True)
    (secret / "leak.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
        '<path d="M0 0L1 1Z" id="host-file-leaked"/></svg>'
    )
    root = write(
        tmp_path / "export",
        {
            "mkdocs.yml": (
                "site_name: Icons\n"
                "markdown_extensions:\n"
                "  - pymdownx.emoji:\n"
                "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
                "      emoji_generator:\n"
                "        !!python/name:material.extensions.emoji.to_svg\n"
                f"      options: {{custom_icons: [{Path(secret).parent}]}}\n"
            ),
            "docs/index.md": "# Icons\n\nA host file: :secret-leak:\n",
        },
    )
    site = build_site(root, tmp_path / "work", "Icons", Limits(seconds=120))
    html = all_html(site)
    assert "Icons" in html
    assert "M0 0L1 1Z" not in html
    assert ":secret-leak:" in html  # an unknown emoji stays as text
    assert any("custom_icons" in line for line in site.log)
