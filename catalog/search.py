"""The one search entry point: full text on PostgreSQL, a plain fallback on SQLite.

PostgreSQL: a weighted `tsvector` per entity (name and title A, description B, tags
and labels C, kind, type, lifecycle and owner D) behind a GIN index, queried with
`websearch_to_tsquery`; a single term that finds nothing is looked up by trigram
distance on the name (GiST, pg_trgm), so that a misspelt name still finds its
entity. SQLite: substrings, and difflib for misspellings. The vector is written by
the crawl, for the entities it changed, in one UPDATE.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramDistance,
    TrigramSimilarity,
)
from django.db import connection
from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT

from catalog.models import Entity

CONFIG = "simple"  # names and tags are not English words: no stemming
# `%` matches at pg_trgm.similarity_threshold, 0.3 by default.
SINGLE_TERM = re.compile(r"[\w.:/-]+")
NAME_WORDS = re.compile(r"[-_.]")
CLOSEST_NAMES = 20


def search_vector() -> SearchVector:
    def text(path: str) -> KT:
        return KT(f"processed__{path}")  # SearchVector casts and coalesces each part

    return (
        SearchVector("name", text("metadata__title"), weight="A", config=CONFIG)
        + SearchVector(text("metadata__description"), weight="B", config=CONFIG)
        + SearchVector(
            text("metadata__tags"), text("metadata__labels"), weight="C", config=CONFIG
        )
        + SearchVector(
            "kind",
            "owner_ref",
            text("spec__type"),
            text("spec__lifecycle"),
            weight="D",
            config=CONFIG,
        )
    )


def index_entities(entity_ids: Sequence[int]) -> None:
    """Refresh the search vectors of these entities (PostgreSQL only)."""
    if entity_ids and connection.vendor == "postgresql":
        Entity.objects.filter(pk__in=entity_ids).update(search_vector=search_vector())


def search(rows: QuerySet[Any], text: str, via: str = "") -> QuerySet[Any]:
    """Rows matching `text`, best first: name and title, then the rest.

    `rows` are entities, or rows that reach their entity through `via`
    (`"entity__"` for summaries), so that lists can search without loading entities.
    """
    text = text.strip()
    if not text:
        return rows
    if connection.vendor == "postgresql":
        return _full_text_search(rows, text, via)
    return _plain_search(rows, text, via)


def _full_text_search(rows: QuerySet[Any], text: str, via: str) -> QuerySet[Any]:
    """Weighted full text, ranked; a single term that matches nothing is taken for
    a misspelt name: the closest names by trigrams (`%` and `<->`, indexed).

    Trigrams only as the fallback: a real word would otherwise also drag in every
    similar name (all of `svc-0001` .. `svc-9999`) to be ranked.
    """
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    found = rows.filter(**{f"{via}search_vector": query})
    if SINGLE_TERM.fullmatch(text) is None or found.exists():
        return found.annotate(
            score=SearchRank(F(f"{via}search_vector"), query)
        ).order_by("-score", "ref")
    # The closest names first, straight from the GiST trigram index.
    closest = (
        Entity.objects.filter(name__trigram_similar=text.lower())
        .order_by(TrigramDistance("name", text.lower()))
        .values("pk")[:CLOSEST_NAMES]
    )
    return (
        rows.filter(**{f"{via}pk__in": closest})
        .annotate(score=TrigramSimilarity(f"{via}name", text.lower()))
        .order_by("-score", "ref")
    )


def _plain_search(rows: QuerySet[Any], text: str, via: str) -> QuerySet[Any]:
    """SQLite: substring matches, names and titles first; for a single term that
    matches nothing, the names closest to it (difflib), so typos still find."""
    doc = f"{via}processed__metadata__"
    name_match = Q(**{f"{via}name__icontains": text}) | Q(
        **{f"{doc}title__icontains": text}
    )
    rest_match = Q(**{f"{doc}description__icontains": text}) | Q(
        **{f"{doc}tags__icontains": text}
    )
    if (
        SINGLE_TERM.fullmatch(text)
        and not rows.filter(name_match | rest_match).exists()
    ):
        name_match = Q(**{f"{via}name__in": _close_names(rows, text, via)})
    return (
        rows.filter(name_match | rest_match)
        .annotate(
            score=Case(
                When(name_match, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-score", "ref")
    )


def _close_names(rows: QuerySet[Any], text: str, via: str) -> list[str]:
    """Names whose whole or any `-`/`_`/`.`-separated word is close to `text`."""
    by_word: dict[str, set[str]] = {}
    for name in rows.values_list(f"{via}name", flat=True).distinct():
        for word in {name.lower(), *NAME_WORDS.split(name.lower())}:
            by_word.setdefault(word, set()).add(name)
    close = difflib.get_close_matches(text.lower(), by_word, n=20, cutoff=0.75)
    return sorted({name for word in close for name in by_word[word]})
