"""Built pages are hostile HTML: only an allowlist of tags and attributes stays.

MkDocs copies raw HTML from Markdown into pages, so a page may carry scripts,
event handlers, iframes, forms or `javascript:` links. nh3 (Rust's ammonia) keeps
the markup documentation needs (headings, tables, code highlighting, admonitions,
details, images) and drops the rest. Images and links may not make the reader's
browser fetch anything from another site: absolute image URLs are removed (the
emoji extension points at a public CDN; their alt text stays). Tabs and task lists
keep their radio buttons, checkboxes and labels (inert without a form: tabs switch
with CSS alone), and inline icons a small SVG subset: a view box and paths.

Every decision is nh3's own (allowlists, value sets, the attribute filter): its
output is never edited afterwards, so nothing here depends on how it escapes
attribute values. nh3 escapes `>` inside them only from 0.3.7, the floor in
pyproject.toml; before that, a regex over the output could be made to cut an
attribute in two and leave a live `<script>` behind.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup",
    "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul", "var", "input", "label", "svg", "path",
}  # fmt: skip
# Inputs keep a type only if it is a radio button or a checkbox. One left without
# a type would be a text box: every input is made read-only (which radio buttons
# and checkboxes ignore), it could send nothing anyway (no forms, no scripts), and
# the portal's stylesheet hides it (`.docs-page input:not([type])`).
INPUT_TYPES = {"radio", "checkbox"}
FORCED = {"input": {"readonly": "readonly"}}
ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "details": {"open"},
    "ol": {"start", "type"},
    "input": {"name", "checked", "disabled"},  # `type`: VALUES
    "label": {"for"},
    "svg": {"viewBox", "width", "height"},
    "path": {"d"},
}
VALUES = {"input": {"type": INPUT_TYPES}}
SCHEMES = {"http", "https", "mailto"}


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src":
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            return None  # nothing from another site (or data:)
    return value


def clean(html: str) -> str:
    """The page's HTML with only what is allowed left."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        tag_attribute_values=VALUES,
        set_tag_attribute_values=FORCED,
        url_schemes=SCHEMES,
        attribute_filter=_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
