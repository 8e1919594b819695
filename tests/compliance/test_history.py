"""The catalog as it was, across commits with an owner change, a rename, a removal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import EntityRevision, Location
from compliance import history
from tests.support.coverage import ORG, component

pytestmark = pytest.mark.django_db
DAY = [datetime(2026, 3, d, 12, 0, tzinfo=UTC) for d in range(1, 6)]


@pytest.fixture
def timeline(repos):
    """1 March: billing (team-a) and ledger; 2 March: billing moves to team-empty;
    3 March: ledger is renamed to books; 4 March: billing is removed."""
    repo = repos.create(
        "org",
        {"catalog-info.yaml": "---\n".join([ORG, component("billing", "team-a"),
                                           component("ledger", "team-a")])},
    )  # fmt: skip
    location, _ = register_location(repo.url)
    steps = [
        None,
        [ORG, component("billing", "team-empty"), component("ledger", "team-a")],
        [ORG, component("billing", "team-empty"), component("books", "team-a")],
        [ORG, component("books", "team-a")],
    ]
    for day, documents in zip(DAY, steps, strict=False):
        if documents:
            repo.commit({"catalog-info.yaml": "---\n".join(documents)})
        before = set(EntityRevision.objects.values_list("pk", flat=True))
        crawl_location(Location.objects.get(pk=location.pk))
        # Each crawl's revisions, dated as if it had run on that day.
        EntityRevision.objects.exclude(pk__in=before).update(recorded_at=day)
    return repo


def refs_at(day: datetime, **narrow) -> list[str]:
    rows = history.catalog_at(day)
    if owner := narrow.get("owner"):
        rows = rows.filter(owner_ref=owner)
    return sorted(r.ref for r in rows if r.kind == "Component")


def test_the_catalog_at_each_date(timeline):
    assert refs_at(DAY[0] - timedelta(days=1)) == []
    assert refs_at(DAY[0]) == ["component:default/billing", "component:default/ledger"]
    assert refs_at(DAY[2]) == ["component:default/billing", "component:default/books"]
    assert refs_at(DAY[3]) == ["component:default/books"]
    # What team-a owned, then.
    assert refs_at(DAY[0], owner="group:default/team-a") == [
        "component:default/billing",
        "component:default/ledger",
    ]
    assert refs_at(DAY[1], owner="group:default/team-a") == ["component:default/ledger"]


def test_an_entity_at_a_date_and_its_owners(timeline):
    ref = "component:default/billing"
    assert history.entity_at(ref, DAY[0]).owner_ref == "group:default/team-a"
    assert history.entity_at(ref, DAY[1]).owner_ref == "group:default/team-empty"
    assert history.entity_at(ref, DAY[3]) is None  # removed
    owners = [(o.owner, o.since.recorded_at) for o in history.ownership(ref)]
    assert owners == [
        ("group:default/team-a", DAY[0]),
        ("group:default/team-empty", DAY[1]),
        ("(removed)", DAY[3]),
    ]
    first = history.entity_at(ref, DAY[0])
    second = history.entity_at(ref, DAY[1])
    changed = [line.text for line in history.diff(first, second) if line.kind]
    assert "-  owner: team-a" in changed
    assert "+  owner: team-empty" in changed


def test_the_pages_and_exports(timeline, viewer_client):
    page = viewer_client.get("/compliance/history", {"at": "2026-03-01"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "component:default/ledger" in body
    assert "component:default/books" not in body
    owned = viewer_client.get(
        "/compliance/history",
        {"at": "2026-03-02", "owner": "group:default/team-a", "format": "csv"},
    )
    text = b"".join(owned.streaming_content).decode().removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["entityRef"] for r in rows] == ["component:default/ledger"]
    entity = viewer_client.get(
        "/compliance/history/component/default/billing", {"at": "2026-03-01"}
    ).content.decode()
    assert "group:default/team-a" in entity
    assert "It was not in the catalog then" not in entity
    gone = viewer_client.get(
        "/compliance/history/component/default/billing", {"at": "2026-03-04"}
    )
    assert "It was not in the catalog then" in gone.content.decode()
    assert (
        viewer_client.get("/compliance/history/component/default/never").status_code
        == 404
    )
    assert viewer_client.get("/compliance/history", {"at": "soon"}).status_code == 400


def test_the_api(timeline, viewer_client):
    at = viewer_client.get(
        "/api/compliance/catalog", {"at": "2026-03-03", "kind": "component"}
    ).json()
    assert [i["entityRef"] for i in at["items"]] == [
        "component:default/billing",
        "component:default/books",
    ]
    one = viewer_client.get(
        "/api/compliance/entities/component/default/billing", {"at": "2026-03-02"}
    ).json()
    assert one["inCatalog"] is True
    assert one["revision"]["owner"] == "group:default/team-empty"
    assert one["entity"]["spec"]["owner"] == "team-empty"
    assert [o["owner"] for o in one["owners"]] == [
        "group:default/team-a",
        "group:default/team-empty",
        "(removed)",
    ]
    first, second = (o["since"]["revision"] for o in one["owners"][:2])
    diff = viewer_client.get(
        "/api/compliance/diff", {"from": first, "to": second}
    ).json()
    assert {"kind": "add", "text": "+  owner: team-empty"} in diff["lines"]
    page = viewer_client.get(
        f"/compliance/diff?from={first}&to={second}"
    ).content.decode()
    assert "+  owner: team-empty" in page
    bad = viewer_client.get("/api/compliance/catalog", {"at": "yesterday"})
    assert bad.status_code == 400
    assert viewer_client.get("/api/compliance/diff", {"to": "x"}).status_code == 404


def test_pages_of_the_catalog_then_skip_removals(timeline, viewer_client):
    everything = sorted(r.ref for r in history.catalog_at(DAY[3]))
    assert "component:default/billing" not in everything  # removed by then
    walked, after = [], ""
    while True:
        page = history.catalog_page(DAY[3], after=after, size=2)
        walked += [r.ref for r in page]
        if len(page) < 2:
            break
        after = page[-1].ref
    assert walked == everything
    first = viewer_client.get(
        "/api/compliance/catalog", {"at": "2026-03-04", "limit": 2}
    )
    body = first.json()
    assert [i["entityRef"] for i in body["items"]] == everything[:2]
    again = viewer_client.get(
        "/api/compliance/catalog",
        {"at": "2026-03-04", "limit": 2, "after": body["nextAfter"]},
    ).json()
    assert [i["entityRef"] for i in again["items"]] == everything[2:4]
    html = viewer_client.get("/compliance/history", {"at": "2026-03-04"}).content
    assert b"component:default/books" in html
