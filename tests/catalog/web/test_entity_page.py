"""The entity page: header, relations, ownership, source, errors, YAML, history."""

from __future__ import annotations

from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG, many_components
from tests.support.queries import count_queries

BILLING = "/catalog/default/component/billing"


def test_header_description_and_links(viewer_client, org):
    body = viewer_client.get(BILLING).content.decode()
    assert "<h1>Billing service</h1>" in body
    for text in ("service", "production", "Sends invoices to customers"):
        assert text in body
    assert 'href="/catalog/default/group/payments-team"' in body
    assert 'href="/catalog/default/system/payments"' in body
    assert 'href="https://billing.example.com/runbook"' in body
    assert "github.com/project-slug" in body


def test_relations_grouped_by_type(viewer_client, org):
    groups = {
        g.label: [n.ref for n in g.neighbours]
        for g in viewer_client.get(BILLING).context["relation_groups"]
    }
    assert groups["Depends on"] == [
        "component:default/ghost",
        "resource:default/billing-db",
    ]
    assert groups["Provides APIs"] == ["api:default/billing-api"]
    assert groups["Owner"] == ["group:default/payments-team"]
    assert groups["Part of"] == ["system:default/payments"]
    body = viewer_client.get(BILLING).content.decode()
    assert "not in the catalog" in body  # component:ghost
    api = viewer_client.get("/catalog/default/api/billing-api").context
    labels = {g.label: [n.ref for n in g.neighbours] for g in api["relation_groups"]}
    assert labels["Provided by"] == ["component:default/billing"]
    assert labels["Consumed by"] == ["component:default/ledger"]


def test_source_and_edit_links_come_from_the_location(viewer_client, org):
    body = viewer_client.get(BILLING).content.decode()
    assert org.url in body
    assert org.last_commit[:12] in body
    assert f'href="/locations/{org.pk}"' in body


def test_group_owns_through_its_child_groups(viewer_client, org):
    context = viewer_client.get("/catalog/default/group/platform").context
    ownership = context["ownership"]
    assert ownership["descendants"] == ["group:default/payments-team"]
    assert dict(ownership["by_kind"]) == {
        "api": 1,
        "component": 2,
        "resource": 1,
        "system": 1,
    }
    body = viewer_client.get("/catalog/default/group/platform").content.decode()
    assert "via" in body
    assert (
        "owner=group%3Adefault%2Fplatform&amp;owner=group%3Adefault%2Fpayments-team"
        in body
    )
    team = viewer_client.get("/catalog/default/group/payments-team").context
    groups = {g.label: [n.ref for n in g.neighbours] for g in team["relation_groups"]}
    assert groups["Members"] == ["user:default/jdoe"]
    assert groups["Parent group"] == ["group:default/platform"]


def test_user_page(viewer_client, org):
    body = viewer_client.get("/catalog/default/user/jdoe").content.decode()
    assert "Jane Doe" in body
    assert 'href="/catalog/default/group/payments-team"' in body


def test_entity_addresses_ignore_case_and_unknown_ones_404(viewer_client, org):
    assert viewer_client.get("/catalog/Default/Component/Billing").status_code == 200
    assert viewer_client.get("/catalog/default/component/nope").status_code == 404


def test_processing_errors_of_the_entity_and_its_file(viewer_client, repos, db):
    broken = "---\n".join(
        [
            many_components(1, "ok"),
            "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
            "metadata: {name: bad}\n",
        ]
    )
    crawl_repo(repos, "broken", {"catalog-info.yaml": broken})
    body = viewer_client.get("/catalog/default/component/ok-0").content.decode()
    assert "Processing errors" in body
    errors = body.split("Processing errors", 1)[1]
    assert "None for this entity." in errors
    assert "Elsewhere in its location" in errors
    assert "(component:default/bad): spec is required" in errors


def test_yaml_tab_shows_the_descriptor_as_written(viewer_client, org):
    body = viewer_client.get(BILLING + "/yaml").content.decode()
    assert "name: billing" in body
    assert "dependsOn:" in body
    assert "backstage.io/managed-by-location" not in body  # not the processed form


def test_history_has_a_readable_diff(viewer_client, repos, db):
    repo = repos.create("hist", {"catalog-info.yaml": ORG})
    from catalog.ingest.sync import crawl_location
    from catalog.locations import register_location

    location, _ = register_location(repo.url)
    crawl_location(location)
    repo.commit(
        {
            "catalog-info.yaml": ORG.replace(
                "lifecycle: production", "lifecycle: retired"
            )
        },
        "retire billing",
    )
    crawl_location(location)
    changes = viewer_client.get(BILLING + "/history").context["changes"]
    assert [c.revision.action for c in changes] == ["changed", "added"]
    lines = [(line.kind, line.text[1:].strip()) for line in changes[0].diff]
    assert ("del", "lifecycle: production") in lines
    assert ("add", "lifecycle: retired") in lines
    body = viewer_client.get(BILLING + "/history").content.decode()
    assert '<span class="add">' in body
    assert "retired" in body


def test_query_counts_do_not_grow_with_relations(viewer_client, repos, db):
    small = "---\n".join(
        [
            many_components(2, "dep"),
            "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
            "metadata: {name: platform}\n"
            "spec: {type: team, children: []}\n",
            many_components(1, "hub", dependsOn="[component:dep-0, component:dep-1]"),
        ]
    )
    crawl_repo(repos, "small", {"catalog-info.yaml": small})
    pages = [
        "/catalog/default/component/hub-0",
        "/catalog/default/group/platform",
        "/catalog/default/component/hub-0/history",
        "/catalog/default/component/hub-0/yaml",
    ]
    before = [count_queries(viewer_client, url) for url in pages]
    deps = ", ".join(f"component:more-{i}" for i in range(40))
    crawl_repo(
        repos,
        "large",
        {
            "catalog-info.yaml": "---\n".join(
                [
                    many_components(40, "more"),
                    many_components(1, "big", dependsOn=f"[{deps}]"),
                ]
            )
        },
    )
    after = [count_queries(viewer_client, url) for url in pages]
    assert after == before
    assert count_queries(viewer_client, "/catalog/default/component/big-0") == before[0]
    big = viewer_client.get("/catalog/default/component/big-0")
    depends = next(g for g in big.context["relation_groups"] if g.type == "dependsOn")
    assert (len(depends.neighbours), depends.total) == (20, 40)
    assert "and 20 more" in big.content.decode()
