"""GET …/ancestry: who emitted an entity, up to its registration's Location entity."""

from __future__ import annotations

from catalog.ingest.generated import generated_ref
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from tests.support.descriptors import component

API = "/api/catalog/entities/by-name"
ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: root}}
spec:
  targets: [{targets}]
---
"""
SERVICES = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: services}
spec: {targets: [./svc/catalog-info.yaml]}
"""


def ancestry(client, kind: str, name: str) -> dict:
    response = client.get(f"{API}/{kind}/default/{name}/ancestry")
    assert response.status_code == 200, response.content
    return response.json()


def chain(body: dict) -> list[tuple[str, list[str]]]:
    return [
        (
            f"{i['entity']['kind']}:{i['entity']['metadata']['name']}".lower(),
            i["parentEntityRefs"],
        )
        for i in body["items"]
    ]


def test_ancestry_follows_the_emit_graph(viewer_client, repos, git_daemon, db):
    other = repos.create("other", {"catalog-info.yaml": component("elsewhere")})
    remote = git_daemon.url(other)
    repo = repos.create(
        "org",
        {
            "catalog-info.yaml": ROOT.format(targets=f"./services.yaml, {remote}")
            + component("top"),
            "services.yaml": SERVICES,
            "svc/catalog-info.yaml": component("deep"),
        },
    )
    location, _ = register_location(git_daemon.url(repo))
    crawl_location(location)
    crawl_location(Location.objects.get(parent=location))
    generated = generated_ref(git_daemon.url(repo))
    assert Entity.objects.get(ref=generated).processed["spec"] == {
        "type": "url",
        "target": git_daemon.url(repo),
    }

    body = ancestry(viewer_client, "Component", "DEEP")  # case-insensitive, as names
    assert body["rootEntityRef"] == "component:default/deep"
    assert chain(body) == [
        ("component:deep", ["location:default/services"]),
        ("location:services", ["location:default/root"]),
        ("location:root", [generated]),
        (f"location:{generated.split('/')[1]}", []),
    ]
    assert body["items"][0]["entity"]["metadata"]["uid"]  # served as everywhere
    # Files named by the registration itself were emitted by its Location entity.
    assert chain(ancestry(viewer_client, "component", "top"))[0] == (
        "component:top",
        [generated],
    )
    # Another repository's entities hang under the Location entity naming it.
    assert chain(ancestry(viewer_client, "component", "elsewhere"))[:2] == [
        ("component:elsewhere", ["location:default/root"]),
        ("location:root", [generated]),
    ]
    missing = viewer_client.get(f"{API}/component/default/nope/ancestry")
    assert missing.status_code == 404
    assert missing.json()["error"]["name"] == "NotFoundError"


def test_a_moved_file_gets_its_new_parent(viewer_client, repos, db):
    files = {
        "catalog-info.yaml": ROOT.format(targets="./services.yaml") + component("top"),
        "services.yaml": SERVICES,
        "svc/catalog-info.yaml": component("deep"),
    }
    repo = repos.create("org", files)
    location, _ = register_location(repo.url)
    crawl_location(location)
    # The root now names the service file itself; the services Location is gone.
    repo.commit(
        {
            "catalog-info.yaml": files["catalog-info.yaml"].replace(
                "./services.yaml", "./svc/catalog-info.yaml"
            ),
            "services.yaml": None,
        }
    )
    crawl_location(Location.objects.get(pk=location.pk))
    assert chain(ancestry(viewer_client, "component", "deep"))[0] == (
        "component:deep",
        ["location:default/root"],
    )
