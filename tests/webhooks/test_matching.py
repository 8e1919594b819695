"""One repository, many spellings; and which pushes can change a location."""

from __future__ import annotations

import pytest

from catalog.models import Location
from webhooks.matching import locations_for, may_change, repository_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Acme/Billing",
        "https://GitHub.com/acme/billing.git",
        "https://github.com/acme/billing/",
        "http://github.com:443/acme/billing",
        "ssh://git@github.com/acme/billing.git",
        "ssh://git@github.com:22/acme/billing",
        "git@github.com:acme/billing.git",
        "git@GITHUB.COM:Acme/Billing",
        "git://github.com/acme/billing",
        "https://user@github.com/acme/billing.git",
    ],
)
def test_every_spelling_of_a_repository_has_one_key(url):
    assert repository_key(url) == "github.com/acme/billing"


def test_other_repositories_and_non_urls_have_other_keys():
    assert repository_key("https://github.com/acme/billing-api") != repository_key(
        "https://github.com/acme/billing"
    )
    assert (
        repository_key("https://gitlab.com/acme/billing") == "gitlab.com/acme/billing"
    )
    # Bitbucket Data Center clones over http under /scm/, over ssh at the root.
    assert repository_key(
        "https://bitbucket.example/scm/proj/repo.git"
    ) == repository_key("ssh://git@bitbucket.example:7999/proj/repo.git")
    for nothing in ("", "not a url", "https://github.com/", "/"):
        assert repository_key(nothing) == "", nothing


def location(url: str, **fields) -> Location:
    return Location.objects.create(
        **{"url": url, "path": "catalog-info.yaml", **fields}
    )


def test_a_location_webhook_matches_its_own_repository_only():
    billing = location("https://github.com/acme/billing")
    location("https://github.com/acme/ledger")
    urls = ["git@github.com:acme/billing.git", "https://github.com/acme/billing"]
    assert locations_for(urls, location=billing) == [billing]
    assert locations_for(["https://github.com/acme/ledger"], location=billing) == []
    assert locations_for([], location=billing) == []


def test_an_organisation_webhook_matches_the_repositories_under_it():
    billing = location("https://github.com/acme/billing")
    tracked = location("https://github.com/acme/billing.git", branch="release")
    location("https://github.com/other/billing")
    location("https://github.com/acme/billing-api")
    found = locations_for(
        ["git@github.com:acme/billing.git"], owner_url="https://github.com/Acme"
    )
    assert found == [billing, tracked]
    outside = ["https://github.com/other/billing"]
    assert locations_for(outside, owner_url="https://github.com/acme") == []


def test_what_a_push_can_change():
    read = location(
        "https://github.com/acme/billing",
        input_paths=["catalog-info.yaml", "api/openapi.md"],
    )
    assert may_change(["catalog-info.yaml"], read, [])
    assert may_change(["api/openapi.md"], read, [])  # a placeholder's file
    assert may_change(["services/new/catalog-info.yml"], read, [])  # a new target
    assert may_change(["openapi.json"], read, [])
    assert not may_change(["src/main.py", "README.md"], read, [])
    # Docs at the root: its config and pages; in a folder: everything in it.
    assert may_change(["docs/index.md"], read, [""])
    assert may_change(["mkdocs.yml"], read, [""])
    assert not may_change(["src/docs.py"], read, [""])
    assert may_change(["handbook/guide/intro.md"], read, ["handbook"])
    assert not may_change(["handbook-old/x.md"], read, ["handbook"])
    # Never crawled since Greenroom recorded what it read: always.
    assert may_change(["src/main.py"], location("https://github.com/acme/new"), [])
    globbed = location(
        "https://github.com/acme/mono",
        path="services/*/info.txt",
        input_paths=["services/a/info.txt"],
    )
    assert may_change(["services/b/info.txt"], globbed, [])
