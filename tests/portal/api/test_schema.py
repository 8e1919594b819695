"""The OpenAPI schema at /api/schema/: complete, served locally, and true.

Schemathesis (its command line) generates requests from the schema (stateless, a
bounded number per operation) and sends them to a live server over HTTP with a
read-write token:
no answer may be a 500, and every answer must be one the schema describes (status
code, content type, body).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from core.tokens import issue_token
from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG
from tests.support.fixtures import shared_fixtures

SCHEMA = "/api/schema/?format=json"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


def backstage_routes() -> set[tuple[str, str]]:
    """Section 9.2 of the reference: every (method, path) of Backstage's API."""
    text = (shared_fixtures().parent / "reference" / "catalog-model.md").read_text()
    section = text[text.index("### 9.2") : text.index("### 9.3")]
    rows = re.findall(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \|", section, re.M)
    return {(method.lower(), path) for method, path in rows}


def test_schema_describes_every_backstage_route(viewer_client, db):
    schema = viewer_client.get(SCHEMA).json()
    served = {
        (method, path.removeprefix("/api/catalog").replace("ns/{uid}", "ns/{id}"))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    routes = {(m, p.replace("{ns}", "{namespace}")) for m, p in backstage_routes()}
    assert len(routes) >= 20
    assert routes - served == set()
    for own in ("/api/errors", "/api/locations/{uid}/crawls"):
        assert own in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_schema_needs_a_login(client, db):
    assert client.get(SCHEMA).status_code == 401


def test_explorer_is_served_locally(viewer_client, db):
    response = viewer_client.get("/api/schema/explorer/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-spec-url="/api/schema/?format=json"' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts
    assert all(src.startswith("/static/") for src in scripts)
    # Scripts only from the static folder, never a docs site's own file.
    assert "script-src testserver/static/;" in response["Content-Security-Policy"]


def test_api_matches_its_schema(
    server, transactional_db, repos, editor, settings, tmp_path
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/min"},
    }
    # Generated webhooks may carry a host token: their host API calls must stop
    # at the URL policy, not go out to the internet.
    settings.GREENROOM_ALLOWED_GIT_HOSTS = ["git.invalid"]
    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    token = issue_token(editor, "schemathesis", write=True)[1]
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"{server}{SCHEMA}",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing",  # stateless
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--generation-deterministic",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,  # its cache of past runs stays out of the checkout
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert token not in run.stdout  # never echoed, even in a failure report
