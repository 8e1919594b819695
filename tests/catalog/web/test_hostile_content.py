"""Whatever a descriptor says shows as text: no markup, no script links."""

from __future__ import annotations

import pytest

from tests.support.catalog import crawl_repo

LONG = "x" * 5000
HOSTILE = f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: evil
  title: "<script>alert('title')</script>"
  description: "<img src=x onerror=alert(1)> {LONG}"
  labels: {{"example.com/x": "y"}}
  annotations: {{"example.com/note": "<iframe src=//evil>"}}
  links:
    - {{url: "javascript:alert(1)", title: js}}
    - {{url: " JaVaScRiPt:alert(2)", title: js-spaced}}
    - {{url: "data:text/html,<script>alert(3)</script>", title: data}}
    - {{url: "https://ok.example/", title: fine}}
spec:
  type: "<svg onload=alert(4)>"
  lifecycle: production
  owner: "group:default/{"a" * 60}"
  dependsOn: ["component:default/{"b" * 60}"]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {"n" * 63}
  title: "שירות תשלומים 💸 payments"
  description: "مرحبا بالعالم — 🚀🔥 emoji and right-to-left text"
spec: {{type: service, lifecycle: production, owner: team-a}}
"""

PAGES = [
    "/catalog",
    "/catalog?query=script",
    "/search?query=alert",
    "/search?query=payments",
    "/catalog/default/component/evil",
    "/catalog/default/component/evil/graph?depth=2",
    "/catalog/default/component/evil/history",
    "/catalog/default/component/evil/yaml",
    f"/catalog/default/component/{'n' * 63}",
]


@pytest.fixture
def hostile(repos, db):
    return crawl_repo(repos, "hostile", {"catalog-info.yaml": HOSTILE})


@pytest.mark.parametrize("url", PAGES)
def test_markup_in_descriptors_is_escaped(viewer_client, hostile, url):
    response = viewer_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for raw in ("<script>alert", "<img src=x", "<iframe src", "<svg onload", "<b>bold"):
        assert raw not in body, (url, raw)


def test_only_safe_schemes_become_links(viewer_client, hostile):
    body = viewer_client.get("/catalog/default/component/evil").content.decode()
    assert 'href="https://ok.example/"' in body
    assert 'href="javascript' not in body.lower().replace(" ", "")
    assert 'href="data:' not in body
    assert "not a web link" in body
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in body


def test_long_and_right_to_left_text(viewer_client, hostile):
    page = viewer_client.get(f"/catalog/default/component/{'n' * 63}")
    assert "שירות תשלומים 💸 payments" in page.content.decode()
    listing = viewer_client.get("/catalog").content.decode()
    assert LONG not in listing  # descriptions are cut in the list
    assert "مرحبا بالعالم" in listing
