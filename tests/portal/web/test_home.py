"""The signed-in person's home page: found in the catalog by address or name, their
teams, what those own and what needs attention there, and recent changes."""

from __future__ import annotations

import pytest

from catalog.ingest.provided import apply_provided, provider_location
from catalog.locations import register_location
from compliance.scoring import score_refs
from people.directory import Directory, Person, Team, documents
from people.identity import SESSION_KEY
from tests.support.catalog import crawl, crawl_repo
from tests.support.users import make_user

pytestmark = pytest.mark.django_db

COMPONENTS = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing, description: Bills}
spec:
  {type: service, lifecycle: production, owner: platform, dependsOn: [component:legacy]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: legacy, description: Old}
spec: {type: service, lifecycle: deprecated, owner: someone-else}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, description: Books}
spec: {type: service, lifecycle: production, owner: engineering}
"""


@pytest.fixture
def people():
    found = Directory(
        people=[
            Person("alice", display_name="Alice Liddell", email="Alice@Example.com"),
            Person("bob", display_name="Bob"),
        ],
        teams=[
            Team("engineering", type="department"),
            Team("platform", parent="engineering", members=["alice"]),
        ],
    )
    location = provider_location("ldap", "ldap://ldap.example.com")
    apply_provided(location, documents(found), version="1", removal_reason="left")


def signed_in(client, username: str, email: str = ""):
    user = make_user(username, "viewer")
    user.email = email
    user.save()
    client.force_login(user)
    return client


def test_the_home_page_is_the_persons_own(client, repos, people, rules):
    repo = repos.create("services", {"catalog-info.yaml": COMPONENTS})
    location, _ = register_location(repo.url)
    crawl(location)
    score_refs(["component:default/billing", "component:default/ledger"])
    # billing's descriptor breaks: its last good version stays, with an error.
    repo.commit(
        {
            "catalog-info.yaml": COMPONENTS.replace(
                "lifecycle: production, owner: platform",
                "lifecycle: 5, owner: platform",
            )
        }
    )
    crawl(location)
    page = signed_in(client, "a.liddell", "alice@example.com").get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello, Alice Liddell" in html
    assert page.context["me"]["ref"] == "user:default/alice"
    assert page.context["teams"] == ["group:default/platform"]
    owned = {row["ref"]: row["flags"] for row in page.context["owned"]}
    # platform's own, nothing of engineering (the parent) or of someone else.
    assert set(owned) == {"component:default/billing"}
    flags = owned["component:default/billing"]
    assert flags["errors"] >= 1
    assert flags["deprecated_dependencies"] == 1
    assert flags["failing_rules"] >= 1
    assert page.context["needs_attention"] == 1
    assert '<a href="/" class="me" title="user:default/alice">Alice Liddell</a>' in html


def test_a_parents_member_sees_what_child_teams_own(client, repos):
    found = Directory(
        people=[Person("carol", email="carol@example.com")],
        teams=[
            Team("engineering", type="department", members=["carol"]),
            Team("platform", parent="engineering"),
        ],
    )
    location = provider_location("ldap", "ldap://ldap.example.com")
    apply_provided(location, documents(found), version="1", removal_reason="left")
    crawl_repo(repos, "services", {"catalog-info.yaml": COMPONENTS})
    page = signed_in(client, "carol", "carol@example.com").get("/")
    refs = {row["ref"] for row in page.context["owned"]}
    assert refs == {"component:default/billing", "component:default/ledger"}


def test_matched_by_name_when_no_address_matches(client, people):
    page = signed_in(client, "bob").get("/")
    assert page.context["me"]["ref"] == "user:default/bob"


def test_two_users_with_one_address_match_nobody(client):
    found = Directory(
        people=[
            Person("x1", email="same@example.com"),
            Person("x2", email="same@example.com"),
        ]
    )
    location = provider_location("ldap", "ldap://ldap.example.com")
    apply_provided(location, documents(found), version="1", removal_reason="left")
    page = signed_in(client, "someone", "same@example.com").get("/")
    assert page.context["me"] is None
    assert "We could not find you in the catalog" in page.content.decode()


def test_someone_found_later_is_found_once_the_retry_is_due(client, people, settings):
    client = signed_in(client, "dora", "dora@example.com")
    assert client.get("/").context["me"] is None
    found = Directory(people=[Person("dora", email="dora@example.com")])
    location = provider_location("scim", "okta")
    apply_provided(location, documents(found), version="1", removal_reason="left")
    assert client.get("/").context["me"] is None  # remembered for a while
    session = client.session
    session[SESSION_KEY]["at"] = 0
    session.save()
    assert client.get("/").context["me"]["ref"] == "user:default/dora"
