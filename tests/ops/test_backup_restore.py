"""Backup and restore: a `pg_dump` restored into an empty database serves the same
catalog, history and audit log, unseals the same webhook secrets, and keeps the
audit log append-only (README, "Backup and restore")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from audit.models import AuditEntry
from catalog.locations import refresh_location, register_location
from catalog.models import EntityRevision, Location
from core.tokens import issue_token
from tests.support.postgres import database_url, new_database, pg
from tests.support.users import make_user
from webhooks import keys
from webhooks.models import Webhook

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: billing, description: {description}}}
spec: {{type: service, lifecycle: production, owner: team-a}}
"""
# What the restored portal is asked, by a viewer's and an auditor's token.
READS = {
    "viewer": [
        "/api/catalog/entities",
        "/api/entities/component/default/billing/history",
    ],
    "auditor": ["/api/audit?limit=1000"],
}

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="pg_dump and pg_restore need PostgreSQL",
    ),
]

# Runs in a fresh interpreter with DATABASE_URL naming the restored database:
# production settings, nothing shared with the test process but the dump.
SERVE = """
import json, sys
import django
django.setup()
from django.db import DatabaseError, connection, transaction
from django.test import Client
from audit import log
from audit.models import AuditEntry
from webhooks import keys
from webhooks.models import Webhook

reads, tokens = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {"reads": {}}
for who, paths in reads.items():
    client = Client(HTTP_AUTHORIZATION="Bearer " + tokens[who])
    for path in paths:
        response = client.get(path)
        body = response.getvalue()  # the catalog list is streamed
        out["reads"][path] = [response.status_code, json.loads(body)]
out["webhook_secret"] = keys.unseal(Webhook.objects.get().sealed_secret)
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor = 'mallory'")
    out["audit_update"] = "allowed"
except DatabaseError as exc:
    out["audit_update"] = str(exc).splitlines()[0]
out["new_entry_id"] = log.record("backup.check", "restored").pk
out["entries"] = AuditEntry.objects.count()
print(json.dumps(out))
"""


@pytest.fixture
def restored_name() -> Iterator[str]:
    """A new database's name (created by the restore); dropped afterwards."""
    with new_database("greenroom_restore", create=False) as name:
        yield name


def build_catalog(repos: Any) -> dict[str, str]:
    """A catalog made the real way: register, crawl, change, crawl again; the
    tokens that read it and a webhook whose secret is sealed."""
    repo = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    location, _ = register_location(repo.url)  # crawled on commit (eager tasks)
    repo.commit({"catalog-info.yaml": COMPONENT.format(description="v2")}, "v2")
    refresh_location(Location.objects.get(pk=location.pk))
    assert EntityRevision.objects.filter(ref="component:default/billing").count() == 2
    secret = keys.new_secret()
    Webhook.objects.create(
        kind="github", location=location, sealed_secret=keys.seal(secret)
    )
    assert AuditEntry.objects.filter(action="location.register").exists()
    viewer = make_user("vera-viewer", "viewer")
    auditor = make_user("carl-compliance", "compliance")
    return {
        "viewer": issue_token(viewer, "backup")[1],
        "auditor": issue_token(auditor, "backup")[1],
        "webhook_secret": secret,
    }


def serve_from(database: str, tokens: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    url = database_url(database)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": url,
        "SECRET_KEY": settings.SECRET_KEY,  # unseals the webhook secrets
        "GREENROOM_DATA_DIR": str(tmp_path / "restored-data"),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVE, json.dumps(READS), json.dumps(tokens)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_restored_dump_serves_the_same_catalog_history_and_audit_log(
    transactional_db, repos, tmp_path: Path, restored_name: str
) -> None:
    tokens = build_catalog(repos)
    dump = tmp_path / "greenroom.dump"
    pg("pg_dump", "--format=custom", f"--file={dump}", connection.settings_dict["NAME"])
    pg("createdb", "--maintenance-db=postgres", restored_name)
    pg("pg_restore", "--no-owner", f"--dbname={restored_name}", str(dump))
    last_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True)[0]

    # The same reads on the original database, in this process.
    original: dict[str, Any] = {}
    for who, paths in READS.items():
        client = Client(HTTP_AUTHORIZATION="Bearer " + tokens[who])
        for path in paths:
            response = client.get(path)
            body = response.getvalue()  # the catalog list is streamed
            original[path] = [response.status_code, json.loads(body)]
    assert all(status == 200 for status, _ in original.values()), original
    entities = original["/api/catalog/entities"][1]
    billing = [e for e in entities if e["kind"] == "Component"]
    assert [e["metadata"]["description"] for e in billing] == ["v2"]
    history = original["/api/entities/component/default/billing/history"][1]["items"]
    assert len(history) == 2
    assert "location.register" in {
        e["action"] for e in original["/api/audit?limit=1000"][1]["items"]
    }

    restored = serve_from(restored_name, tokens, tmp_path)
    assert restored["reads"] == original
    assert restored["webhook_secret"] == tokens["webhook_secret"]
    # The append-only trigger came back with the table (pg_restore's COPY is an
    # INSERT, which it lets through), and the id sequence goes on after the copy.
    assert "append-only" in restored["audit_update"]
    assert restored["new_entry_id"] > last_id
    assert restored["entries"] == len(original["/api/audit?limit=1000"][1]["items"]) + 1
