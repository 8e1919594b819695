"""Permissions by ownership: every route that refreshes, unregisters, deletes or
manages webhooks, on pages and in the API, tried by a member of the owning team,
a member of its parent team, someone outside, and an editor; every refusal a 403
on record in the audit log, with nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from audit.models import AuditEntry
from catalog.ingest.provided import apply_provided, provider_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from core.tokens import issue_token
from people.directory import Directory, Person, Team, documents
from tests.support.catalog import crawl
from tests.support.users import make_user
from webhooks.models import Webhook
from webhooks.registry import create_webhook, payload_url

pytestmark = pytest.mark.django_db

SERVICES = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, lifecycle: production, owner: platform}
"""


@dataclass
class World:
    location: Location
    webhook: Webhook
    people: dict[str, Client]
    tokens: dict[str, str]


@pytest.fixture
def world(repos) -> World:
    found = Directory(
        people=[Person(n, email=f"{n}@example.com") for n in ("alice", "carol", "mal")],
        teams=[
            Team("engineering", type="department", members=["carol"]),
            Team("platform", parent="engineering", members=["alice"]),
            Team("sales", members=["mal"]),
        ],
    )
    people_location = provider_location("scim", "okta")
    apply_provided(people_location, documents(found), version="1", removal_reason="x")
    repo = repos.create("services", {"catalog-info.yaml": SERVICES})
    location, _ = register_location(repo.url)
    location = crawl(location)
    clients, tokens = {}, {}
    for name, role in (("alice", "viewer"), ("carol", "viewer"), ("mal", "viewer"),
                       ("eddie", "editor")):  # fmt: skip
        user = make_user(name, role)
        user.email = f"{name}@example.com"
        user.save()
        client = Client()
        client.force_login(user)
        clients[name] = client
        tokens[name] = issue_token(user, "t", write=True)[1]
    webhook = create_webhook("github", location=location, user=None).webhook
    return World(location, webhook, clients, tokens)


def bearer(world: World, who: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[who]}"}


# Each route: (name, call(world, who) -> response, still_there(world) -> bool).
Route = tuple[str, Callable[[World, str], object], Callable[[World], bool]]


def _location_exists(world: World) -> bool:
    return Location.objects.filter(pk=world.location.pk).exists()


def _webhook_exists(world: World) -> bool:
    return Webhook.objects.filter(pk=world.webhook.pk).exists()


def _secret_unchanged(world: World) -> bool:
    return (
        Webhook.objects.get(pk=world.webhook.pk).sealed_secret
        == world.webhook.sealed_secret
    )


def _one_webhook(world: World) -> bool:
    return Webhook.objects.count() == 1


def _billing_exists(world: World) -> bool:
    return Entity.objects.filter(ref="component:default/billing").exists()


def _not_refreshed(world: World) -> bool:
    return Location.objects.get(pk=world.location.pk).crawl_again is False


ROUTES: list[Route] = [
    ("page: refresh",
     lambda w, who: w.people[who].post(f"/locations/{w.location.pk}/refresh"),
     lambda w: True),
    ("page: unregister (confirm)",
     lambda w, who: w.people[who].get(f"/locations/{w.location.pk}/unregister"),
     _location_exists),
    ("page: unregister",
     lambda w, who: w.people[who].post(f"/locations/{w.location.pk}/unregister"),
     _location_exists),
    ("page: new webhook form",
     lambda w, who: w.people[who].get(f"/webhooks/new?location={w.location.uid}"),
     _one_webhook),
    ("page: new webhook",
     lambda w, who: w.people[who].post(
         "/webhooks/new", {"kind": "github", "location": str(w.location.uid)}),
     _one_webhook),
    ("page: rotate webhook",
     lambda w, who: w.people[who].post(f"/webhooks/{w.webhook.uid}/rotate"),
     _secret_unchanged),
    ("page: delete webhook",
     lambda w, who: w.people[who].post(f"/webhooks/{w.webhook.uid}/delete"),
     _webhook_exists),
    ("api: refresh",
     lambda w, who: Client().post(
         "/api/catalog/refresh", {"entityRef": "component:default/billing"},
         content_type="application/json", **bearer(w, who)),
     lambda w: True),
    ("api: unregister",
     lambda w, who: Client().delete(
         f"/api/catalog/locations/{w.location.uid}", **bearer(w, who)),
     _location_exists),
    ("api: delete entity",
     lambda w, who: Client().delete(
         "/api/catalog/entities/by-uid/"
         f"{Entity.objects.get(ref='component:default/billing').uid}",
         **bearer(w, who)),
     _billing_exists),
    ("api: new webhook",
     lambda w, who: Client().post(
         "/api/webhooks", {"kind": "github", "location": str(w.location.uid)},
         content_type="application/json", **bearer(w, who)),
     _one_webhook),
    ("api: rotate webhook",
     lambda w, who: Client().post(
         f"/api/webhooks/{w.webhook.uid}/rotate", **bearer(w, who)),
     _secret_unchanged),
    ("api: delete webhook",
     lambda w, who: Client().delete(f"/api/webhooks/{w.webhook.uid}", **bearer(w, who)),
     _webhook_exists),
]  # fmt: skip
NAMES = [name for name, _, _ in ROUTES]


@pytest.mark.parametrize("route", ROUTES, ids=NAMES)
def test_someone_outside_the_owning_team_is_refused_and_it_is_on_record(world, route):
    _, call, unchanged = route
    response = call(world, "mal")
    assert response.status_code == 403
    assert unchanged(world)
    refusal = AuditEntry.objects.filter(action="access.refused").latest("id")
    assert refusal.actor == "mal"


@pytest.mark.parametrize("route", ROUTES, ids=NAMES)
def test_a_member_of_the_owning_team_may(world, route):
    _, call, _ = route
    response = call(world, "alice")
    assert response.status_code in (200, 201, 204, 302), response.content[:300]
    assert not AuditEntry.objects.filter(action="access.refused").exists()


# A member of the parent team, and an editor: one route of each kind.
SAMPLED = (
    "page: unregister",
    "api: refresh",
    "api: new webhook",
    "page: delete webhook",
)
SAMPLE = [route for route in ROUTES if route[0] in SAMPLED]


@pytest.mark.parametrize("who", ["carol", "eddie"])
@pytest.mark.parametrize("route", SAMPLE, ids=[r[0] for r in SAMPLE])
def test_a_member_of_a_parent_team_and_an_editor_may(world, route, who):
    _, call, _ = route
    response = call(world, who)
    assert response.status_code in (200, 201, 204, 302), response.content[:300]
    assert not AuditEntry.objects.filter(action="access.refused").exists()


def test_the_location_page_shows_owners_their_buttons(world):
    def buttons(who: str) -> set[str]:
        html = world.people[who].get(f"/locations/{world.location.pk}").content
        return {
            label
            for label in ("Refresh now", "Add a webhook", "Unregister")
            if label in html.decode()
        }

    assert buttons("alice") == {"Refresh now", "Add a webhook", "Unregister"}
    assert buttons("mal") == set()


def test_an_organisations_webhook_stays_the_editors(world):
    answer = world.people["alice"].post(
        "/webhooks/new", {"kind": "github", "owner_url": "https://github.com/acme"}
    )
    assert answer.status_code == 403
    api = Client().post(
        "/api/webhooks",
        {"kind": "github", "ownerUrl": "https://github.com/acme"},
        content_type="application/json",
        **bearer(world, "alice"),
    )
    assert api.status_code == 403
    assert api.json()["error"]["name"] == "NotAllowedError"


def test_the_rules_are_data(world, settings, tmp_path):
    rules = tmp_path / "permissions.yaml"
    rules.write_text("location.unregister: [editor]\n")
    settings.GREENROOM_PERMISSIONS_FILE = str(rules)
    pk = world.location.pk
    assert world.people["alice"].post(f"/locations/{pk}/unregister").status_code == 403
    assert world.people["alice"].post(f"/locations/{pk}/refresh").status_code == 302
    rules.write_text("location.refresh: [editor]\nlocation.unregister: [editor]\n")
    assert world.people["alice"].post(f"/locations/{pk}/refresh").status_code == 403
    rules.write_text("location.delete: [owner]\n")
    with pytest.raises(ImproperlyConfigured, match="unknown action"):
        world.people["alice"].post(f"/locations/{pk}/refresh")


def test_someone_the_catalog_does_not_describe_owns_nothing(world):
    stranger = make_user("stranger", "viewer")
    client = Client()
    client.force_login(stranger)
    assert client.post(f"/locations/{world.location.pk}/refresh").status_code == 403


def test_anonymous_refusals_are_not_recorded(world):
    """A delivery with a wrong signature is refused (and kept in the webhook's
    own pruned log), but anyone on the internet could send millions: none of
    them reaches the append-only audit log."""
    url = payload_url(world.webhook, "http://testserver/")
    answer = Client().post(
        urlsplit(url).path,
        b"{}",
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="push",
        HTTP_X_HUB_SIGNATURE_256="sha256=" + "0" * 64,
    )
    assert answer.status_code == 403
    assert not AuditEntry.objects.filter(action="access.refused").exists()
