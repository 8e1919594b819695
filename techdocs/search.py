"""Docs search: every page of every current site, section by section.

A page is cut at its headings that carry an id (MkDocs gives each one), so a
search for a phrase finds the page and the heading to jump to. PostgreSQL: a
weighted English `tsvector` per section (page and section titles A, text B) and
one of the titles alone, both behind GIN indexes, queried with
`websearch_to_tsquery`. Ranking reads every candidate's vector, so only the first
sections whose titles match and the first others are ranked: a word found in
every page of 10,000 still answers in milliseconds, and the page count says
"more than" anyway. SQLite: substrings, titles first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from techdocs.build import Page
from techdocs.models import DocsBuild, DocsSection

CONFIG = "english"  # prose: "building" finds "builds"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCKS = HEADINGS | {
    "p", "li", "td", "th", "tr", "div", "pre", "br", "dt", "dd", "blockquote",
    "table", "ul", "ol", "dl", "details", "summary", "figure", "figcaption", "hr",
}  # fmt: skip
MAX_TEXT = 50_000  # characters kept per section (a tsvector holds at most 1 MB)
MAX_TITLE = 255
TITLE_CANDIDATES, CANDIDATES = 100, 500  # ranked at most; past them: "more than"


@dataclass(slots=True)
class Section:
    anchor: str
    title: str
    words: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.words).split())[:MAX_TEXT]


class _Splitter(HTMLParser):
    """Text of a cleaned page, in sections that start at headings with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [Section("", "")]
        self.heading: list[str] | None = None
        self.skip = 0  # inside a heading's permalink (the ¶)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.skip or (tag == "a" and "headerlink" in (found.get("class") or "")):
            self.skip += 1
        elif tag in HEADINGS and found.get("id"):
            self.sections.append(Section(str(found["id"])[:MAX_TITLE], ""))
            self.heading = []
        elif tag in BLOCKS:
            self.sections[-1].words.append(" ")  # cells and items are separate words

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
        elif tag in HEADINGS and self.heading is not None:
            self.sections[-1].title = " ".join("".join(self.heading).split())
            self.heading = None
        elif tag in BLOCKS:
            self.sections[-1].words.append(" ")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.heading is not None:
            self.heading.append(data)
        else:
            self.sections[-1].words.append(data)


def split(html: str) -> list[Section]:
    """The page's sections; the text before the first heading has no anchor."""
    splitter = _Splitter()
    splitter.feed(html.replace("\0", ""))
    splitter.close()
    return [s for s in splitter.sections if s.anchor or s.text]


def replace_sections(build: DocsBuild, pages: Iterable[Page]) -> None:
    """Make `build`'s pages the site's searchable text (in the switch's transaction)."""
    DocsSection.objects.filter(site_id=build.site_id).delete()
    rows = [
        DocsSection(
            site_id=build.site_id,
            build=build,
            url=page.url,
            anchor=section.anchor,
            page_title=page.title[:MAX_TITLE],
            title=section.title[:MAX_TITLE],
            text=section.text,
        )
        for page in pages
        for section in split(page.html)
    ]
    DocsSection.objects.bulk_create(rows, batch_size=500)
    if connection.vendor == "postgresql":
        titles = SearchVector("page_title", "title", weight="A", config=CONFIG)
        DocsSection.objects.filter(build=build).update(
            search_vector=titles + SearchVector("text", weight="B", config=CONFIG),
            title_vector=titles,
        )


@dataclass(slots=True)
class Found:
    """Matching sections, best first: sliced for a page; len() is how many there
    are, and `more` says that there are more than that (only the first are ranked)."""

    rows: QuerySet[DocsSection]
    total: int
    more: bool = False

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[DocsSection]:
        return list(self.rows[index])

    def __iter__(self) -> Iterator[DocsSection]:
        return iter(self.rows)


def search(text: str, kind: str = "") -> Found:
    """Sections matching `text`, best first."""
    rows = DocsSection.objects.select_related("site").defer(
        "search_vector", "title_vector"
    )
    if kind:
        rows = rows.filter(site__kind=kind.lower())
    text = text.strip()
    if not text:
        return Found(rows.none(), 0)
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        matches = rows.filter(search_vector=query).values_list("pk", flat=True)
        titles = list(matches.filter(title_vector=query)[:TITLE_CANDIDATES])
        others = list(matches[:CANDIDATES])
        candidates = set(titles) | set(others)
        ranked = rows.filter(pk__in=candidates).order_by(
            SearchRank(F("search_vector"), query).desc(), "id"
        )
        return Found(ranked, len(candidates), more=len(others) == CANDIDATES)
    in_title = Q(title__icontains=text) | Q(page_title__icontains=text)
    found = rows.filter(in_title | Q(text__icontains=text))
    ranked = found.annotate(
        score=Case(
            When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    ).order_by("-score", "id")
    return Found(ranked, found.count())
