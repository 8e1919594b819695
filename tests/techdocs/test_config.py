"""A repository's mkdocs.yml never reaches MkDocs as written: what survives."""

from __future__ import annotations

import os

import pytest

from techdocs.config import (
    ConfigError,
    PythonName,
    default_options,
    load_untrusted,
    sanitize,
)


def safe(text: str, site_name: str = "billing"):
    return sanitize(load_untrusted(text), site_name=site_name)


def test_python_tags_do_not_run_while_loading(tmp_path):
    marker = tmp_path / "pwned"
    config = safe(
        f"site_name: x\n"
        f"site_description: !!python/object/apply:os.system ['touch {marker}']\n"
        f"extra: {{a: !!python/object/new:os.system ['touch {marker}']}}\n"
    )
    assert not marker.exists()
    assert "site_description" not in config.options
    assert config.options["extra"] == {}
    assert any("python/object" in reason for reason in config.dropped)


def test_hooks_inherit_and_unknown_keys_are_dropped():
    # Merge keys (`<<: *base`) refuse the whole file, as the catalog loader does:
    # tests/techdocs/test_hostile_config.py.
    config = safe(
        "site_name: x\n"
        "hooks: [evil.py]\n"
        "INHERIT: /etc/passwd\n"
        "base: &base {hooks: [evil.py]}\n"
        "extra_javascript: [x.js]\n"
    )
    for key in ("hooks", "INHERIT", "base", "extra_javascript"):
        assert key not in config.options
        assert any(reason.startswith(key) for reason in config.dropped), key


def test_only_allowlisted_extensions_plugins_and_options():
    config = safe(
        "markdown_extensions:\n"
        "  - subprocess:Popen: {args: [touch, /tmp/x]}\n"
        "  - mypackage.evil\n"
        "  - admonition\n"
        "  - pymdownx.snippets: {base_path: [/], restrict_base_path: false}\n"
        "  - plantuml_markdown: {plantuml_cmd: touch /tmp/x, format: svg}\n"
        "  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      emoji_generator: !!python/name:os.system\n"
        "plugins: [search, techdocs-core, macros, {mkdocstrings: {}}]\n"
        "theme: {name: readthedocs, custom_dir: overrides, features: [x]}\n"
    )
    assert config.options["markdown_extensions"] == [
        "admonition",
        {"pymdownx.snippets": {"restrict_base_path": True}},
        {"plantuml_markdown": {"format": "svg"}},
        {
            "pymdownx.emoji": {
                "emoji_index": PythonName("material.extensions.emoji.twemoji"),
                "emoji_generator": None,
            }
        },
    ]
    assert config.options["plugins"] == ["search", "techdocs-core"]
    assert config.options["theme"] == {
        "name": "material",
        "font": False,
        "features": ["x"],
    }
    reasons = " ".join(config.dropped)
    for refused in ("subprocess:Popen", "mypackage.evil", "plantuml_cmd", "macros"):
        assert refused in reasons


def test_env_tags_never_read_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FOR_TEST", "hunter2")
    config = safe(
        "site_name: !ENV [SECRET_KEY_FOR_TEST, fallback]\n"
        "copyright: !ENV SECRET_KEY_FOR_TEST\n"
    )
    assert config.options["site_name"] == "fallback"
    assert "copyright" not in config.options
    assert "hunter2" not in repr(config)
    assert os.environ["SECRET_KEY_FOR_TEST"] == "hunter2"


@pytest.mark.parametrize(
    "docs_dir", ["/", "/etc", "../outside", "docs/../../x", "C:/x"]
)
def test_docs_dir_must_stay_inside(docs_dir):
    with pytest.raises(ConfigError, match="leaves"):
        safe(f"docs_dir: '{docs_dir}'\n")


def test_defaults_and_techdocs_core_as_backstage_adds_them():
    config = safe("site_name: ''\ndocs_dir: ./pages\n", site_name="Billing")
    assert config.options["site_name"] == "Billing"
    assert config.docs_dir == "pages"
    assert config.options["plugins"] == ["techdocs-core"]
    assert config.options["use_directory_urls"] is True
    assert default_options("Billing") == {
        "site_name": "Billing",
        "docs_dir": "docs",
        "plugins": ["techdocs-core"],
    }


def test_the_real_configs_survive_unchanged():
    from tests.support.fixtures import shared_fixtures

    folder = shared_fixtures("techdocs")
    for config_file in sorted(folder.glob("*/mkdocs.y*ml")):
        config = safe(config_file.read_text(), site_name=config_file.parent.name)
        assert config.dropped == [], (config_file, config.dropped)
        assert isinstance(config.options["site_name"], str)


def test_bad_yaml_and_huge_configs_are_clear_errors():
    with pytest.raises(ConfigError, match="YAML syntax error"):
        load_untrusted("a: [unclosed\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_untrusted("a: " + "x" * 300_000)
    with pytest.raises(ConfigError, match="mapping"):
        safe("- a\n- b\n")
