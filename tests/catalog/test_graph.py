"""The relation graph: neighbourhoods, pair collapsing, drawing and the Graph tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from catalog.graph import (
    MARGIN,
    NODE_WIDTH,
    Edge,
    Graph,
    Node,
    canonical_edge,
    layout,
    neighbourhood,
    shorten,
)
from catalog.refs_display import entity_url
from tests.support.catalog import crawl_repo

if TYPE_CHECKING:
    from django.http import HttpResponse

    from tests.support.gitrepos import Repos

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: commerce}
spec: {owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: payments, title: Payments}
spec: {owner: team-a, domain: commerce}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing, title: Billing service}
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: payments
  dependsOn: [component:ledger, resource:missing-db]
  providesApis: [billing-api]
  consumesApis: [ledger-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, title: "<script>alert(1)</script> Ledger"}
spec:
  type: library
  lifecycle: production
  owner: team-b
  system: payments
  providesApis: [ledger-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: billing-api}
spec: {type: openapi, lifecycle: production, owner: team-a, system: payments,
       definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: ledger-api}
spec: {type: grpc, lifecycle: production, owner: team-b, definition: "syntax"}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: [team-b]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, parent: team-a, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec: {memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-b]}
"""

PAGE_QUERIES = 7  # session, user, anything restricted, entity, 2 permission
# lookups, graph entities
BILLING = "component:default/billing"
LEDGER = "component:default/ledger"
MISSING_DB = "resource:default/missing-db"
PAYMENTS = "system:default/payments"
COMMERCE = "domain:default/commerce"
BILLING_API = "api:default/billing-api"
LEDGER_API = "api:default/ledger-api"
TEAM_A, TEAM_B = "group:default/team-a", "group:default/team-b"
JDOE, ALICE = "user:default/jdoe", "user:default/alice"


def component(name: str, depends_on: list[str]) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: {name}}}\n"
        f"spec: {{type: service, lifecycle: production, owner: team-x, "
        f"dependsOn: [{', '.join('component:' + d for d in depends_on)}]}}\n"
    )


LEAVES = [f"leaf-{i:02}" for i in range(40)]
MANY = "---\n".join(
    [component("hub", LEAVES), component("small", LEAVES[:3])]
    + [component(leaf, []) for leaf in LEAVES]
)


@pytest.fixture
def catalog(repos: Repos, db: None) -> None:
    crawl_repo(repos, "org", {"catalog-info.yaml": CATALOG})


@pytest.fixture
def many(repos: Repos, db: None) -> None:
    crawl_repo(repos, "many", {"catalog-info.yaml": MANY})


def refs(graph: Graph) -> set[str]:
    return {node.ref for node in graph.nodes}


def node(graph: Graph, ref: str) -> Node:
    return next(n for n in graph.nodes if n.ref == ref)


def get_page(client: Client, ref: str, query: str = "") -> HttpResponse:
    return client.get(graph_url(ref) + query)


def svg_of(response: HttpResponse) -> str:
    """The drawing alone, without the page header's links."""
    content = response.content.decode()
    start = content.index('<svg class="graph"')
    return content[start : content.index("</svg>", start)]


def graph_url(ref: str) -> str:
    kind, rest = ref.split(":")
    namespace, name = rest.split("/")
    kwargs = {"namespace": namespace, "kind": kind, "name": name}
    return reverse("catalog:entity-graph", kwargs=kwargs)


DEPTH_1 = {BILLING, TEAM_A, PAYMENTS, LEDGER, MISSING_DB, BILLING_API, LEDGER_API}
DEPTH_2 = DEPTH_1 | {COMMERCE, TEAM_B, JDOE}


@pytest.mark.parametrize(
    ("depth", "expected"),
    [(1, DEPTH_1), (2, DEPTH_2), (3, DEPTH_2 | {ALICE})],
)
def test_depth_widens_the_neighbourhood(
    catalog: None, depth: int, expected: set[str]
) -> None:
    graph = neighbourhood(BILLING, depth, None)
    assert refs(graph) == expected
    assert node(graph, BILLING).depth == 0
    assert not graph.truncated


def test_node_depth_is_the_distance_from_the_root(catalog: None) -> None:
    graph = neighbourhood(BILLING, 3, None)
    assert {n.ref: n.depth for n in graph.nodes if n.depth > 1} == {
        COMMERCE: 2,
        TEAM_B: 2,
        JDOE: 2,
        ALICE: 3,
    }


def test_nodes_carry_kind_title_and_type(catalog: None) -> None:
    billing = node(neighbourhood(BILLING, 1, None), BILLING)
    assert (billing.kind, billing.name, billing.label, billing.type) == (
        "Component",
        "billing",
        "Billing service",
        "service",
    )
    assert not billing.missing


def test_each_pair_is_one_edge_in_the_forward_direction(catalog: None) -> None:
    edges = neighbourhood(BILLING, 2, None).edges
    assert len(edges) == len(set(edges))
    between = [e for e in edges if {e.source, e.target} == {BILLING, LEDGER}]
    assert between == [Edge(BILLING, LEDGER, "dependsOn")]
    assert {e.type for e in edges} <= {
        "ownedBy",
        "partOf",
        "dependsOn",
        "providesApi",
        "consumesApi",
        "childOf",
        "memberOf",
    }


def test_reverse_rows_are_turned_around(catalog: None) -> None:
    edges = set(neighbourhood(TEAM_A, 1, None).edges)
    assert Edge(BILLING, TEAM_A, "ownedBy") in edges
    assert Edge(TEAM_B, TEAM_A, "childOf") in edges
    assert Edge(JDOE, TEAM_A, "memberOf") in edges
    assert Edge(PAYMENTS, TEAM_A, "ownedBy") in edges
    api_edges = set(neighbourhood(LEDGER_API, 1, None).edges)
    assert Edge(LEDGER, LEDGER_API, "providesApi") in api_edges
    assert Edge(BILLING, LEDGER_API, "consumesApi") in api_edges


@pytest.mark.parametrize(
    ("row", "edge"),
    [
        (("b", "dependencyOf", "a"), Edge("a", "b", "dependsOn")),
        (("g", "ownerOf", "x"), Edge("x", "g", "ownedBy")),
        (("s", "hasPart", "c"), Edge("c", "s", "partOf")),
        (("p", "parentOf", "c"), Edge("c", "p", "childOf")),
        (("g", "hasMember", "u"), Edge("u", "g", "memberOf")),
        (("api", "apiProvidedBy", "c"), Edge("c", "api", "providesApi")),
        (("api", "apiConsumedBy", "c"), Edge("c", "api", "consumesApi")),
        (("a", "dependsOn", "b"), Edge("a", "b", "dependsOn")),
        (("a", "customRelation", "b"), Edge("a", "b", "customRelation")),
    ],
)
def test_canonical_edge(row: tuple[str, str, str], edge: Edge) -> None:
    assert canonical_edge(*row) == edge


def test_type_filter_follows_either_spelling(catalog: None) -> None:
    expected = {BILLING, LEDGER, MISSING_DB}
    assert refs(neighbourhood(BILLING, 1, ["dependsOn"])) == expected
    assert refs(neighbourhood(BILLING, 3, ["dependencyOf"])) == expected
    from_ledger = neighbourhood(LEDGER, 1, ["dependencyOf"])
    assert from_ledger.edges == (Edge(BILLING, LEDGER, "dependsOn"),)


def test_type_filter_combines_types(catalog: None) -> None:
    graph = neighbourhood(BILLING, 1, ["ownedBy", "partOf"])
    assert refs(graph) == {BILLING, TEAM_A, PAYMENTS}
    assert {e.type for e in graph.edges} == {"ownedBy", "partOf"}


def test_missing_targets_are_nodes_marked_missing(catalog: None) -> None:
    graph = neighbourhood(BILLING, 1, None)
    missing = node(graph, MISSING_DB)
    assert missing.missing
    assert (missing.kind, missing.label, missing.type) == ("resource", "missing-db", "")
    assert [n.ref for n in graph.nodes if n.missing] == [MISSING_DB]


def test_node_count_is_capped(many: None) -> None:
    graph = neighbourhood("component:default/hub", 1, None, max_nodes=10)
    assert graph.truncated
    assert len(graph.nodes) == 10
    kept = refs(graph)
    assert all(e.source in kept and e.target in kept for e in graph.edges)
    # Deterministic: the first refs in sorted order win.
    assert [
        n.ref for n in graph.nodes if n.ref.startswith("component:default/leaf")
    ] == [f"component:default/{leaf}" for leaf in LEAVES[:9]]
    whole = neighbourhood("component:default/hub", 1, None)
    assert len(whole.nodes) == 42  # hub, 40 leaves, its (missing) owner
    assert not whole.truncated


def test_queries_grow_with_depth_not_nodes(
    many: None,
    django_assert_num_queries: DjangoAssertNumQueries,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    # One per level, one for the outer ring's edges, one for the entities.
    with django_assert_num_queries(3):
        neighbourhood("component:default/small", 1, None)
    with django_assert_num_queries(3):
        neighbourhood("component:default/hub", 1, None)
    with django_assert_max_num_queries(5):
        neighbourhood("component:default/hub", 3, ["dependsOn", "ownedBy"])


def test_edges_among_the_outer_ring_are_drawn(catalog: None) -> None:
    graph = neighbourhood(PAYMENTS, 1, None)
    assert Edge(BILLING, LEDGER, "dependsOn") in graph.edges
    assert Edge(BILLING, BILLING_API, "providesApi") in graph.edges


def test_a_system_contains_its_parts(catalog: None) -> None:
    graph = neighbourhood(PAYMENTS, 1, None)
    assert {LEDGER, BILLING, BILLING_API, COMMERCE, TEAM_A} <= refs(graph)
    assert Edge(BILLING, PAYMENTS, "partOf") in graph.edges
    domain = neighbourhood(COMMERCE, 2, ["partOf"])
    assert refs(domain) == {COMMERCE, PAYMENTS, BILLING, LEDGER, BILLING_API}


def test_layout_places_columns_by_distance(catalog: None) -> None:
    graph = neighbourhood(BILLING, 2, None)
    drawing = layout(graph)
    boxes = {box.node.ref: box for box in drawing.boxes}
    assert boxes[BILLING].x == MARGIN
    assert boxes[BILLING].root
    assert boxes[LEDGER].x == boxes[TEAM_A].x > boxes[BILLING].x + NODE_WIDTH
    assert boxes[COMMERCE].x > boxes[LEDGER].x
    assert all(b.x + b.width <= drawing.width for b in drawing.boxes)
    assert all(b.y >= 0 and b.y + b.height <= drawing.height for b in drawing.boxes)
    assert drawing.view_box == f"0 0 {drawing.width} {drawing.height}"
    # Within a column: by kind, then name.
    column = [
        b.node
        for b in sorted(drawing.boxes, key=lambda b: b.y)
        if b.x == boxes[LEDGER].x
    ]
    assert column == sorted(column, key=lambda n: (n.kind.lower(), n.name))
    assert len(drawing.lines) == len(graph.edges)
    assert all(line.d.startswith("M") for line in drawing.lines)
    assert [e.type for e in drawing.legend] == sorted({e.type for e in graph.edges})


def test_layout_shortens_long_labels() -> None:
    long = "a-very-long-entity-title-that-does-not-fit"
    root = Node("component:default/x", "Component", "x", long, "", False, 0)
    drawing = layout(Graph(root.ref, (root,), ()))
    (box,) = drawing.boxes
    assert box.label == shorten(long, 26)
    assert box.label.endswith("…")
    assert len(box.label) == 26
    assert drawing.width >= NODE_WIDTH
    assert drawing.lines == ()


def test_page_draws_links_to_neighbours(catalog: None, viewer_client: Client) -> None:
    response = get_page(viewer_client, BILLING)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<svg" in content
    for ref in (LEDGER, TEAM_A, PAYMENTS, BILLING_API):
        assert f'href="{entity_url(ref)}"' in content
    assert "depends on" in content  # the list of relations for screen readers
    assert response.context["depth"] == 1


def test_page_draws_missing_nodes_without_a_link(
    catalog: None, viewer_client: Client
) -> None:
    content = get_page(viewer_client, BILLING).content.decode()
    assert "resource:default/missing-db (not in the catalog)" in content
    assert f'href="{entity_url(MISSING_DB)}"' not in content
    assert 'stroke-dasharray="5 3"' in content


def test_page_escapes_titles(catalog: None, viewer_client: Client) -> None:
    content = get_page(viewer_client, BILLING).content.decode()
    assert "&lt;script&gt;" in content
    assert "<script>" not in content


@pytest.mark.parametrize(
    ("query", "depth", "types"),
    [
        ("?depth=2&type=partOf&type=nonsense", 2, ["partOf"]),
        ("?depth=junk", 1, []),
        ("?depth=7&type=dependencyOf", 1, ["dependsOn"]),
    ],
)
def test_page_reads_its_choices(
    catalog: None, viewer_client: Client, query: str, depth: int, types: list[str]
) -> None:
    response = get_page(viewer_client, BILLING, query)
    assert response.status_code == 200
    assert response.context["depth"] == depth
    assert response.context["types"] == types


def test_page_filters_by_type(catalog: None, viewer_client: Client) -> None:
    response = get_page(viewer_client, BILLING, "?type=dependsOn")
    assert f'href="{entity_url(LEDGER)}"' in svg_of(response)
    assert f'href="{entity_url(TEAM_A)}"' not in svg_of(response)
    assert 'value="dependsOn" checked' in response.content.decode()


def test_system_page_shows_its_components(catalog: None, viewer_client: Client) -> None:
    content = get_page(viewer_client, PAYMENTS).content.decode()
    for ref in (BILLING, LEDGER, BILLING_API):
        assert f'href="{entity_url(ref)}"' in content


@pytest.mark.parametrize(
    ("root", "depth", "leaves"),
    [("small", 1, 3), ("hub", 1, 40), ("small", 3, 40), ("hub", 3, 40)],
)
def test_page_queries_do_not_grow_with_neighbours(
    many: None,
    viewer_client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    root: str,
    depth: int,
    leaves: int,
) -> None:
    # Only the relation queries grow, one per level: 3 neighbours cost what 40 do.
    with django_assert_max_num_queries(PAGE_QUERIES + depth + 1):
        response = get_page(
            viewer_client, f"component:default/{root}", f"?depth={depth}"
        )
    assert response.status_code == 200
    links = svg_of(response).count('href="/catalog/default/component/leaf-')
    assert links == leaves
