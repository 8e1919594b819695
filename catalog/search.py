"""The one search entry point: full text on PostgreSQL, a plain fallback on SQLite.

PostgreSQL: a weighted `tsvector` per entity (name and title A, description B, tags
and labels C, kind, type, lifecycle and owner D) behind a GIN index, queried with
`websearch_to_tsquery`, plus trigram similarity on the name (GIN, pg_trgm) so that
a misspelt name still finds its entity. The vector is written by the crawl, for the
entities it changed, in one UPDATE.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
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
from django.db.models.functions import Greatest

from catalog.models import Entity

CONFIG = "simple"  # names and tags are not English words: no stemming
SIMILARITY = 0.3
SINGLE_TERM = re.compile(r"[\w.:/-]+")
NAME_WORDS = re.compile(r"[-_.]")


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


def search(entities: QuerySet[Entity], text: str) -> QuerySet[Entity]:
    """Entities matching `text`, best first: name and title, then the rest."""
    text = text.strip()
    if not text:
        return entities
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        # Misspellings are of one name: trigrams for a single term only, so that
        # phrases and `-exclusions` keep their full-text meaning.
        single = SINGLE_TERM.fullmatch(text) is not None
        similarity = TrigramSimilarity("name", text.lower()) if single else Value(0.0)
        return (
            entities.annotate(
                rank=SearchRank(F("search_vector"), query), similarity=similarity
            )
            .filter(Q(search_vector=query) | Q(similarity__gt=SIMILARITY))
            .annotate(score=Greatest(F("rank"), F("similarity")))
            .order_by("-score", "ref")
        )
    return _plain_search(entities, text)


def _plain_search(entities: QuerySet[Entity], text: str) -> QuerySet[Entity]:
    """SQLite: substring matches, names and titles first; for a single term that
    matches nothing, the names closest to it (difflib), so typos still find."""
    name_match = Q(name__icontains=text) | Q(processed__metadata__title__icontains=text)
    rest_match = Q(processed__metadata__description__icontains=text) | Q(
        processed__metadata__tags__icontains=text
    )
    if (
        SINGLE_TERM.fullmatch(text)
        and not entities.filter(name_match | rest_match).exists()
    ):
        name_match = Q(name__in=_close_names(entities, text))
    return (
        entities.filter(name_match | rest_match)
        .annotate(
            score=Case(
                When(name_match, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-score", "ref")
    )


def _close_names(entities: QuerySet[Entity], text: str) -> list[str]:
    """Names whose whole or any `-`/`_`/`.`-separated word is close to `text`."""
    by_word: dict[str, set[str]] = {}
    for name in entities.values_list("name", flat=True).distinct():
        for word in {name.lower(), *NAME_WORDS.split(name.lower())}:
            by_word.setdefault(word, set()).add(name)
    close = difflib.get_close_matches(text.lower(), by_word, n=20, cutoff=0.75)
    return sorted({name for word in close for name in by_word[word]})
