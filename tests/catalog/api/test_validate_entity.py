"""POST /api/catalog/validate-entity as Backstage's catalog backend answers it.

Backstage's router sets the managed-by annotations to the given location *under*
the entity's own (a JavaScript spread), processing reads them back as location
refs, and a Location entity's targets must be of a type some processor reads.
"""

from __future__ import annotations

import copy
from typing import Any

from catalog.models import Entity

URL = "/api/catalog/validate-entity"
WHERE = "url:https://github.com/acme/billing/blob/main/catalog-info.yaml"
MANAGED_BY = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"
COMPONENT = {
    "apiVersion": "backstage.io/v1alpha1",
    "kind": "Component",
    "metadata": {"name": "billing"},
    "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
}
LOCATION = {
    "apiVersion": "backstage.io/v1alpha1",
    "kind": "Location",
    "metadata": {"name": "more"},
    "spec": {"target": "./more/catalog-info.yaml"},
}


def validate(client, entity: Any, location: Any = WHERE):
    body = {"location": location, "entity": entity}
    return client.post(URL, body, content_type="application/json")


def with_metadata(entity: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    changed = copy.deepcopy(entity)
    changed["metadata"].update(metadata)
    return changed


def with_spec(entity: dict[str, Any], **spec: Any) -> dict[str, Any]:
    changed = copy.deepcopy(entity)
    changed["spec"].update(spec)
    return changed


def refused(response) -> list[str]:
    """The messages of a 400 in validate-entity's own shape."""
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors
    assert all(error["name"] == "InputError" for error in errors)
    return [error["message"] for error in errors]


def test_annotations_that_are_not_an_object_add_nothing_or_their_indices(
    viewer_client, db
):
    """`{...annotations}` of null, a boolean or a number is empty; of a string or a
    list it has the keys 0, 1, ...: valid annotation keys, here with string values."""
    for given in ("", None, True, False, 0, 5, "abc", ["x"]):
        entity = with_metadata(COMPONENT, annotations=given)
        assert validate(viewer_client, entity).status_code == 200, given
    for given, named in (
        ([5], "metadata.annotations.0"),
        ({"example.com/a": 5}, "example.com/a"),
    ):
        entity = with_metadata(COMPONENT, annotations=given)
        messages = refused(validate(viewer_client, entity))
        assert any(named in message for message in messages), messages


def test_the_entitys_own_managed_by_annotations_win_and_must_be_location_refs(
    viewer_client, db
):
    elsewhere = {MANAGED_BY: "file:/srv/catalog-info.yaml", ORIGIN: WHERE}
    entity = with_metadata(COMPONENT, annotations=elsewhere)
    assert validate(viewer_client, entity).status_code == 200
    cases = [
        (
            {MANAGED_BY: 5},
            "Unable to parse location ref '5', unexpected argument number",
        ),
        (
            {MANAGED_BY: ""},
            "Entity 'component:default/billing' does not have a location",
        ),
        ({ORIGIN: None}, "does not have an origin location"),
        ({ORIGIN: "no-colon"}, "expected '<type>:<target>'"),
        ({MANAGED_BY: "https://example.com/x"}, "please prefix it with 'url:'"),
    ]
    for given, message in cases:
        entity = with_metadata(COMPONENT, annotations=given)
        assert message in refused(validate(viewer_client, entity))[0], given


def test_the_location_is_parsed_as_backstage_parses_a_location_ref(viewer_client, db):
    assert (
        validate(viewer_client, COMPONENT, f"  url : {WHERE[4:]} ").status_code == 200
    )
    for location in ("url:", "url:  ", "url:javascript:alert(1)", "https://x/y", "x"):
        response = validate(viewer_client, COMPONENT, location)
        assert response.status_code == 400, location
        assert response.json()["error"]["name"] == "InputError"
    assert not Entity.objects.exists()


def test_a_location_of_a_readable_type_or_without_targets_is_valid(viewer_client, db):
    for spec in (
        {"target": "./a.yaml"},  # the type of the location it was read from: url
        {"type": "url", "targets": ["./a.yaml", "https://example.com/b.yaml"]},
        {"type": "github-org"},  # nothing to read
    ):
        entity = {**LOCATION, "spec": spec}
        assert validate(viewer_client, entity).status_code == 200, spec


def test_a_location_no_processor_reads_is_refused(viewer_client, db):
    """Backstage's processing reads a Location's targets; with no processor for the
    type (Greenroom reads url targets, and only while crawling) it answers 400."""
    cases = [
        ({"type": "github-org"}, {}, "github-org:./more/catalog-info.yaml"),
        (
            {"type": "file", "targets": ["./b.yaml"]},
            {},
            "file:./more/catalog-info.yaml",
        ),
        ({"type": "URL"}, {}, "URL:./more/catalog-info.yaml"),
        ({}, {MANAGED_BY: "file:/srv/x.yaml"}, "file:./more/catalog-info.yaml"),
    ]
    for spec, given, read in cases:
        entity = with_metadata(with_spec(LOCATION, **spec), annotations=given)
        messages = refused(validate(viewer_client, entity))
        assert messages == [f"No processor was able to handle reading of {read}"]
