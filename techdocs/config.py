"""A repository's `mkdocs.yml`, made safe to give to MkDocs.

MkDocs reads its config with PyYAML's unsafe loader and then imports and runs what
the config names (hooks, plugins, Markdown extensions, theme templates), so the
file in a repository is code from a stranger. It never reaches MkDocs: it is read
with the catalog's loader for untrusted YAML (catalog/descriptor/loading.py: size,
depth, alias-expansion and node limits, checked before anything is built) and a
new config is written from allowlists of keys, themes, plugins, extensions and
their options (../shared/reference/techdocs-and-webhooks.md §3). Below the
allowlisted options, any key that names a path, a program, a server or a module on
the build host is dropped at every depth. Python tags survive only as `PythonName`
markers for a few known callables, which the builder turns back into objects
itself. Everything dropped is listed, so the build log can say what was ignored.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from catalog.descriptor.loading import FileRefused, TagHandler, load_one_tagged
from catalog.descriptor.loading import Limits as YamlLimits

MAX_CONFIG_BYTES = 256 * 1024
# A real mkdocs.yml is a few hundred nodes (a large nav a few thousand); the
# limits are counted after alias expansion, so an alias bomb stops here.
CONFIG_LIMITS = YamlLimits(
    max_bytes=MAX_CONFIG_BYTES, max_documents=1, max_depth=50, max_nodes=50_000
)
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
# Material turns these into template and file names: only plain words pass.
LANGUAGE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
FEATURE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
ICON = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*(?:/[a-z0-9]+(?:[_-][a-z0-9]+)*)*")
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
# The options each extension may take (a name without one takes none). Left
# out on purpose: anything naming a program, a server, a path, a cache or a
# formatter class (plantuml_markdown's server/plantuml_cmd/base_dir/cachedir/
# config, snippets' base_path/auto_append/url_*, codehilite's
# pygments_formatter, wikilinks' build_url).
_TOC = (
    "anchorlink anchorlink_class baselevel marker permalink permalink_class "
    "permalink_leading permalink_title separator slugify title title_class "
    "toc_class toc_depth"
)
_HIGHLIGHT = (
    "anchor_linenums auto_title auto_title_map code_attr_on_pre css_class "
    "default_lang extend_pygments_lang guess_lang language_prefix line_anchors "
    "line_spans linenums linenums_class linenums_special linenums_style noclasses "
    "pygments_lang_class pygments_style stripnl use_pygments"
)
_OPTIONS = {
    "abbr": "glossary",
    "codehilite": (
        "css_class guess_lang lang_prefix linenums noclasses pygments_style "
        "use_pygments"
    ),
    "fenced_code": "lang_prefix",
    "footnotes": (
        "BACKLINK_TEXT BACKLINK_TITLE PLACE_MARKER SEPARATOR SUPERSCRIPT_TEXT "
        "UNIQUE_IDS USE_DEFINITION_ORDER"
    ),
    "smarty": "smart_angled_quotes smart_dashes smart_ellipses smart_quotes "
    "substitutions",
    "tables": "use_align_attribute",
    "toc": _TOC,
    "wikilinks": "base_url end_url html_class",
    "mdx_truly_sane_lists": "nested_indent truly_sane",
    "plantuml_markdown": "alt classes format image_maps priority "
    "remove_inline_svg_size title",
    "pymdownx.arithmatex": "block_syntax block_tag generic inline_syntax "
    "inline_tag preview smart_dollar tex_block_wrap tex_inline_wrap",
    "pymdownx.betterem": "smart_enable",
    "pymdownx.blocks.admonition": "types",
    "pymdownx.blocks.details": "types",
    "pymdownx.blocks.tab": "alternate_style combine_header_slug separator slugify",
    "pymdownx.caret": "insert smart_insert superscript",
    "pymdownx.critic": "mode raw_view",
    "pymdownx.emoji": "alt emoji_generator emoji_index options "
    "remove_variation_selector strict title",
    "pymdownx.escapeall": "hardbreak nbsp",
    "pymdownx.highlight": _HIGHLIGHT,
    "pymdownx.inlinehilite": "css_class custom_inline style_plain_text",
    "pymdownx.keys": "camel_case class key_map separator strict",
    "pymdownx.magiclink": "custom hide_protocol labels normalize_issue_symbols "
    "provider repo repo_url_shortener repo_url_shorthand shortener_user_exclude "
    "social_url_shortener social_url_shorthand user",
    "pymdownx.mark": "smart_mark",
    "pymdownx.progressbar": "add_classes level_class progress_increment",
    "pymdownx.smartsymbols": "arrows care_of copyright fractions notequal "
    "ordinal_numbers plusminus registered trademark",
    "pymdownx.snippets": "check_paths dedent_subsections encoding",
    "pymdownx.striphtml": "strip_attributes strip_comments strip_js_on_attributes",
    "pymdownx.superfences": "css_class custom_fences disable_indented_code_blocks "
    "preserve_tabs relaxed_headers",
    "pymdownx.tabbed": "alternate_style combine_header_slug separator slugify",
    "pymdownx.tasklist": "clickable_checkbox custom_checkbox",
    "pymdownx.tilde": "delete smart_delete subscript",
}
EXTENSION_OPTIONS: dict[str, frozenset[str]] = {
    name: frozenset(options.split()) for name, options in _OPTIONS.items()
}
# The `extra` extensions take their parts' options, keyed by the part's name.
EXTRA_PARTS = {
    "extra": frozenset(
        {"fenced_code", "footnotes", "attr_list", "def_list", "tables", "abbr"}
        | {"md_in_html"}
    ),
    "pymdownx.extra": frozenset(
        {"pymdownx.betterem", "pymdownx.superfences"}
        | {f"markdown.extensions.{n}" for n in ("footnotes", "attr_list", "def_list")}
        | {f"markdown.extensions.{n}" for n in ("tables", "abbr", "md_in_html")}
    ),
}
# Below an allowlisted option (emoji's `options`, superfences' `custom_fences`,
# a plugin's settings...), keys that name something on the build host: a path,
# a program, a server, a module. Checked at every depth, whatever the extension.
FORBIDDEN_OPTIONS = frozenset(
    {
        "auto_append",
        "base_path",
        "cachedir",
        "cmd",
        "command",
        "config",
        "custom_dir",
        "custom_icons",
        "dir",
        "dot",
        "file",
        "include",
        "java",
        "module",
        "path",
        "plantuml_cmd",
        "program",
        "puml_notheme_cmdlist",
        "server",
        "servers",
        "url_download",
    }
)
HOST_KEY = re.compile(
    r".*_(?:dir|dirs|path|paths|cmd|file|files|server|servers|url|urls|module|"
    r"icons|program|include)",
    re.IGNORECASE,
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


@dataclass(frozen=True, slots=True)
class _Refused:
    tag: str


def _env(tag: str, value: object) -> object:
    # `!ENV [NAME, default]` would read the builder's environment: the default
    # (or nothing) is used instead, never the variable.
    if isinstance(value, list) and len(value) > 1:
        return value[-1]
    return None


def _relative(tag: str, value: object) -> object:
    return None  # `!relative` names a path on the build machine


_PYTHON_TAG = "tag:yaml.org,2002:python/"


def _python(tag: str, value: object) -> object:
    suffix = tag.removeprefix(_PYTHON_TAG)
    if suffix.startswith("name:") and suffix[5:] in PYTHON_NAMES:
        return PythonName(suffix[5:])
    return _Refused(f"!!python/{suffix.split(':', 1)[0]}")


TAGS: dict[str, TagHandler] = {
    "!ENV": _env,
    "!relative": _relative,
    _PYTHON_TAG: _python,
}


def load_untrusted(text: bytes | str) -> Any:
    """Parse a repository's mkdocs.yml with the catalog's limits; tags made inert.

    YAML 1.1, as MkDocs reads it (`permalink: yes` is true).
    """
    data = text.encode() if isinstance(text, str) else text
    try:
        return load_one_tagged(data, TAGS, CONFIG_LIMITS, yaml11=True)
    except FileRefused as exc:
        raise ConfigError(f"the MkDocs config cannot be used: {exc}") from None


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
    options["site_name"] = _stripped(options.get("site_name")) or site_name
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


def _stripped(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _docs_dir(value: Any) -> str:
    text = _stripped(value) or "docs"
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
        if key not in THEME_KEYS:
            dropped.append(f"theme.{key}: not an allowed theme setting")
            continue
        kept = _THEME_CHECKS[key](item, f"theme.{key}", dropped)
        if kept is not None:
            theme[key] = kept
    return theme


def _word(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any, where: str, dropped: list[str]) -> Any:
        if isinstance(value, str) and pattern.fullmatch(value):
            return value
        dropped.append(f"{where}: not {what}")
        return None

    return check


def _features(value: Any, where: str, dropped: list[str]) -> list[str] | None:
    if not isinstance(value, list):
        dropped.append(f"{where}: not a list")
        return None
    kept = [item for item in value if isinstance(item, str) and FEATURE.fullmatch(item)]
    if len(kept) < len(value):
        dropped.append(f"{where}: an entry that is not a feature name")
    return kept


def _icons(value: Any, where: str, dropped: list[str]) -> Any:
    """Icon names (`material/library`), alone or in mappings of them."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            icon = _icons(item, f"{where}.{key}", dropped)
            if icon is not None:
                kept[str(key)] = icon
        return kept
    return _word(ICON, "an icon name")(value, where, dropped)


_THEME_CHECKS = {
    "language": _word(LANGUAGE, "a language code"),
    "direction": _word(re.compile("ltr|rtl"), "ltr or rtl"),
    "features": _features,
    "icon": _icons,
}


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
        kept = _extension_options(name, options, f"extension {name}", dropped)
        if name == "pymdownx.snippets":
            kept["restrict_base_path"] = True  # GHSA-jh85-wwv9-24hv
        extensions.append({name: kept} if kept else name)
    return extensions


def _extension_options(
    name: str, options: Any, what: str, dropped: list[str]
) -> dict[str, Any]:
    short = name.removeprefix("markdown.extensions.")
    parts = EXTRA_PARTS.get(short)
    if parts is None:
        allowed = EXTENSION_OPTIONS.get(short, frozenset())
        return _options(options, allowed, what, dropped)
    # `extra`: each option is the options of one of its parts, checked as such.
    kept = {}
    for part, part_options in _options(options, parts, what, dropped).items():
        kept[part] = _extension_options(part, part_options, f"{what}.{part}", dropped)
    return kept


def _options(
    options: Any, allowed: frozenset[str], what: str, dropped: list[str]
) -> dict[str, Any]:
    if not isinstance(options, dict):
        return {}
    kept = {}
    for key, value in options.items():
        if key not in allowed:
            dropped.append(f"{what}: option {key!r} is not allowed")
        else:
            kept[key] = _plain(value, f"{what}.{key}", dropped, options=True)
    return kept


def _host_key(key: str) -> bool:
    return key.lower() in FORBIDDEN_OPTIONS or HOST_KEY.fullmatch(key) is not None


def _plain(value: Any, where: str, dropped: list[str], *, options: bool = False) -> Any:
    """Plain data (and allowlisted Python names) only; refused tags are dropped.

    Inside options (not `nav` or `extra`, whose keys are titles and free text),
    keys naming something on the build host are dropped too, at every depth.
    """
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if isinstance(item, _Refused):
                dropped.append(f"{where}.{key}: {item.tag} is not allowed")
            elif options and _host_key(str(key)):
                dropped.append(
                    f"{where}.{key}: names a path, program, server or module "
                    "of the build host"
                )
            else:
                kept[str(key)] = _plain(
                    item, f"{where}.{key}", dropped, options=options
                )
        return kept
    if isinstance(value, list):
        return [_plain(item, where, dropped, options=options) for item in value]
    if isinstance(value, _Refused):
        dropped.append(f"{where}: {value.tag} is not allowed")
        return None
    if isinstance(value, str | int | float | bool | PythonName) or value is None:
        return value
    return str(value)  # dates and the like
