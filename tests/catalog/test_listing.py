"""Facet counts from one grouped scan agree with counting each facet directly."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import Count
from django.http import QueryDict

from catalog.listing import COLUMNS, FLAGS, Choices, choose, facet_counts
from catalog.models import EntityField, EntitySummary
from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG, many_components

CHOICES = [
    "",
    "kind=component",
    "kind=Component&kind=api",
    "owner=group:default/payments-team",
    "owner=group:default/payments-team&kind=resource",
    "lifecycle=production&type=service",
    "tag=python",
    "tag=python&kind=component&system=payments",
    "orphan=1",
    "errors=1",
    "errors=1&kind=component",
    "namespace=default&orphan=1&lifecycle=deprecated",
]


@pytest.fixture
def catalog(repos, db):
    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    broken = many_components(5, "x", owner="ghost-team", tags="[python, go]")
    broken += "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
    broken += "metadata: {name: x-0}\nspec: {type: service}\n"  # a duplicate: an error
    crawl_repo(repos, "more", {"catalog-info.yaml": broken})


def naive(choices: Choices) -> dict[str, dict[str, int]]:
    """Each facet counted on its own, by the database, over the other choices."""
    result = {}
    rows = EntitySummary.objects.all()
    for param, _, column in COLUMNS:
        base = choose(rows, choices, skip=[param])
        counted = (
            base.exclude(**{column: ""}).values_list(column).annotate(n=Count("pk"))
        )
        result[param] = dict(counted.order_by())
    base = choose(rows, choices, skip=["tag"])
    tags = EntityField.objects.filter(
        key="metadata.tags", entity__in=base.values("entity_id")
    )
    result["tag"] = dict(tags.values_list("value").annotate(n=Count("pk")).order_by())
    for flag in FLAGS:
        with_flag = Choices(values=choices.values, flags=choices.flags | {flag})
        result[flag] = choose(rows, with_flag).count()
    return result


@pytest.mark.parametrize("query", CHOICES)
def test_counts_match_counting_each_facet_directly(catalog, query):
    choices = Choices.from_query(QueryDict(query))
    counted = facet_counts(EntitySummary.objects.all(), choices)
    got = {
        facet["param"]: {v["value"]: v["count"] for v in facet["values"] if v["count"]}
        for facet in counted["facets"]
    }
    got |= {flag["param"]: flag["count"] for flag in counted["flags"]}
    assert got == naive(choices)


def test_chosen_values_stay_listed_even_when_nothing_has_them(catalog):
    choices = Choices.from_query(QueryDict("kind=nothing&tag=nope"))
    facets = {
        f["param"]: f
        for f in facet_counts(EntitySummary.objects.all(), choices)["facets"]
    }
    assert {"value": "nothing", "count": 0, "chosen": True} in facets["kind"]["values"]
    assert {"value": "nope", "count": 0, "chosen": True} in facets["tag"]["values"]


def test_query_count_is_fixed(catalog, django_assert_num_queries):
    for query in itertools.islice(CHOICES, 0, None, 3):
        with django_assert_num_queries(5):
            facet_counts(
                EntitySummary.objects.all(), Choices.from_query(QueryDict(query))
            )
