"""The audit log: every write path leaves an entry; nobody can change one."""

from __future__ import annotations

import csv
import getpass
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client

from audit import log
from audit.models import AppendOnly, AuditEntry
from catalog.locations import register_location
from catalog.models import ApiToken, Entity, Location
from core.tokens import issue_token
from tests.support.catalog import crawl
from tests.support.deliveries import COMPONENT, Host, github_push
from tests.support.users import make_user
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def entries(source: str = "") -> list[tuple[str, str, str]]:
    rows = AuditEntry.objects.order_by("id")
    rows = rows.filter(source=source) if source else rows
    return [(e.action, e.actor, e.source) for e in rows]


@pytest.fixture
def repo(repos):
    return repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )


def test_portal_writes(repo, editor_client):
    editor_client.post(
        "/catalog-import",
        {"url": repo.url, "branch": "", "path": "", "action": "register"},
    )
    location = Location.objects.get()
    editor_client.post(f"/locations/{location.pk}/refresh")
    editor_client.post("/settings/tokens", {"name": "ci"})
    token = ApiToken.objects.get()
    editor_client.post("/settings/tokens", {"revoke": token.pk})
    editor_client.post(
        "/webhooks/new", {"kind": "github", "location": str(location.uid)}
    )
    webhook = Webhook.objects.get()
    editor_client.post(f"/webhooks/{webhook.uid}/rotate")
    editor_client.post(f"/webhooks/{webhook.uid}/delete")
    editor_client.post(f"/locations/{location.pk}/unregister")
    assert [action for action, _, _ in entries("web")] == [
        "location.register",
        "location.refresh",
        "token.create",
        "token.revoke",
        "webhook.create",
        "webhook.rotate",
        "webhook.delete",
        "location.unregister",
    ]
    assert {actor for _, actor, _ in entries("web")} == {"eddie-editor"}
    first = AuditEntry.objects.filter(source="web").order_by("id").first()
    assert first.address == "127.0.0.1"
    assert first.target == str(location)
    assert first.details == {"location": str(location.uid)}
    assert "ci" in AuditEntry.objects.get(action="token.create").target


def test_api_writes(repo, editor, django_capture_on_commit_callbacks):
    client = Client(
        headers={"Authorization": f"Bearer {issue_token(editor, 'w', write=True)[1]}"}
    )
    with django_capture_on_commit_callbacks(execute=True):  # the first crawl
        made = client.post(
            "/api/catalog/locations", {"type": "url", "target": repo.url},
            content_type="application/json",
        )  # fmt: skip
    assert made.status_code == 201
    uid = made.json()["location"]["id"]
    client.post(
        "/api/catalog/refresh", {"entityRef": "component:default/billing"},
        content_type="application/json",
    )  # fmt: skip
    entity = Entity.objects.get(name="billing")
    client.delete(f"/api/catalog/entities/by-uid/{entity.uid}")
    hook = client.post(
        "/api/webhooks",
        {"kind": "gitlab", "location": uid},
        content_type="application/json",
    ).json()
    client.post(f"/api/webhooks/{hook['id']}/rotate")
    client.delete(f"/api/webhooks/{hook['id']}")
    client.delete(f"/api/catalog/locations/{uid}")
    api = entries("api")
    assert [a for a, _, _ in api] == [
        "location.register",
        "location.refresh",
        "entity.delete",
        "webhook.create",
        "webhook.rotate",
        "webhook.delete",
        "location.unregister",
    ]
    assert {actor for _, actor, _ in api} == {"eddie-editor"}


@pytest.fixture
def command_line():
    log.command_line()
    yield
    log._default[0] = log.SYSTEM


def test_command_line_writes(repo, command_line):
    call_command("register", repo.url, stdout=io.StringIO())
    password = io.StringIO("a-long-passphrase-42\n")
    call_command(
        "adduser", "carol", "--role", "compliance", "--password-stdin",
        stdin=password, stdout=io.StringIO(),
    )  # fmt: skip
    call_command("create_token", "carol", stdout=io.StringIO())
    actions = [(a, s) for a, _, s in entries()]
    assert ("location.register", "cli") in actions
    assert ("role.change", "cli") in actions
    assert ("token.create", "cli") in actions
    assert AuditEntry.objects.get(action="role.change").details == {
        "role": "compliance"
    }


@pytest.mark.django_db(transaction=True)
def test_manage_py_records_the_os_user(repo):
    name = settings.DATABASES["default"]["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "SECRET_KEY": "x",
        "GREENROOM_ALLOW_LOCAL_REPOS": "1",
        "GREENROOM_DATA_DIR": str(repo.path.parent / "data"),
    }
    if connection.vendor != "postgresql":
        pytest.skip("the test database is PostgreSQL's in make test")
    subprocess.run(
        [sys.executable, "manage.py", "register", repo.url],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="location.register")
    assert entry.source == "cli"
    assert entry.actor == getpass.getuser()


def test_webhook_deliveries_and_the_admin(repo, django_capture_on_commit_callbacks):
    location = crawl(register_location(repo.url)[0])
    from webhooks.registry import create_webhook

    created = create_webhook("github", location=location)
    host = Host("github", created.webhook, created.secret)
    before = repo.head()
    after = repo.commit({"catalog-info.yaml": COMPONENT.format(description="v2")})
    with django_capture_on_commit_callbacks(execute=True):
        host.post(
            github_push(repo.url, ref="refs/heads/main", before=before, after=after)
        )
    refresh = AuditEntry.objects.get(action="location.refresh")
    assert (refresh.actor, refresh.source) == (
        f"webhook {created.webhook.uid}",
        "webhook",
    )
    assert refresh.details["commit"] == after

    admin = make_user("ada-admin", "admin")
    client = Client()
    client.force_login(admin)
    client.post(
        f"/admin/catalog/location/{location.pk}/change/",
        {
            "url": location.url, "branch": "", "path": "catalog-info.yaml",
            "status": "ok", "next_crawl_at_0": "2030-01-01",
            "next_crawl_at_1": "00:00:00", "crawl_again": "", "attempts": "0",
            "refresh_interval": "", "input_paths": "[]", "parent_entity_ref": "",
        },
    )  # fmt: skip
    change = AuditEntry.objects.filter(action="admin.change").first()
    assert change is not None, "the admin change was not recorded"
    assert (change.actor, change.source) == ("ada-admin", "web")


def test_nobody_can_change_or_remove_an_entry():
    entry = log.record("location.register", "https://x.example/a")
    entry.target = "forged"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(target="forged")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    if connection.vendor == "postgresql":
        for statement in (
            "UPDATE audit_auditentry SET target = 'forged'",
            "DELETE FROM audit_auditentry",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
    assert AuditEntry.objects.get().target == "https://x.example/a"


def test_who_may_read_it(viewer, editor):
    compliance = make_user("carol-compliance", "compliance")
    admin = make_user("ada-admin", "admin")
    for user, allowed in (
        (viewer, False),
        (editor, False),
        (compliance, True),
        (admin, True),
    ):
        client = Client()
        client.force_login(user)
        page = client.get("/audit/")
        assert page.status_code == (200 if allowed else 403), user
        assert (b"Audit log</a>" in client.get("/catalog").content) == allowed
        token = issue_token(user, "r")[1]
        api = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/audit")
        assert api.status_code == (200 if allowed else 403), user


def test_filters_and_the_spreadsheet_export(command_line):
    log.record("location.register", "https://github.com/acme/billing")
    log.record("token.create", '=HYPERLINK("http://evil")', scope="read")
    with log.acting("webhook 1", "webhook"):
        log.record("location.refresh", "https://github.com/acme/ledger")
    admin = make_user("ada-admin", "admin")
    client = Client()
    client.force_login(admin)

    def targets(**query) -> list[str]:
        page = client.get("/audit/", query)
        assert page.status_code == 200
        return [e.target for e in page.context["entries"]]

    assert len(targets()) == 4  # and the role given to ada
    assert targets(action="location.") == [
        "https://github.com/acme/ledger",
        "https://github.com/acme/billing",
    ]
    assert targets(source="webhook") == ["https://github.com/acme/ledger"]
    assert targets(target="BILLING") == ["https://github.com/acme/billing"]
    assert targets(actor="WEBHOOK 1") == ["https://github.com/acme/ledger"]
    assert targets(until="2000-01-01") == []
    assert client.get("/audit/", {"since": "yesterday"}).status_code == 400

    export = client.get("/audit/", {"action": "token.", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    text = b"".join(export.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == [
        "at",
        "actor",
        "source",
        "address",
        "action",
        "target",
        "details",
    ]
    assert len(rows) == 2
    assert rows[1][4] == "token.create"
    assert rows[1][5].startswith("'=")  # not a formula in a spreadsheet
    assert rows[1][6] == "scope=read"
    api = Client(headers={"Authorization": f"Bearer {issue_token(admin, 'r')[1]}"})
    found = api.get("/api/audit", {"source": "webhook"}).json()["items"]
    assert [e["target"] for e in found] == ["https://github.com/acme/ledger"]
    assert api.get("/api/audit", {"source": "fax"}).status_code == 400


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy trusted: the peer
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the made-up entry ignored
        (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer entries than proxies: the peer
        (1, "not-an-address", None),
    ],
)
def test_the_address_behind_trusted_proxies(
    settings, editor, proxies, forwarded, expected
):
    settings.GREENROOM_TRUSTED_PROXIES = proxies
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    client.force_login(editor)
    client.post("/settings/tokens", {"name": "ci", "scope": "read"})
    assert AuditEntry.objects.get(action="token.create").address == expected
