"""Search snippets: the part of a text around the query's words, with them marked.

The text is untrusted; every piece is escaped before the marks are added.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WORD = re.compile(r"[\w.:/-]+")
OPERATORS = {"or", "and", "not"}


def terms(query: str) -> list[str]:
    """The words of a websearch-style query worth marking (no `-excluded` words)."""
    words = []
    for match in WORD.finditer(query):
        start = match.start()
        if start > 0 and query[start - 1] == "-":
            continue
        word = match.group().strip(".:/-")
        if len(word) > 1 and word.lower() not in OPERATORS:
            words.append(word)
    return sorted(set(words), key=len, reverse=True)[:20]


def highlight(text: str, query: str, width: int = 0) -> SafeString:
    """`text` escaped, cut to about `width` characters around the first match
    (0: whole), with the query's words in <mark>."""
    words = terms(query)
    pattern = (
        re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
        if words
        else None
    )
    if width and len(text) > width:
        text = _window(text, pattern, width)
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def _window(text: str, pattern: re.Pattern[str] | None, width: int) -> str:
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - width // 3) if match else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
