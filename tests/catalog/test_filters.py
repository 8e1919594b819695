"""Backstage's filter language and facets, over a crawled catalog."""

from __future__ import annotations

import pytest

from catalog.fields import flatten
from catalog.filters import FilterError, facets, filter_entities
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from tests.support.catalog import authored

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  tags: [python, django]
  annotations: {github.com/project-slug: acme/billing, backstage.io/orphan: "true"}
spec: {type: service, lifecycle: production, owner: team-a, system: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, tags: [java]}
spec: {type: Library, lifecycle: experimental, owner: team-b}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web, namespace: shop}
spec: {type: website, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec: {memberOf: [team-a]}
"""


@pytest.fixture
def catalog(repos, db):
    repo = repos.create("org", {"catalog-info.yaml": CATALOG})
    location, _ = register_location(repo.url)
    crawl_location(location)
    return authored()


def names(entities) -> set[str]:
    return set(entities.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], {"billing", "ledger", "web", "team-a", "jdoe"}),
        (["kind=user"], {"jdoe"}),
        (["kind=user", "kind=group"], {"jdoe", "team-a"}),  # repeats: OR
        (["kind=component,spec.type=service"], {"billing"}),  # inside one: AND
        (["kind=component,kind=user"], {"billing", "ledger", "web", "jdoe"}),  # OR
        (["KIND=Component, Spec.Type=LIBRARY"], {"ledger"}),  # case and spaces
        (["metadata.annotations.github.com/project-slug"], {"billing"}),  # exists
        (["metadata.annotations.backstage.io/orphan=true"], {"billing"}),
        (["metadata.tags.python"], {"billing"}),
        (["metadata.tags=django"], {"billing"}),
        (["metadata.namespace=shop"], {"web"}),
        (["relations.ownedby=group:default/team-a"], {"billing"}),
        (["relations.ownedby=group:shop/team-a"], {"web"}),
        (["relations.memberof"], {"jdoe"}),
        (["relations.hasmember=user:default/jdoe"], {"team-a"}),  # the reverse side
        (["spec.lifecycle=production,relations.partof"], {"billing"}),
        (["spec.nothing"], set()),
    ],
)
def test_filters_match_backstage_semantics(catalog, filters, expected):
    assert names(filter_entities(catalog, filters)) == expected


@pytest.mark.parametrize("bad", ["=x", "kind=user,", " =y"])
def test_a_condition_without_a_key_is_an_error(catalog, bad):
    with pytest.raises(FilterError, match="empty key"):
        filter_entities(catalog, [bad])


def test_facets_count_values_as_written(catalog, django_assert_num_queries):
    components = filter_entities(catalog, ["kind=component"])
    with django_assert_num_queries(4):
        counted = facets(
            components, ["spec.type", "metadata.tags", "Kind", "relations.ownedBy"]
        )
    assert counted == {
        "spec.type": [
            {"value": "Library", "count": 1},
            {"value": "service", "count": 1},
            {"value": "website", "count": 1},
        ],
        "metadata.tags": [
            {"value": "django", "count": 1},
            {"value": "java", "count": 1},
            {"value": "python", "count": 1},
        ],
        "Kind": [{"value": "Component", "count": 3}],
        "relations.ownedBy": [
            {"value": "group:default/team-a", "count": 1},
            {"value": "group:default/team-b", "count": 1},
            {"value": "group:shop/team-a", "count": 1},
        ],
    }


def test_filter_queries_do_not_grow_with_conditions_results(
    catalog, django_assert_num_queries
):
    with django_assert_num_queries(1):
        list(
            filter_entities(catalog, ["kind=component,spec.type=service", "kind=user"])
        )


def test_flatten_follows_the_search_table_rules():
    long = "x" * 300
    rows = flatten(
        {
            "kind": "Component",
            "metadata": {
                "name": "A",
                "tags": ["Java"],
                "etag": "e",
                "description": long,
            },
            "spec": {"ports": [{"port": 80}], "enabled": True},
            "relations": [{"type": "ownedBy", "targetRef": "group:default/x"}],
            "status": {"items": []},
        },
        "uid-1",
    )
    assert ("kind", "component", "Component") in rows
    assert ("metadata.tags", "java", "Java") in rows
    assert ("metadata.tags.java", "true", "true") in rows
    assert ("metadata.namespace", "default", "default") in rows
    assert ("metadata.uid", "uid-1", "uid-1") in rows
    assert ("spec.ports.port", "80", "80") in rows
    assert ("spec.enabled", "true", "true") in rows
    assert ("metadata.description", None, None) in rows  # exists, too long to match
    keys = {key for key, _, _ in rows}
    assert not keys & {"metadata.etag", "status.items", "relations.type"}
