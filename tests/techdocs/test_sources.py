"""Where docs come from: `dir:` beside the descriptor, `url:` here or elsewhere."""

from __future__ import annotations

import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from catalog.tasks import crawl_location_task
from techdocs.models import DocsBuild, DocsSite
from techdocs.search import search
from techdocs.sites import docs_changed
from techdocs.source import DocsSource, SourceError, docs_source

pytestmark = pytest.mark.django_db

DESCRIPTOR = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations: {{backstage.io/techdocs-ref: "{ref}"}}
spec: {{type: service, lifecycle: production, owner: team-a}}
"""
HANDBOOK = {
    "mkdocs.yml": "site_name: Handbook\n",
    "docs/index.md": "# Handbook\n\nOn-call rotas live here.\n",
}


def crawl(location: Location) -> Location:
    crawl_location(Location.objects.get(pk=location.pk))
    return Location.objects.get(pk=location.pk)


def entity_with(ref: str, path: str = "catalog-info.yaml") -> Entity:
    """An entity as read from `path` of a repository (not stored: the rules are
    a plain function of the annotation, the file's path and the repository)."""
    annotations = {"backstage.io/techdocs-ref": ref}
    return Entity(
        processed={"metadata": {"name": "billing", "annotations": annotations}},
        path=path,
        location=Location(url="https://github.com/acme/billing"),
    )


@pytest.mark.parametrize(
    ("ref", "path", "expected"),
    [
        ("dir:.", "catalog-info.yaml", ("", "")),
        ("dir:.", "services/billing/catalog-info.yaml", ("services/billing", "")),
        ("dir:../docs", "services/catalog-info.yaml", ("docs", "")),
        (
            "url:https://github.com/acme/handbook/tree/main/guides",
            "catalog-info.yaml",
            ("guides", "main"),
        ),
        (
            "url:https://gitlab.com/acme/handbook/-/tree/release/ops",
            "catalog-info.yaml",
            ("ops", "release"),
        ),
        ("url:https://github.com/acme/handbook", "catalog-info.yaml", ("", "")),
    ],
)
def test_techdocs_ref_forms(ref, path, expected):
    source = docs_source(entity_with(ref, path))
    assert (source.folder, source.branch) == expected
    assert source.external == ref.startswith("url:")


@pytest.mark.parametrize(
    ("ref", "error"),
    [
        ("dir:../..", "leaves the repository"),
        ("dir:/etc", "not a relative path"),
        ("url:https://github.com/acme/handbook/tree/main/../../x", "leaves"),
        ("git:somewhere", "must be dir: or url:"),
    ],
)
def test_refs_that_leave_or_make_no_sense_are_refused(ref, error):
    with pytest.raises(SourceError, match=error):
        docs_source(entity_with(ref))


def test_a_url_to_the_entitys_own_repository_reads_the_crawled_commit():
    for own in (
        "url:https://github.com/acme/billing/tree/main/",
        "url:https://GitHub.com/acme/billing.git",
    ):
        assert docs_source(entity_with(own)) == DocsSource(
            "https://github.com/acme/billing", ""
        )


def test_docs_in_another_repository_are_mirrored_built_and_followed(
    repos, django_capture_on_commit_callbacks
):
    handbook = repos.create("handbook", HANDBOOK)
    service = repos.create(
        "billing", {"catalog-info.yaml": DESCRIPTOR.format(ref=f"url:{handbook.url}")}
    )
    location, _ = register_location(service.url)
    with django_capture_on_commit_callbacks(execute=True):
        crawl_location_task.delay(location.pk)
    first = DocsBuild.objects.get()
    assert first.status == DocsBuild.Status.SUCCEEDED, first.error
    assert first.commit == handbook.head()  # the handbook's commit, not billing's
    site = DocsSite.objects.get()
    assert (site.repository, site.location_id) == (handbook.url, location.pk)
    assert [s.url for s in search("rotas")] == [""]

    # The service does not change; its docs do: the next crawl notices.
    handbook.commit({"docs/index.md": "# Handbook\n\nEscalation paths live here.\n"})
    with django_capture_on_commit_callbacks(execute=True):
        crawl_location_task.delay(location.pk)
    latest = DocsBuild.objects.order_by("-pk").first()
    assert (latest.status, latest.commit) == (
        DocsBuild.Status.SUCCEEDED,
        handbook.head(),
    )
    assert list(search("rotas")) == []
    assert search("escalation")
    # Nothing changed anywhere: nothing is built.
    with django_capture_on_commit_callbacks(execute=True):
        crawl_location_task.delay(location.pk)
    assert DocsBuild.objects.count() == 2


def test_a_docs_repository_that_cannot_be_read_says_so_once(repos, settings):
    service = repos.create(
        "billing",
        {"catalog-info.yaml": DESCRIPTOR.format(ref="url:https://example.com/x/y")},
    )
    location = crawl(register_location(service.url)[0])
    settings.GREENROOM_ALLOWED_GIT_HOSTS = ["github.com"]
    assert docs_changed(location) == []
    assert docs_changed(location) == []
    [failed] = DocsBuild.objects.all()  # said once, not on every crawl
    assert failed.status == DocsBuild.Status.FAILED
    assert "example.com" in failed.error
    assert "docs repository" in failed.error
    assert DocsSite.objects.get().current is None


def test_a_bad_ref_is_shown_on_the_docs_tab(repos, viewer_client):
    service = repos.create(
        "billing", {"catalog-info.yaml": DESCRIPTOR.format(ref="dir:../..")}
    )
    docs_changed(crawl(register_location(service.url)[0]))
    tab = viewer_client.get("/catalog/default/component/billing/docs").content
    assert b"leaves the repository" in tab
