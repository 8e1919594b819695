"""A repository's `mkdocs.yml`, made safe to give to MkDocs.

MkDocs reads its config with PyYAML's unsafe loader and then imports and runs what
the config names (hooks, plugins, Markdown extensions, theme templates), so the
file in a repository is code from a stranger. It never reaches MkDocs: it is read
here with a safe loader and a new config is written from allowlists of keys,
themes, plugins and extensions (../shared/reference/techdocs-and-webhooks.md §3).
Python tags survive only as `PythonName` markers for a few known callables, which
the builder turns back into objects itself. Everything dropped is listed, so the
build log can say what was ignored.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_CONFIG_BYTES = 256 * 1024
CONFIG_NAMES = ("mkdocs.yaml", "mkdocs.yml")  # Backstage looks in this order

# Top-level keys MkDocs may see (Backstage's list, less what would leave or serve
# the export: site_dir, dev_addr, watch, remote_*, google_analytics, hooks,
# INHERIT, extra_css/extra_javascript/extra_templates).
TOP_LEVEL = frozenset(
    {
        "site_name",
        "site_url",
        "site_description",
        "site_author",
        "repo_url",
        "repo_name",
        "edit_uri",
        "edit_uri_template",
        "docs_dir",
        "nav",
        "exclude_docs",
        "not_in_nav",
        "theme",
        "plugins",
        "markdown_extensions",
        "extra",
        "copyright",
        "validation",
    }
)
TEXT_KEYS = frozenset(
    {
        "site_url",
        "site_description",
        "site_author",
        "repo_url",
        "repo_name",
        "edit_uri",
        "edit_uri_template",
        "copyright",
    }
)
THEME_KEYS = frozenset({"name", "language", "direction", "features", "icon"})
PLUGINS: dict[str, frozenset[str]] = {  # name -> allowed options
    "techdocs-core": frozenset({"use_material_search", "use_pymdownx_blocks"}),
    "search": frozenset({"lang", "separator", "min_search_length"}),
}
_MARKDOWN = {
    "abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes",
    "md_in_html", "meta", "nl2br", "sane_lists", "smarty", "tables", "toc",
    "wikilinks", "codehilite", "extra", "legacy_attrs", "legacy_em",
}  # fmt: skip
_PYMDOWNX = {
    "arithmatex", "betterem", "blocks.admonition", "blocks.details", "blocks.tab",
    "caret", "critic", "details", "emoji", "escapeall", "extra", "highlight",
    "inlinehilite", "keys", "magiclink", "mark", "progressbar", "saneheaders",
    "smartsymbols", "snippets", "striphtml", "superfences", "tabbed", "tasklist",
    "tilde",
}  # fmt: skip
EXTENSIONS = frozenset(
    {*_MARKDOWN, *(f"markdown.extensions.{n}" for n in _MARKDOWN)}
    | {f"pymdownx.{n}" for n in _PYMDOWNX}
    | {"markdown_inline_graphviz", "plantuml_markdown", "mdx_truly_sane_lists"}
)
# Options that name a program, a server or a path: never taken from a repository.
FORBIDDEN_OPTIONS = frozenset(
    {
        "plantuml_cmd",
        "server",
        "kroki_server",
        "base_path",
        "custom_icons",
        "auto_append",
        "url_download",
        "dot",
        "java",
        "puml_notheme_cmdlist",
        "config",
    }
)
# Callables a config may name with `!!python/name:` (emoji indexes and
# generators, fence formatters, slug functions); nothing else is imported.
PYTHON_NAMES = frozenset(
    {
        "pymdownx.emoji.twemoji",
        "pymdownx.emoji.emojione",
        "pymdownx.emoji.gemoji",
        "pymdownx.emoji.to_svg",
        "pymdownx.emoji.to_png",
        "pymdownx.emoji.to_alt",
        "material.extensions.emoji.twemoji",
        "material.extensions.emoji.to_svg",
        "pymdownx.superfences.fence_code_format",
        "pymdownx.superfences.fence_div_format",
        "pymdownx.slugs.slugify",
    }
)


class ConfigError(ValueError):
    """The config cannot be used at all; the message says why."""


@dataclass(frozen=True, slots=True)
class PythonName:
    """`!!python/name:<dotted>` from an allowlisted name, imported by the builder."""

    dotted: str


@dataclass(slots=True)
class SafeConfig:
    options: dict[str, Any]
    docs_dir: str
    dropped: list[str] = field(default_factory=list)


class _Loader(yaml.SafeLoader):
    """Safe YAML, plus MkDocs' tags as inert values."""


def _env(loader: _Loader, node: yaml.Node) -> Any:
    # `!ENV [NAME, default]` would read the builder's environment: the default
    # (or nothing) is used instead, never the variable.
    if isinstance(node, yaml.SequenceNode):
        values = loader.construct_sequence(node)
        return values[-1] if len(values) > 1 else None
    return None


def _relative(loader: _Loader, node: yaml.Node) -> Any:
    return None  # `!relative` names a path on the build machine


def _python(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if suffix.startswith("name:") and suffix[5:] in PYTHON_NAMES:
        return PythonName(suffix[5:])
    return _Refused(f"!!python/{suffix.split(':', 1)[0]}")


@dataclass(frozen=True, slots=True)
class _Refused:
    tag: str


_Loader.add_constructor("!ENV", _env)
_Loader.add_constructor("!relative", _relative)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _python)
_Loader.add_multi_constructor("!!python/", _python)


def load_untrusted(text: bytes | str) -> Any:
    """Parse a repository's mkdocs.yml: safe YAML, MkDocs tags made inert."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"the MkDocs config is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"the MkDocs config is not valid YAML: {exc}") from None


def default_options(site_name: str) -> dict[str, Any]:
    """The config Backstage writes when a repository has none."""
    return {"site_name": site_name, "docs_dir": "docs", "plugins": ["techdocs-core"]}


def sanitize(raw: Any, *, site_name: str) -> SafeConfig:
    """The config MkDocs will get: allowlisted, with our forced settings."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("the MkDocs config must be a mapping")
    dropped: list[str] = []
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key in TOP_LEVEL:
            options[key] = value
        else:
            dropped.append(f"{key}: not an allowed setting")
    docs_dir = _docs_dir(options.pop("docs_dir", "docs"))
    options["site_name"] = _text(options.get("site_name")) or site_name
    for key in TEXT_KEYS & set(options):
        if not isinstance(options[key], str):
            dropped.append(f"{key}: not text")
            del options[key]
    options["theme"] = _theme(options.get("theme"), dropped)
    options["plugins"] = _plugins(options.get("plugins"), dropped)
    options["markdown_extensions"] = _extensions(
        options.get("markdown_extensions"), dropped
    )
    for key in ("nav", "extra", "exclude_docs", "not_in_nav", "validation"):
        if key in options:
            options[key] = _plain(options[key], key, dropped)
    options["use_directory_urls"] = True
    return SafeConfig(options=options, docs_dir=docs_dir, dropped=dropped)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _docs_dir(value: Any) -> str:
    text = _text(value) or "docs"
    clean = posixpath.normpath(text.replace("\\", "/"))
    if clean.startswith(("/", "../")) or clean == ".." or ":" in clean.split("/")[0]:
        raise ConfigError(f"docs_dir {text!r} leaves the documentation folder")
    return "" if clean == "." else clean


def _theme(value: Any, dropped: list[str]) -> dict[str, Any]:
    theme: dict[str, Any] = {"name": "material", "font": False}  # no Google Fonts
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        return theme
    if value.get("name") not in (None, "material"):
        dropped.append(f"theme {value.get('name')!r}: only material is built")
    for key, item in value.items():
        if key in ("name", "font"):
            continue
        if key in THEME_KEYS:
            theme[key] = _plain(item, f"theme.{key}", dropped)
        else:
            dropped.append(f"theme.{key}: not an allowed theme setting")
    return theme


def _named_items(value: Any, what: str, dropped: list[str]) -> list[tuple[str, Any]]:
    """`[name, {name: options}]` or `{name: options}` as (name, options) pairs."""
    if value is None:
        return []
    items = value.items() if isinstance(value, dict) else value
    if not isinstance(items, list) and not isinstance(value, dict):
        dropped.append(f"{what}: not a list")
        return []
    pairs = []
    for item in items:
        if isinstance(item, str):
            pairs.append((item, {}))
        elif isinstance(item, tuple) and isinstance(item[0], str):
            pairs.append((item[0], item[1] or {}))
        elif isinstance(item, dict) and len(item) == 1:
            name, options = next(iter(item.items()))
            pairs.append((str(name), options or {}))
        else:
            dropped.append(f"{what}: an entry that is not a name")
    return pairs


def _plugins(value: Any, dropped: list[str]) -> list[Any]:
    plugins: list[Any] = []
    names = set()
    for name, options in _named_items(value, "plugins", dropped):
        allowed = PLUGINS.get(name)
        if allowed is None:
            dropped.append(f"plugin {name!r}: not an allowed plugin")
            continue
        kept = _options(options, allowed, f"plugin {name}", dropped)
        plugins.append({name: kept} if kept else name)
        names.add(name)
    if "techdocs-core" not in names:
        plugins.insert(0, "techdocs-core")  # as Backstage adds it
    return plugins


def _extensions(value: Any, dropped: list[str]) -> list[Any]:
    extensions: list[Any] = []
    for name, options in _named_items(value, "markdown_extensions", dropped):
        if name not in EXTENSIONS:
            dropped.append(f"Markdown extension {name!r}: not an allowed extension")
            continue
        kept = _options(options, None, f"extension {name}", dropped)
        if name == "pymdownx.snippets":
            kept["restrict_base_path"] = True  # GHSA-jh85-wwv9-24hv
        extensions.append({name: kept} if kept else name)
    return extensions


def _options(
    options: Any, allowed: frozenset[str] | None, what: str, dropped: list[str]
) -> dict[str, Any]:
    if not isinstance(options, dict):
        return {}
    kept = {}
    for key, value in options.items():
        if key in FORBIDDEN_OPTIONS or (allowed is not None and key not in allowed):
            dropped.append(f"{what}: option {key!r} is not allowed")
        else:
            kept[key] = _plain(value, f"{what}.{key}", dropped)
    return kept


def _plain(value: Any, where: str, dropped: list[str]) -> Any:
    """Plain data (and allowlisted Python names) only; refused tags are dropped."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if isinstance(item, _Refused):
                dropped.append(f"{where}.{key}: {item.tag} is not allowed")
            else:
                kept[str(key)] = _plain(item, f"{where}.{key}", dropped)
        return kept
    if isinstance(value, list):
        return [_plain(item, where, dropped) for item in value]
    if isinstance(value, _Refused):
        dropped.append(f"{where}: {value.tag} is not allowed")
        return None
    if isinstance(value, str | int | float | bool | PythonName) or value is None:
        return value
    return str(value)  # dates and the like
