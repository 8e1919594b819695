"""Docs sites on an object store: built, served, searched and removed through
django-storages' S3 backend, against a real local S3-compatible server (moto's
server, over HTTP), as worker pools on several machines share them."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from catalog.locations import register_location
from techdocs.models import DocsBuild, DocsSite
from techdocs.sites import docs_changed, run_build
from tests.support.catalog import crawl
from tests.support.docs import BASE, COMPONENT, FILES
from tests.support.gitrepos import free_port

pytestmark = pytest.mark.django_db
BUCKET = "greenroom-docs"


@pytest.fixture
def bucket(settings) -> Iterator[object]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": f"http://127.0.0.1:{port}",
        "access_key": "greenroom",
        "secret_key": "greenroom-secret",
        "region_name": "us-east-1",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
        region_name=options["region_name"],
    )
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "techdocs": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    try:
        yield s3
    finally:
        server.stop()


def keys(s3) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_sites_are_built_served_searched_and_removed_on_the_object_store(
    bucket, repos, viewer_client, django_capture_on_commit_callbacks
):
    repo = repos.create("documented", FILES)
    location = crawl(register_location(repo.url)[0])
    [build] = docs_changed(location)
    assert run_build(build).status == DocsBuild.Status.SUCCEEDED
    stored = keys(bucket)
    assert any(key.endswith("index.html") for key in stored)
    assert any(key.endswith("img/logo.png") for key in stored)

    page = viewer_client.get(BASE)
    assert page.status_code == 200
    assert "Invoices" in page.content.decode()
    assert viewer_client.get(BASE + "guide/").status_code == 200
    image = viewer_client.get(BASE + "img/logo.png")
    assert image.status_code == 200
    assert b"".join(image.streaming_content if image.streaming else [image.content])
    found = viewer_client.get("/docs/search?query=invoices")
    assert "Invoices" in found.content.decode()
    assert viewer_client.get("/readyz").status_code == 200

    # The entity leaves the catalog: its site goes, from the store too.
    repo.commit({"catalog-info.yaml": COMPONENT.replace("billing", "ledger")})
    with django_capture_on_commit_callbacks(execute=True):  # files go on commit
        docs_changed(crawl(location))
    assert not DocsSite.objects.filter(entity_ref="component:default/billing").exists()
    assert not [key for key in keys(bucket) if "billing" in key]
    assert viewer_client.get(BASE).status_code == 404
