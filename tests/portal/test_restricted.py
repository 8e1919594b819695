"""Restricted entities are invisible to everyone but their owners, everywhere.

The catalog is read by someone outside the owning team (mal) before and after a
commit adds a restricted component (by annotation), a restricted API (by a rule
of the permissions file), their docs, history and relations to a visible entity:
every page and API answer mal gets must be the same both times (commits, times
and etags aside), so nothing shows through lists, counts, facets, search, docs,
graphs, history, the catalog at a date, exports or coverage. The owners (a member
of the owning team, a member of its parent department) and an admin see them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from catalog.ingest.provided import apply_provided, provider_location
from catalog.locations import register_location
from catalog.models import Entity, EntityRevision, Location
from compliance.coverage import count_now
from compliance.models import ScoreSnapshot
from compliance.scoring import take_snapshots
from core.tokens import issue_token
from people.directory import Directory, Person, Team, documents
from techdocs.models import DocsBuild
from techdocs.sites import docs_changed, run_build
from tests.support.catalog import crawl
from tests.support.users import make_user

pytestmark = pytest.mark.django_db

VISIBLE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing, tags: [payments]}
spec: {type: service, lifecycle: production, owner: platform, system: money}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: billing-api}
spec: {type: openapi, lifecycle: production, owner: platform, definition: "x"}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: money}
spec: {owner: platform}
"""
# Words found nowhere else: mal must never meet one of them.
SECRETS = (
    "vaultzq", "secrettypezq", "secrettagzq", "secretlifezq", "Hidden Zq", "ghostzq",
)  # fmt: skip
RESTRICTED = """\
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: vaultzq
  title: Hidden Zq vault
  tags: [secrettagzq, payments]
  annotations:
    greenroom.io/restricted: "true"
    backstage.io/techdocs-ref: "dir:."
spec:
  type: secrettypezq
  lifecycle: secretlifezq
  owner: platform
  system: money
  dependsOn: [component:billing]
  providesApis: [vaultzq-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: vaultzq-api, tags: [confidential]}
spec: {type: openapi, lifecycle: production, owner: platform, definition: "x"}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orphanzq
  annotations: {greenroom.io/restricted: "true"}
spec: {type: service, lifecycle: production, owner: ghostzq}
"""
DOCS = {
    "mkdocs.yml": "site_name: Hidden Zq docs\n",
    "docs/index.md": "# Hidden Zq\n\nThe vaultzq runbook: rotate the keys.\n",
}
RULES = "restricted:\n  - {kind: api, tag: confidential}\n"


@dataclass
class World:
    repo: object
    location: Location
    people: dict[str, Client]
    tokens: dict[str, str]


@pytest.fixture
def world(repos, settings, tmp_path) -> World:
    rules = tmp_path / "permissions.yaml"
    rules.write_text(RULES)
    settings.GREENROOM_PERMISSIONS_FILE = str(rules)
    found = Directory(
        people=[Person(n, email=f"{n}@example.com") for n in ("alice", "carol", "mal")],
        teams=[
            Team("engineering", type="department", members=["carol"]),
            Team("platform", parent="engineering", members=["alice"]),
            Team("sales", members=["mal"]),
        ],
    )
    apply_provided(
        provider_location("scim", "okta"),
        documents(found),
        version="1",
        removal_reason="left",
    )
    repo = repos.create(
        "services", {"catalog-info.yaml": VISIBLE, "mkdocs.yml": "site_name: x\n"}
    )
    location = crawl(register_location(repo.url)[0])
    clients, tokens = {}, {}
    for name, role in (("alice", "viewer"), ("carol", "viewer"), ("mal", "viewer"),
                       ("root", "admin")):  # fmt: skip
        user = make_user(name, role)
        user.email = f"{name}@example.com"
        user.save()
        client = Client()
        client.force_login(user)
        clients[name] = client
        tokens[name] = issue_token(user, "t", write=True)[1]
    return World(repo, location, clients, tokens)


def add_restricted(world: World) -> None:
    """A commit adds the restricted component, its docs and the restricted API."""
    world.repo.commit(  # type: ignore[attr-defined]
        {"catalog-info.yaml": VISIBLE + RESTRICTED, **DOCS}, "restricted things"
    )
    crawl(world.location)
    [build] = docs_changed(Location.objects.get(pk=world.location.pk))
    assert run_build(build).status == DocsBuild.Status.SUCCEEDED


VAULT = "component:default/vaultzq"
PAGES = [
    "/",
    "/catalog",
    "/catalog?kind=component",
    "/catalog?kind=component&type=service&sort=-updated",
    "/catalog?tag=payments",
    "/catalog?query=vault",
    "/catalog?query=zq",
    "/catalog?owner=group:default/platform",
    "/catalog?format=csv",
    "/catalog/default/group/platform",
    "/catalog/default/group/platform/graph",
    "/catalog/default/component/billing",
    "/catalog/default/component/billing/graph",
    "/catalog/default/api/billing-api/definition",
    "/catalog/default/component/billing/history",
    "/catalog/default/system/money",
    "/search?query=vaultzq",
    "/search?query=vault",
    "/search?query=runbook",
    "/search?query=hidden",
    "/docs/",
    "/docs/search?query=runbook",
    "/docs/search?query=vaultzq",
    "/compliance/",
    "/compliance/?format=csv",
    "/compliance/?format=json",
    "/compliance/coverage/no-owner",
    "/compliance/coverage/unknown-owner",
    "/compliance/history",
    "/compliance/history?format=json",
    "/compliance/scorecards/",
    "/compliance/scorecards/production-readiness",
    "/compliance/scorecards/production-readiness?format=json",
]
API = [
    "/api/catalog/entities",
    "/api/catalog/entities?filter=kind=component",
    "/api/catalog/entities?filter=kind=component,spec.type=secrettypezq",
    "/api/catalog/entities?filter=metadata.tags=payments",
    "/api/catalog/entities/by-query?limit=2",
    "/api/catalog/entities/by-query?filter=kind=component&orderField=metadata.name,asc",
    "/api/catalog/entities/by-query?fullTextFilterTerm=zq",
    "/api/catalog/entities/by-query?fullTextFilterTerm=vault",
    "/api/catalog/entity-facets?facet=kind&facet=spec.type&facet=metadata.tags"
    "&facet=spec.lifecycle&facet=relations.ownedBy",
    "/api/catalog/entities/by-name/component/default/billing",
    "/api/catalog/entities/by-name/group/default/platform",
    "/api/catalog/entities/by-name/system/default/money",
    "/api/entities/component/default/billing/history",
    "/api/errors",
    "/api/compliance/coverage",
    "/api/compliance/catalog",
    "/api/compliance/coverage/no-owner",
]


def _normalised(text: str) -> str:
    text = re.sub(r"\b[0-9a-f]{40}\b|\b[0-9a-f]{7,12}\b", "<sha>", text)
    text = re.sub(r'"etag"\s*:\s*"[^"]*"', '"etag":""', text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d.]+(%3A[\d.]+)+(%2B[\d%A]+)?", "<time>", text)
    text = re.sub(r"\d{4}-\d\d-\d\d[T ][\d:.]+(Z|[+-]\d\d:?\d\d)?", "<time>", text)
    text = re.sub(r"(csrfmiddlewaretoken|nonce)[^>]*", "<token>", text)
    text = re.sub(r"\d+\s+(seconds?|minutes?)(\s+ago)?", "<ago>", text)
    return re.sub(r"(\d+&nbsp;)?(second|minute)s?", "<ago>", text)


def _read(world: World, who: str, path: str) -> tuple[int, str]:
    if path.startswith("/api/"):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[who]}"}
        answer = Client().get(path, **auth)
    else:
        answer = world.people[who].get(path)
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    return answer.status_code, body.decode()


def test_someone_outside_sees_the_same_catalog_as_before_it_existed(world):
    count_now()
    take_snapshots()
    before = {path: _read(world, "mal", path) for path in PAGES + API}
    add_restricted(world)
    assert Entity.every.filter(restricted=True).count() == 3
    # What a worker keeps for everyone to read, counted again (one snapshot of
    # the trend, as before: the number of points is not what is compared).
    count_now()
    ScoreSnapshot.objects.all().delete()
    take_snapshots()
    for path in PAGES + API:
        status, text = _read(world, "mal", path)
        assert status == before[path][0], path
        for word in SECRETS:
            if word.lower() not in path.lower():  # a search echoes its words
                assert word not in text, (path, word)
        assert _normalised(text) == _normalised(before[path][1]), path


def test_the_owners_and_an_admin_see_it_everywhere(world):
    add_restricted(world)
    for who in ("alice", "carol", "root"):
        for path in ("/catalog?kind=component", "/search?query=vaultzq",
                     "/docs/search?query=runbook", "/catalog/default/group/platform",
                     "/api/catalog/entities?filter=kind=api",
                     "/catalog/default/component/vaultzq",
                     "/docs/default/component/vaultzq/"):  # fmt: skip
            status, text = _read(world, who, path)
            assert status == 200, (who, path)
            assert "vaultzq" in text, (who, path)
        facets = json.loads(
            _read(world, who, "/api/catalog/entity-facets?facet=spec.type")[1]
        )
        types = {f["value"]: f["count"] for f in facets["facets"]["spec.type"]}
        assert types["secrettypezq"] == 1


ONE = [
    "/catalog/default/component/{name}",
    "/catalog/default/component/{name}/graph",
    "/catalog/default/component/{name}/history",
    "/catalog/default/component/{name}/yaml",
    "/catalog/default/component/{name}/scorecards",
    "/catalog/default/component/{name}/docs",
    "/docs/default/component/{name}/",
    "/compliance/history/component/default/{name}",
    "/api/catalog/entities/by-name/component/default/{name}",
    "/api/catalog/entities/by-name/component/default/{name}/ancestry",
    "/api/catalog/locations/by-entity/component/default/{name}",
    "/api/entities/component/default/{name}/history",
    "/api/compliance/entities/component/default/{name}",
    "/api/compliance/scores/component/default/{name}",
]


def test_asking_for_it_answers_as_for_what_never_was(world):
    add_restricted(world)  # once: building its docs is most of the time
    for path in ONE:
        hidden = _read(world, "mal", path.format(name="vaultzq"))
        missing = _read(world, "mal", path.format(name="nothingzq"))
        assert hidden[0] == missing[0] == 404, path
        assert _normalised(hidden[1].replace("vaultzq", "X")) == _normalised(
            missing[1].replace("nothingzq", "X")
        ), path
        assert _read(world, "alice", path.format(name="vaultzq"))[0] in (200, 302)


def test_by_uid_by_refs_and_delete_answer_as_for_what_never_was(world):
    add_restricted(world)
    uid = str(Entity.every.get(ref=VAULT).uid)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['mal']}"}
    nowhere = "00000000-0000-4000-8000-000000000000"
    path = "/api/catalog/entities/by-uid/{}"
    hidden = Client().get(path.format(uid), **auth)
    missing = Client().get(path.format(nowhere), **auth)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(uid, "X") == missing.json()[
        "error"
    ]["message"].replace(nowhere, "X")
    # Deleting what is not there needs the global right, as Backstage's 204
    # for a missing uid would otherwise be a way to delete blind: the same
    # refusal for both, on record alike.
    hidden = Client().delete(path.format(uid), **auth)
    missing = Client().delete(path.format(nowhere), **auth)
    assert hidden.status_code == missing.status_code == 403
    assert json.dumps(hidden.json()).replace(uid, "X") == json.dumps(
        missing.json()
    ).replace(nowhere, "X")
    first, second = AuditEntry.objects.filter(action="access.refused").order_by("id")
    assert json.dumps([first.target, first.details]).replace(uid, "X") == json.dumps(
        [second.target, second.details]
    ).replace(nowhere, "X")
    assert Entity.every.filter(ref=VAULT).exists()
    refs = Client().post(
        "/api/catalog/entities/by-refs",
        {"entityRefs": [VAULT, "component:default/billing", "api:default/vaultzq-api"]},
        content_type="application/json",
        **auth,
    )
    items = refs.json()["items"]
    assert items[0] is None
    assert items[2] is None
    assert items[1]["metadata"]["name"] == "billing"


def test_cursors_page_through_what_they_may_see(world):
    add_restricted(world)
    for who, expect_hidden in (("mal", False), ("alice", True)):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[who]}"}
        seen: list[str] = []
        url = "/api/catalog/entities/by-query?limit=1&orderField=metadata.name,asc"
        total = None
        while url:
            page = Client().get(url, **auth).json()
            total = page["totalItems"]
            seen += [item["metadata"]["name"] for item in page["items"]]
            cursor = page["pageInfo"].get("nextCursor")
            url = (
                f"/api/catalog/entities/by-query?cursor={quote(cursor)}"
                if cursor
                else ""
            )
        assert len(seen) == total == len(set(seen))
        assert ("vaultzq" in seen) is expect_hidden
        assert ("vaultzq-api" in seen) is expect_hidden


def test_a_cursor_made_for_an_owner_shows_an_outsider_nothing_more(world):
    add_restricted(world)
    owner = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['alice']}"}
    outsider = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['mal']}"}
    first = (
        Client()
        .get("/api/catalog/entities/by-query?limit=1&filter=kind=component", **owner)
        .json()
    )
    cursor = first["pageInfo"]["nextCursor"]
    page = (
        Client()
        .get(f"/api/catalog/entities/by-query?cursor={quote(cursor)}", **outsider)
        .json()
    )
    assert all(item["metadata"]["name"] != "vaultzq" for item in page["items"])
    assert page["totalItems"] == first["totalItems"] - 1


def test_the_relations_it_made_leave_the_bodies_of_what_others_see(world):
    add_restricted(world)

    def relations(who: str, ref: str) -> set[str]:
        kind, rest = ref.split(":")
        namespace, name = rest.split("/")
        body = json.loads(
            _read(
                world, who, f"/api/catalog/entities/by-name/{kind}/{namespace}/{name}"
            )[1]
        )
        return {r["targetRef"] for r in body["relations"]}

    assert VAULT in relations("alice", "component:default/billing")
    assert VAULT in relations("alice", "group:default/platform")
    assert VAULT not in relations("mal", "component:default/billing")
    assert VAULT not in relations("mal", "group:default/platform")
    # The stored body stays whole: the owner still gets it after mal's read.
    assert VAULT in relations("alice", "group:default/platform")


def test_history_and_the_catalog_at_a_date_keep_it_hidden_after_it_is_gone(world):
    add_restricted(world)
    moment = timezone.now()
    world.repo.commit({"catalog-info.yaml": VISIBLE}, "gone")  # type: ignore[attr-defined]
    crawl(world.location)
    assert not Entity.every.filter(ref=VAULT).exists()
    assert EntityRevision.every.filter(ref=VAULT, restricted=True).count() == 2
    at = quote(moment.isoformat())
    for who, shown in (("mal", False), ("alice", True), ("root", True)):
        _, text = _read(world, who, f"/api/compliance/catalog?at={at}")
        assert ("vaultzq" in text) is shown, who
        _, text = _read(world, who, f"/compliance/history?at={at}")
        assert ("vaultzq" in text) is shown, who
        status, _ = _read(world, who, "/api/entities/component/default/vaultzq/history")
        assert (status == 200) is shown, who


def test_a_rule_change_applies_to_what_is_stored(world, settings, tmp_path, capsys):
    from django.core.management import call_command

    add_restricted(world)
    rules = tmp_path / "more.yaml"
    rules.write_text("restricted:\n  - {name: billing}\n")
    settings.GREENROOM_PERMISSIONS_FILE = str(rules)
    call_command("restrictions")
    marked = set(Entity.every.filter(restricted=True).values_list("name", flat=True))
    # The annotated component stays; the API's rule is gone; billing's applies.
    assert marked == {"vaultzq", "orphanzq", "billing"}
    assert (
        _read(world, "mal", "/api/catalog/entities/by-name/component/default/billing")[
            0
        ]
        == 404
    )
    assert "3 entities" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("rules", "sees"),
    [
        ("entity.view_restricted: [owner, compliance]\n", {"alice", "mal"}),
        ("entity.view_restricted: []\n", set()),
    ],
)
def test_who_sees_them_is_a_rule(world, settings, tmp_path, rules, sees):
    add_restricted(world)
    (tmp_path / "who.yaml").write_text(rules + RULES)
    settings.GREENROOM_PERMISSIONS_FILE = str(tmp_path / "who.yaml")
    from django.contrib.auth import get_user_model

    from core.roles import grant_role

    grant_role(get_user_model().objects.get(username="mal"), "compliance")
    for who in ("alice", "mal"):
        _, text = _read(world, who, "/catalog?kind=component")
        assert ("vaultzq" in text) is (who in sees), who
    # Admins see everything whatever the rules say.
    assert "vaultzq" in _read(world, "root", "/catalog?kind=component")[1]


def test_commands_run_as_someone_see_and_do_what_they_may(world, capsys):
    from django.core.management import CommandError, call_command

    add_restricted(world)
    for command in ("entities", "export", "relations", "errors"):
        capsys.readouterr()
        call_command(command, "--as", "mal")
        assert "vaultzq" not in capsys.readouterr().out, command
        call_command(command, "--as", "alice")
        seen = capsys.readouterr().out
        assert "vaultzq" in seen or command == "errors", command
    call_command("entities")  # the system: everything
    assert "vaultzq" in capsys.readouterr().out

    with pytest.raises(CommandError, match="location.refresh"):
        call_command("crawl", str(world.location.pk), "--as", "mal")
    refusal = AuditEntry.objects.get(action="access.refused")
    assert (refusal.actor, refusal.source) == ("mal", "cli")
    call_command("crawl", str(world.location.pk), "--as", "alice")
    with pytest.raises(CommandError, match="editor"):
        call_command("register", "https://example.com/x.git", "--as", "alice")
    with pytest.raises(CommandError, match="no active user"):
        call_command("entities", "--as", "nobody")
