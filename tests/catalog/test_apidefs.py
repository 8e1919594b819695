"""API definitions on their tab: the OpenAPI explorer, the raw text, highlighting,
and who provides and consumes the API, over a crawled catalog."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import apidefs
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity
from tests.support.fixtures import shared_fixtures

EXPLORER_CSP = (
    "default-src 'none'; script-src testserver/static/; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src *; font-src 'self'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'"
)
SANDBOX = 'sandbox="allow-scripts allow-same-origin allow-popups allow-forms"'
EXAMPLE_APIS = ["petstore", "streetlights", "swapi-graphql", "hello-world"]

BILLING_OPENAPI = {
    "openapi": "3.0.0",
    "info": {
        "title": "Billing",
        "version": "1",
        "description": "<script>alert('billing')</script>",
    },
    "paths": {"/invoices": {"get": {"responses": {"200": {"description": "ok"}}}}},
}
EVIL_GRAPHQL = '''\
# </pre><script>alert("graphql")</script>
"""<img src=x onerror=alert(1)>"""
type Query { invoices: [String] }
'''
OWN = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: billing-api}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: {$text: ./openapi.json}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: evil-graphql}
spec:
  type: graphql
  lifecycle: production
  owner: team-a
  definition: {$text: ./evil.graphql}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: huge}
spec:
  type: asyncapi
  lifecycle: production
  owner: team-a
  definition: {$text: ./huge.yaml}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: typed-rpc}
spec: {type: trpc, lifecycle: production, owner: team-a, definition: "router <T>"}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, lifecycle: production, owner: team-a, providesApis: [billing-api]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: storefront}
spec:
  type: website
  lifecycle: production
  owner: team-a
  consumesApis: [petstore, billing-api]
"""
CONSUMERS = "".join(
    f"""---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: web-{n}}}
spec: {{type: website, lifecycle: production, owner: team-a,
  consumesApis: [billing-api]}}
"""
    for n in range(5)
)
# Past the highlighting limit but under the crawler's 1 MB file limit.
HUGE = "asyncapi: 2.0.0\n" + "# <script>huge</script>\n" * 25_000


def example_apis() -> str:
    folder = shared_fixtures("catalog", "backstage-examples")
    names = [f"apis/{name}-api.yaml" for name in EXAMPLE_APIS]
    names = [n.replace("swapi-graphql-api", "swapi-graphql") for n in names]
    names.append("components/petstore-component.yaml")
    return "---\n".join((folder / name).read_text() for name in names)


@pytest.fixture
def catalog(repos, db):
    files = {
        "catalog-info.yaml": f"{example_apis()}---\n{OWN}{CONSUMERS}",
        "openapi.json": json.dumps(BILLING_OPENAPI, indent=2),
        "evil.graphql": EVIL_GRAPHQL,
        "huge.yaml": HUGE,
    }
    repo = repos.create("apis", files)
    location, _ = register_location(repo.url)
    crawl_location(location)
    return repo


def url(name: str, api: str, kind: str = "api") -> str:
    kwargs = {"namespace": "default", "kind": kind, "name": api}
    return reverse(f"catalog:entity-definition{name}", kwargs=kwargs)


def attributes(html: str, name: str) -> list[str]:
    return re.findall(rf'\b{name}="([^"]*)"', html)


def test_the_catalog_holds_the_apis(catalog):
    apis = set(Entity.objects.filter(kind__iexact="api").values_list("name", flat=True))
    assert apis == {
        "petstore",
        "streetlights",
        "starwars-graphql",
        "hello-world",
        "billing-api",
        "evil-graphql",
        "huge",
        "typed-rpc",
    }


def test_openapi_tab_embeds_the_explorer(catalog, viewer_client):
    page = viewer_client.get(url("", "petstore")).content.decode()
    explorer, raw = url("-explorer", "petstore"), url("-raw", "petstore")
    iframe = re.search(r"<iframe [^>]*>", page).group()
    assert f'src="{explorer}"' in iframe
    assert 'title="API explorer for petstore"' in iframe
    assert SANDBOX in iframe
    assert f'href="{explorer}"' in page  # full page, outside the frame
    assert f'href="{raw}" download="petstore.yaml"' in page
    assert '<details class="definition-source">' in page  # the source, folded
    assert '<span class="nt">openapi</span>' in page
    assert 'href="/static/catalog/pygments.css"' in page


def test_the_definition_tab_is_among_the_api_tabs(catalog, viewer_client):
    page = viewer_client.get(url("", "petstore")).content.decode()
    assert 'aria-current="page">Definition</a>' in page


def test_explorer_loads_only_our_static_files_under_a_strict_policy(
    catalog, viewer_client
):
    response = viewer_client.get(url("-explorer", "petstore"))
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == EXPLORER_CSP
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Sign out" not in page  # a page of its own, not base.html
    scripts = attributes(page, "src")
    assert scripts == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/catalog/api-explorer.js",
    ]
    assert re.findall(r"<script[^>]*>([^<]*)</script>", page) == ["", ""]  # no inline
    links = attributes(page, "href")
    assert all(
        link.startswith("/static/") for link in links if link != url("-raw", "petstore")
    )
    assert "http" not in "".join(scripts + links)
    assert attributes(page, "data-spec-url") == [url("-raw", "petstore")]
    for path in [*scripts, *links]:
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), path


def test_the_explorer_script_reads_the_address_from_the_page():
    script = Path(finders.find("catalog/api-explorer.js")).read_text()
    assert 'getAttribute("data-spec-url")' in script
    assert "validatorUrl: null" in script  # no badge fetched from swagger.io


def test_raw_yaml_is_plain_text(catalog, viewer_client):
    response = viewer_client.get(url("-raw", "petstore"))
    expected = Entity.objects.get(ref="api:default/petstore").processed["spec"]
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="petstore.yaml"'
    assert response.content.decode() == expected["definition"]
    assert response.content.decode().startswith('openapi: "3.0.0"')


def test_raw_json_read_through_text_substitution(catalog, viewer_client):
    response = viewer_client.get(url("-raw", "billing-api"))
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="billing-api.json"'
    assert json.loads(response.content) == BILLING_OPENAPI


@pytest.mark.parametrize(
    ("api", "content_type", "filename"),
    [
        ("evil-graphql", "text/plain; charset=utf-8", "evil-graphql.graphql"),
        ("hello-world", "text/plain; charset=utf-8", "hello-world.proto"),
        ("streetlights", "text/plain; charset=utf-8", "streetlights.yaml"),
    ],
)
def test_raw_is_never_html(catalog, viewer_client, api, content_type, filename):
    response = viewer_client.get(url("-raw", api))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'inline; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("api", "token"),
    [
        ("starwars-graphql", '<span class="k">type</span>'),
        ("hello-world", '<span class="kd">service</span>'),
        ("streetlights", '<span class="nt">asyncapi</span>'),
        ("typed-rpc", "router &lt;T&gt;"),  # unknown type: plain text, escaped
    ],
)
def test_other_types_are_highlighted_on_the_server(catalog, viewer_client, api, token):
    page = viewer_client.get(url("", api)).content.decode()
    assert '<div class="highlight"><pre>' in page
    assert token in page
    assert "<iframe" not in page
    assert '<details class="definition-source" open>' in page
    assert url("-explorer", api) not in page


def test_markup_in_a_definition_is_escaped(catalog, viewer_client):
    page = viewer_client.get(url("", "evil-graphql")).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(" in page
    assert '<span class="c"># &lt;/pre&gt;' in page  # still highlighted


def test_a_huge_definition_is_shown_plain_and_escaped(catalog, viewer_client):
    page = viewer_client.get(url("", "huge")).content.decode()
    assert len(HUGE) > apidefs.HIGHLIGHT_LIMIT
    assert "shown without highlighting" in page
    assert '<div class="highlight">' not in page
    assert "<script>huge" not in page
    assert page.count("&lt;script&gt;huge&lt;/script&gt;") == 25_000


def test_providers_and_consumers_are_linked(catalog, viewer_client):
    page = viewer_client.get(url("", "billing-api")).content.decode()
    provided, consumed = page.split('id="consumers-heading"')
    provided = provided.split('id="providers-heading"')[1]
    link = '<a href="/catalog/default/component/{0}" title="component:default/{0}">'
    assert link.format("billing") in provided
    assert "storefront" not in provided
    for consumer in ["storefront", *(f"web-{n}" for n in range(5))]:
        assert link.format(consumer) in consumed
    assert link.format("billing") not in consumed


def test_an_api_nobody_uses_says_so(catalog, viewer_client):
    page = viewer_client.get(url("", "typed-rpc")).content.decode()
    assert "No entity provides this API." in page
    assert "No entity consumes this API." in page


@pytest.mark.parametrize("view", ["", "-explorer", "-raw"])
def test_only_api_entities_have_a_definition(catalog, viewer_client, view):
    assert viewer_client.get(url(view, "billing", kind="component")).status_code == 404
    assert viewer_client.get(url(view, "missing")).status_code == 404


def test_only_openapi_has_an_explorer(catalog, viewer_client):
    assert viewer_client.get(url("-explorer", "starwars-graphql")).status_code == 404


@pytest.mark.parametrize("view", ["", "-explorer", "-raw"])
def test_people_must_sign_in(catalog, client, view):
    response = client.get(url(view, "petstore"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_queries_do_not_grow_with_providers_and_consumers(catalog, viewer_client):
    counts = []
    for api in ["typed-rpc", "petstore", "billing-api"]:  # 0, 2 and 7 relations
        with CaptureQueriesContext(connection) as queries:
            assert viewer_client.get(url("", api)).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


def test_query_counts(catalog, viewer_client, django_assert_max_num_queries):
    # Session, user, permissions, whether anything is restricted, the entity and
    # one for the relations.
    with django_assert_max_num_queries(7):
        viewer_client.get(url("", "billing-api"))
    for view in ["-explorer", "-raw"]:  # the same, less the relations
        with django_assert_max_num_queries(4):
            viewer_client.get(url(view, "billing-api"))


def test_lexers_follow_the_type_and_the_text():
    assert apidefs.lexer_for("a: 1", "asyncapi").name == "YAML"
    assert apidefs.lexer_for('{"a": 1}', "asyncapi").name == "JSON"
    assert apidefs.lexer_for("{not json", "openapi").name == "YAML"
    assert apidefs.lexer_for("type Q {}", "graphql").name == "GraphQL"
    assert apidefs.lexer_for("service S {}", "grpc").name == "Protocol Buffer"
    assert apidefs.lexer_for("x", "raml").name == "Text only"
    assert apidefs.raw_content_type("[1, 2]") == "application/json"
    assert apidefs.raw_content_type("- 1\n- 2\n") == "text/plain; charset=utf-8"


def test_collectstatic_collects_swagger_ui(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    for name in [
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "catalog/api-explorer.js",
        "catalog/pygments.css",
    ]:
        assert (tmp_path / "static" / manifest["paths"][name]).is_file(), name


def chromium_or_skip() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no Chromium to run the explorer in")
    pytest.importorskip("playwright.sync_api")
    return path


def test_swagger_ui_renders_in_the_tab_under_its_policy(
    transactional_db, catalog, viewer, client, live_server, settings
):
    from playwright.sync_api import sync_playwright

    chromium = chromium_or_skip()
    # Behind one trusted proxy, as in production, whose X-Forwarded-Proto is believed.
    settings.GREENROOM_TRUSTED_PROXIES = 1
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.force_login(viewer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    problems: list[str] = []
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        # The live server's middleware predates this test's settings: say that a
        # TLS proxy is in front, as in production, so that it does not redirect.
        context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.on(
            "console", lambda m: problems.append(m.text) if m.type == "error" else None
        )
        page.on("request", lambda r: requested.append(r.url))
        page.goto(live_server.url + url("", "petstore"))
        frame = page.frame_locator("iframe.api-explorer")
        frame.locator(".opblock").first.wait_for(timeout=15_000)
        title = frame.locator(".info .title").inner_text()
        operations = frame.locator(".opblock").count()
        browser.close()
    assert "Swagger Petstore" in title
    assert operations == 3
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert url("-raw", "petstore") in "".join(requested)  # Swagger UI fetched it
    assert all(r.startswith(live_server.url) for r in requested), requested
