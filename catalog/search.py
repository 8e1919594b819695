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
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT

from catalog.models import Entity, EntitySummary

CONFIG = "simple"  # names and tags are not English words: no stemming
# `%` matches at pg_trgm.similarity_threshold, 0.3 by default.
SINGLE_TERM = re.compile(r"[\w.:/-]+")
NAME_WORDS = re.compile(r"[-_.]")
CLOSEST_NAMES = 20


def search_vector() -> SearchVector:
    """The weighted vector of an entity row (used in a subquery per summary)."""

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
    """Refresh the search vectors of these entities' summaries (PostgreSQL only)."""
    if entity_ids and connection.vendor == "postgresql":
        vector = (
            Entity.objects.filter(pk=OuterRef("entity_id"))
            .annotate(vector=search_vector())
            .values("vector")
        )
        EntitySummary.objects.filter(entity_id__in=entity_ids).update(
            search_vector=Subquery(vector)
        )


def search(rows: QuerySet[EntitySummary], text: str) -> QuerySet[EntitySummary]:
    """Summaries matching `text`, best first: name and title, then the rest."""
    text = text.strip()
    if not text:
        return rows
    if connection.vendor == "postgresql":
        return _full_text_search(rows, text)
    return _plain_search(rows, text)


def _full_text_search(
    rows: QuerySet[EntitySummary], text: str
) -> QuerySet[EntitySummary]:
    """Weighted full text, ranked; a single term that matches nothing is taken for
    a misspelt name: the closest names by trigrams (`%` and `<->`, indexed).

    Trigrams only as the fallback: a real word would otherwise also drag in every
    similar name (all of `svc-0001` .. `svc-9999`) to be ranked.
    """
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    found = rows.filter(search_vector=query)
    if SINGLE_TERM.fullmatch(text) is None or found.exists():
        # Ranked in ORDER BY only (no annotation), so counting drops the ranking.
        return found.order_by(SearchRank(F("search_vector"), query).desc(), "ref")
    # The closest names first, straight from the GiST trigram index.
    closest = list(  # evaluated once: the page and its count both use it
        Entity.objects.filter(name__trigram_similar=text.lower())
        .order_by(TrigramDistance("name", text.lower()))
        .values_list("pk", flat=True)[:CLOSEST_NAMES]
    )
    return rows.filter(entity_id__in=closest).order_by(
        TrigramSimilarity("name", text.lower()).desc(), "ref"
    )


def _plain_search(rows: QuerySet[EntitySummary], text: str) -> QuerySet[EntitySummary]:
    """SQLite: substring matches, names and titles first; for a single term that
    matches nothing, the names closest to it (difflib), so typos still find."""
    name_match = Q(name__icontains=text) | Q(title__icontains=text)
    rest_match = Q(entity__processed__metadata__description__icontains=text) | Q(
        entity__processed__metadata__tags__icontains=text
    )
    if (
        SINGLE_TERM.fullmatch(text)
        and not rows.filter(name_match | rest_match).exists()
    ):
        name_match = Q(name__in=_close_names(rows, text))
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


def _close_names(rows: QuerySet[EntitySummary], text: str) -> list[str]:
    """Names whose whole or any `-`/`_`/`.`-separated word is close to `text`."""
    by_word: dict[str, set[str]] = {}
    for name in rows.values_list("name", flat=True).distinct():
        for word in {name.lower(), *NAME_WORDS.split(name.lower())}:
            by_word.setdefault(word, set()).add(name)
    close = difflib.get_close_matches(text.lower(), by_word, n=20, cutoff=0.75)
    return sorted({name for word in close for name in by_word[word]})
