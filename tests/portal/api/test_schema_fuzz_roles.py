"""Schemathesis over the OpenAPI schema as each kind of caller, and statefully.

- no token: every route answers 401, never a 5xx;
- a viewer's read token: every write answers 403, nothing is a 5xx;
- an editor's write token, following the schema's OpenAPI links (register a
  location -> read it -> delete it, list entities -> one by name -> its
  history...): no 5xx, and every answer is one the schema describes.

Bounded examples and a fixed seed keep each run short and repeatable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, resolve

from core.tokens import issue_token
from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = "/api/schema/?format=json"
CONFORMANCE = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]


@pytest.fixture
def api_server(server, transactional_db, repos, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/min"},
    }
    settings.GREENROOM_ALLOWED_GIT_HOSTS = ["git.invalid"]  # nothing leaves
    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    return server


def schemathesis(
    server: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`st run` over the schema (saved by `schema`: reading it needs a sign-in)."""
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            str(tmp_path / "schema.json"),
            "--url",
            server,
            *args,
            "--seed",
            "1",
            "--generation-deterministic",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,  # its cache of past runs stays out of the checkout
        env=os.environ
        | {
            "PYTHONPATH": str(ROOT),
            "SCHEMATHESIS_HOOKS": "tests.portal.api.schemathesis_roles",
        }
        | (env or {}),
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    return run


@pytest.fixture
def schema(viewer_client, tmp_path) -> dict[str, Any]:
    schema: dict[str, Any] = viewer_client.get(SCHEMA).json()
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    return schema


def read_posts(schema: dict[str, Any]) -> str:
    """Operations that read through POST: their views say `reads_only`."""
    labels = []
    for path, operations in schema["paths"].items():
        if "post" not in operations:
            continue
        try:
            match = resolve(path.replace("{", "x").replace("}", "x"))
        except Resolver404:
            continue
        view = getattr(match.func, "view_class", None)
        if getattr(view, "reads_only", False):
            labels.append(f"POST {path}")
    assert "POST /api/catalog/entities/by-refs" in labels
    return ",".join(labels)


def test_without_a_token_every_route_is_401(api_server, schema, tmp_path):
    schemathesis(
        api_server,
        tmp_path,
        "--checks",
        "not_a_server_error,access_by_role",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "5",
        env={"GREENROOM_ST_CALLER": "anonymous"},
    )


def test_a_read_token_never_writes(api_server, schema, tmp_path, viewer):
    token = issue_token(viewer, "schemathesis")[1]
    run = schemathesis(
        api_server,
        tmp_path,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,access_by_role",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "8",
        env={
            "GREENROOM_ST_CALLER": "reader",
            "GREENROOM_ST_READ_POSTS": read_posts(schema),
        },
    )
    assert token not in run.stdout


def test_following_the_schemas_links(api_server, schema, tmp_path, editor):
    created = schema["paths"]["/api/catalog/locations"]["post"]["responses"]["201"]
    assert set(created["links"]) >= {"GetLocation", "DeleteLocation"}
    listed = schema["paths"]["/api/catalog/entities"]["get"]["responses"]["200"]
    assert "GetEntityByName" in listed["links"]
    token = issue_token(editor, "schemathesis", write=True)[1]
    schemathesis(
        api_server,
        tmp_path,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CONFORMANCE),
        "--phases",
        "stateful",
        "--max-examples",
        "40",
    )


RESTRICTED = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: vaultqx
  annotations: {greenroom.io/restricted: "true"}
  tags: [vaultqx-tag]
spec: {type: vaultqx-type, lifecycle: production, owner: payments-team,
       system: payments, dependsOn: [component:default/billing]}
"""


def test_a_token_outside_the_owning_team_never_meets_a_restricted_entity(
    api_server, schema, tmp_path, viewer, repos
):
    """A viewer whom no User entity describes owns nothing: every answer the
    fuzzer and the schema's links draw from the API leaves the entity out."""
    crawl_repo(repos, "vault", {"catalog-info.yaml": RESTRICTED})
    token = issue_token(viewer, "schemathesis")[1]
    schemathesis(
        api_server,
        tmp_path,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,restricted_stays_hidden",
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        "10",
        env={"GREENROOM_ST_SECRET": "vaultqx"},
    )
