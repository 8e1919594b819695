"""Input the database could not hold, and bodies too large or not JSON: 400s."""

from __future__ import annotations

import pytest

from catalog.models import Entity, Location

API = "/api/catalog"


def post(client, path: str, body: bytes | str, **extra):
    return client.generic(
        "POST", f"{API}{path}", body, content_type="application/json", **extra
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/entities/by-refs", '{"entityRefs": ["component:default/a\\u0000"]}'),
        ("/entities/by-refs", '{"entityRefs": ["component:default/\\udaf3"]}'),
        ("/entities/by-query", '{"query": {"kind\\u0000": "x"}}'),
        ("/entity-facets", '{"facets": ["kind"], "query": {"kind": "\\ud800"}}'),
        ("/entities/by-refs", '{"entityRefs": [], "x": NaN}'),
        ("/entities/by-refs", "{not json"),
        ("/entities/by-refs", b'{"entityRefs": ["\xff"]}'),
        ("/entities/by-refs", "[" * 5000 + "]" * 5000),
    ],
)
def test_bodies_the_database_cannot_hold_are_400(viewer_client, org, path, body):
    response = post(viewer_client, path, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["name"] == "InputError"


@pytest.mark.parametrize(
    "url",
    [
        "/entities?filter=kind=%00",
        "/entities/by-query?fullTextFilterTerm=a%00b",
        "/entities/by-name/component/default/bill%00ing",
        "/entity-facets?facet=kind%00",
    ],
)
def test_addresses_with_nul_characters_are_400(viewer_client, org, url):
    response = viewer_client.get(f"{API}{url}")
    assert response.status_code == 400, response.content
    assert "NUL" in response.json()["error"]["message"]


def test_oversized_bodies_are_400_and_change_nothing(editor_client, org, settings):
    settings.GREENROOM_API_MAX_BODY = 10_000
    refs = ["component:default/billing"] * 2_000
    big = '{"entityRefs": [' + ",".join(f'"{r}"' for r in refs) + "]}"
    response = post(editor_client, "/entities/by-refs", big)
    assert response.status_code == 400
    assert "larger than 10000 bytes" in response.json()["error"]["message"]
    before = (Location.objects.count(), Entity.objects.count())
    padded = '{"type": "url", "target": "https://github.com/a/b", "p": "' + "x" * 20_000
    assert post(editor_client, "/locations", padded + '"}').status_code == 400
    assert (Location.objects.count(), Entity.objects.count()) == before


def test_non_json_content_types_are_refused(viewer_client, org):
    response = viewer_client.post(
        f"{API}/entities/by-refs",
        {"entityRefs": "x"},  # a form, not JSON
    )
    assert response.status_code == 400
    assert "application/json" in response.json()["error"]["message"]
