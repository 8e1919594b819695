"""What a docs site may make a reader's browser do: links, files, scripts."""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path

import nh3
import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Location
from techdocs import sanitize, serve
from techdocs.models import DocsBuild
from techdocs.sites import docs_changed, run_build
from tests.support.docs import BASE, HOSTILE, PAYLOAD


class Tags(HTMLParser):
    """The start tags a browser's parser would see."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)


# Finding 10: the sanitiser, whatever nh3 does with `>` in attribute values.


def test_the_sanitiser_needs_no_escaping_of_angle_brackets_in_attributes(
    monkeypatch,
):
    real = nh3.clean

    def like_nh3_before_0_3_7(html: str, **options: object) -> str:
        # Up to 0.3.6, attribute values came out with `<` and `>` as written.
        cleaned = real(html, **options)
        return re.sub(
            r'="([^"]*)"',
            lambda m: '="' + m[1].replace("&gt;", ">").replace("&lt;", "<") + '"',
            cleaned,
        )

    monkeypatch.setattr(nh3, "clean", like_nh3_before_0_3_7)
    html = sanitize.clean(PAYLOAD)
    assert "script" not in Tags(html).tags
    assert Tags(html).tags == ["div", "input"]


def test_inputs_keep_only_toggle_types_and_nh3_is_new_enough():
    html = sanitize.clean(
        f'{PAYLOAD}<input type="password" name="p"><input type="radio" name="t">'
        '<input type="checkbox" checked disabled><input type="image" src="x.png">'
    )
    assert "<script" not in html
    types = re.findall(r'type="([^"]*)"', html)
    assert types == ["radio", "checkbox"]
    assert html.count('readonly="readonly"') == html.count("<input")
    floor = tuple(int(part) for part in version("nh3").split(".")[:3])
    assert floor >= (0, 3, 7)
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("nh3>=0.3.7") for d in dependencies)


@pytest.mark.parametrize(
    ("path", "content_type", "inline"),
    [
        ("evil.js", "application/octet-stream", False),
        ("js/app.mjs", "application/octet-stream", False),
        ("css/site.css", "application/octet-stream", False),
        ("feed.xml", "application/octet-stream", False),
        ("page.xhtml", "application/octet-stream", False),
        ("notes.txt", "application/octet-stream", False),
        ("guide.pdf", "application/octet-stream", False),
        ("no-extension", "application/octet-stream", False),
        ("img/logo.png", "image/png", True),
        ("img/LOGO.JPG", "image/jpeg", True),
        ("img/diagram.svg", "image/svg+xml", True),
        ("techdocs_metadata.json", "application/json", True),
    ],
)
def test_only_images_keep_their_type(path, content_type, inline):
    assert serve.content_type(path) == (content_type, inline)


# Findings 8 and 10 through the portal: a built site with hostile parts.


@pytest.fixture
def hostile_site(repos, db) -> DocsBuild:
    repo = repos.create("billing", HOSTILE)
    location = register_location(repo.url)[0]
    crawl_location(Location.objects.get(pk=location.pk))
    [build] = docs_changed(Location.objects.get(pk=location.pk))
    built = run_build(build)
    assert built.status == DocsBuild.Status.SUCCEEDED, built.error
    return built


def test_docs_navigation_links_pass_the_entity_link_check(hostile_site, viewer_client):
    body = viewer_client.get(BASE).content.decode()
    start = body.index('<nav class="docs-nav"')
    nav = body[start : body.index("</nav>", start)]
    hrefs = re.findall(r'href="([^"]*)"', nav)
    assert hrefs == [BASE, BASE, f"{BASE}guide/", "https://example.com/runbook"]
    for title in ("Evil", "Sneaky", "Data"):
        assert f"<span>{title}</span>" in nav
    assert "javascript" not in body.lower()
    assert "data:text" not in body
    assert 'rel="noopener noreferrer nofollow">Elsewhere</a>' in nav
    guide = viewer_client.get(f"{BASE}guide/").content.decode()
    assert 'href="#setup"' in guide  # the page's contents, as before


def test_site_files_never_run_in_the_portal(hostile_site, viewer_client):
    for path in ("evil.js", "site.css"):
        response = viewer_client.get(BASE + path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream", path
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == "attachment"
        assert "sandbox" in response["Content-Security-Policy"]
    svg = viewer_client.get(f"{BASE}img/evil.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    policy = svg["Content-Security-Policy"]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert "script" not in policy
    assert "Content-Disposition" not in svg  # shown, as images are


def test_the_portal_runs_scripts_only_from_its_static_files(
    hostile_site, viewer_client
):
    page = viewer_client.get(BASE)
    body = page.content.decode()
    assert "<script" not in body[body.index('<article class="docs-page">') :]
    directives = dict(
        part.strip().split(" ", 1)
        for part in page["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "testserver/static/"
    assert "'self'" not in directives["script-src"]


def test_the_script_source_follows_the_static_url(rf, settings):
    settings.ALLOWED_HOSTS = ["portal.example", "testserver"]
    from core.csp import policy

    assert "script-src portal.example/static/;" in policy(
        rf.get("/catalog", secure=True, HTTP_HOST="portal.example")
    )
    settings.STATIC_URL = "https://cdn.example/greenroom/"
    assert "script-src https://cdn.example/greenroom/;" in policy(rf.get("/"))
