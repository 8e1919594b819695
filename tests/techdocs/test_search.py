"""Docs search: each current site's pages, section by section, in the portal search."""

from __future__ import annotations

import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Location
from techdocs.models import DocsBuild, DocsSection, DocsSite
from techdocs.search import search, split
from techdocs.sites import docs_changed, run_build
from tests.support.docs import COMPONENT, FILES

pytestmark = pytest.mark.django_db

GUIDE = """\
# Operator guide

Read this first.

## Rotating the ledger keys

Run the **rotation** job from the console; it re-signs every invoice.

| Step | What |
|------|------|
| one  | drain |
| two  | rotate |

## Troubleshooting

Keep calm. `<b>not markup</b>`
"""


def crawl(location: Location) -> Location:
    crawl_location(Location.objects.get(pk=location.pk))
    return Location.objects.get(pk=location.pk)


def built(repos, name: str, files: dict) -> tuple:
    files = {**files, "catalog-info.yaml": COMPONENT.replace("billing", name)}
    repo = repos.create(name, files)
    location = crawl(register_location(repo.url)[0])
    [build] = docs_changed(location)
    build = run_build(build)
    assert build.status == DocsBuild.Status.SUCCEEDED, build.error
    return repo, location


def test_pages_split_at_headings_with_ids():
    html = (
        "<p>Intro <em>text</em>.</p>"
        '<h2 id="setup">Set <code>up</code>'
        '<a class="headerlink" href="#setup">¶</a></h2>'
        "<table><tr><td>a</td><td>b</td></tr></table>"
        "<h3>No id</h3><p>still setup</p>"
        '<h2 id="empty">Empty</h2>'
    )
    sections = split(html)
    assert [(s.anchor, s.title, s.text) for s in sections] == [
        ("", "", "Intro text."),
        ("setup", "Set up", "a b No id still setup"),
        ("empty", "Empty", ""),
    ]


def test_a_phrase_inside_a_page_finds_the_page_and_its_section(repos, viewer_client):
    built(repos, "billing", {**FILES, "docs/guide.md": GUIDE})
    built(repos, "ledger", FILES)
    [found] = search("re-signs every invoice")
    assert (found.site.entity_ref, found.url, found.anchor) == (
        "component:default/billing",
        "guide/",
        "rotating-the-ledger-keys",
    )
    assert found.page_title == "Operator guide"
    assert found.title == "Rotating the ledger keys"
    assert (
        found.href == "/docs/default/component/billing/guide/#rotating-the-ledger-keys"
    )
    # English stemming: "rotating" finds "rotation" and "rotate"; the section
    # whose title says so comes first.
    assert [s.anchor for s in search("rotate")][0] == "rotating-the-ledger-keys"
    assert sorted((s.site.name, s.url, s.anchor) for s in search("invoices")) == [
        ("billing", "", "billing"),  # "Invoices." on the home page
        ("billing", "guide/", "rotating-the-ledger-keys"),  # "every invoice"
        ("ledger", "", "billing"),
    ]
    assert list(search("")) == []
    assert list(search("zebra")) == []

    page = viewer_client.get("/docs/search", {"query": "drain"}).content.decode()
    assert "1 section for" in page
    assert (
        'href="/docs/default/component/billing/guide/#rotating-the-ledger-keys"' in page
    )
    assert "<mark>drain</mark>" in page
    calm = viewer_client.get("/docs/search", {"query": "calm"}).content.decode()
    assert "&lt;b&gt;not markup&lt;/b&gt;" in calm  # the text is escaped
    assert "<b>not markup</b>" not in calm


def test_the_portal_search_shows_documentation_sections(repos, viewer_client):
    built(repos, "billing", {**FILES, "docs/guide.md": GUIDE})
    page = viewer_client.get("/search", {"query": "troubleshooting calm"})
    body = page.content.decode()
    assert "No entity matches; the documentation does, below" in body
    assert "In the documentation" in body
    assert 'href="/docs/default/component/billing/guide/#troubleshooting"' in body
    # Filtered by kind like the entities: no API has these docs.
    body = viewer_client.get("/search", {"query": "calm", "kind": "api"}).content
    assert b"In the documentation" not in body
    assert (
        b"In the documentation"
        in viewer_client.get("/search", {"query": "calm", "kind": "component"}).content
    )


def test_only_the_current_site_is_searched(repos, django_capture_on_commit_callbacks):
    repo, location = built(repos, "billing", {**FILES, "docs/guide.md": GUIDE})
    assert search("drain")
    repo.commit({"docs/guide.md": "# Operator guide\n\n## Cutover\n\nFlip it.\n"})
    [second] = docs_changed(crawl(location))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_build(second).status == DocsBuild.Status.SUCCEEDED
    assert list(search("drain")) == []
    assert [s.anchor for s in search("flip")] == ["cutover"]
    assert set(DocsSection.objects.values_list("build_id", flat=True)) == {second.pk}

    # A failed build leaves the searchable text of the good one.
    repo.commit({"mkdocs.yml": "docs_dir: /etc\n"})
    [bad] = docs_changed(crawl(location))
    assert run_build(bad).status == DocsBuild.Status.FAILED
    assert [s.anchor for s in search("flip")] == ["cutover"]


def test_an_entity_that_leaves_takes_its_docs_along(
    repos, django_capture_on_commit_callbacks
):
    from techdocs.sites import storage

    repo, location = built(repos, "billing", {**FILES, "docs/guide.md": GUIDE})
    site = DocsSite.objects.get()
    prefix = f"{site.key}/{site.current_id}"
    repo.commit({"catalog-info.yaml": COMPONENT.replace("billing", "renamed")})
    with django_capture_on_commit_callbacks(execute=True):
        docs_changed(crawl(location))
    assert not DocsSite.objects.filter(entity_ref="component:default/billing").exists()
    assert not storage().exists(f"{prefix}/index.html")
    assert list(search("drain")) == []  # its sections went with it


def test_a_title_match_is_ranked_even_past_the_first_candidates(
    repos, monkeypatch, viewer_client
):
    import techdocs.search

    monkeypatch.setattr(techdocs.search, "CANDIDATES", 2)
    pages = {f"docs/p{i}.md": f"# Page {i}\n\nAbout ledgers, {i}.\n" for i in range(6)}
    pages["docs/z.md"] = "# Ledgers\n\nThe reference.\n"  # written last
    built(repos, "billing", {**FILES, **pages})
    found = search("ledgers")
    assert found[:1][0].page_title == "Ledgers"
    assert len(found) == 3  # the title match and the first two others
    assert found.more  # and there are others
    listed = viewer_client.get("/docs/search", {"query": "ledgers"}).content
    assert b"More than 3 sections" in listed
