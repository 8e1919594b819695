"""Entity references and relations, against the reference (sections 3 and 5)."""

from __future__ import annotations

import pytest

from catalog.descriptor import RefError, parse_file, parse_ref
from catalog.descriptor.relations import Relation, entity_relations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("team-a", "group:payments/team-a"),
        ("user:jdoe", "user:payments/jdoe"),
        ("default/team-a", "group:default/team-a"),
        ("Group:Default/Team-A", "group:default/team-a"),
        ("component:default/a:b", "component:default/a:b"),
        ("a/b/c", "group:a/b/c"),
    ],
)
def test_refs_take_the_field_kind_and_the_entity_namespace(text, expected):
    ref = parse_ref(text, default_kind="Group", default_namespace="payments")
    assert ref.ref == expected


@pytest.mark.parametrize("text", ["", ":x", "x/", "/x", "component:"])
def test_empty_parts_are_errors(text):
    with pytest.raises(RefError):
        parse_ref(text, default_kind="Group")


def test_a_field_without_default_kind_needs_one():
    with pytest.raises(RefError, match="missing or empty kind"):
        parse_ref("billing-db")


def test_relations_come_in_pairs_and_lists_are_order_independent():
    spec = {
        "owner": "team-a",
        "dependsOn": ["resource:db", "component:ns2/other"],
        "dependencyOf": {"kind": "Component", "name": "front"},
    }
    relations, errors = entity_relations("component:ns/svc", "Component", "ns", spec)
    assert errors == []
    assert set(relations) == {
        Relation("component:ns/svc", "ownedBy", "group:ns/team-a"),
        Relation("group:ns/team-a", "ownerOf", "component:ns/svc"),
        Relation("component:ns/svc", "dependsOn", "resource:ns/db"),
        Relation("resource:ns/db", "dependencyOf", "component:ns/svc"),
        Relation("component:ns/svc", "dependsOn", "component:ns2/other"),
        Relation("component:ns2/other", "dependencyOf", "component:ns/svc"),
        Relation("component:ns/svc", "dependencyOf", "component:ns/front"),
        Relation("component:ns/front", "dependsOn", "component:ns/svc"),
    }
    reordered = dict(spec, dependsOn=list(reversed(spec["dependsOn"])))
    assert entity_relations("component:ns/svc", "Component", "ns", reordered)[0] == (
        relations
    )


def test_group_members_and_user_memberof_collapse_to_one_pair():
    text = b"""\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: [], members: [jdoe]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec: {memberOf: [team-a]}
"""
    result = parse_file(text, "org.yaml")
    pairs = {r for entity in result.entities for r in entity.relations}
    assert pairs == {
        Relation("group:default/team-a", "hasMember", "user:default/jdoe"),
        Relation("user:default/jdoe", "memberOf", "group:default/team-a"),
    }


def test_identity_is_case_insensitive_but_the_written_name_is_kept():
    text = b"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: Billing-API, namespace: payments}
spec: {type: service, lifecycle: production, owner: Team-A}
"""
    (entity,) = parse_file(text, "catalog-info.yaml").entities
    assert entity.ref == "component:payments/billing-api"
    assert entity.entity["metadata"]["name"] == "Billing-API"
    assert entity.owner == "group:payments/team-a"


def test_entity_urls_match_the_url_map():
    from django.urls import reverse

    from catalog.refs_display import entity_url

    for ref in ("component:default/billing", "api:shop/x.y_z", "group:a-b/team-1"):
        kind, rest = ref.split(":")
        namespace, name = rest.split("/")
        expected = reverse(
            "catalog:entity-detail",
            kwargs={"namespace": namespace, "kind": kind, "name": name},
        )
        assert entity_url(ref) == expected
        assert entity_url(ref, "graph") == expected + "/graph"
    assert (
        entity_url("component:default/a b?c") == "/catalog/default/component/a%20b%3Fc"
    )
