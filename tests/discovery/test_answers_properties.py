"""Property: whatever a host answers to a listing, the adapters give repositories
whose every field PostgreSQL stores and pages can link to, or a HostApiError;
never another exception, and never a row the database refuses."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from catalog.storable import has_unstorable
from discovery import hostclient, hosts
from discovery.hosts.base import MAX_OWNERS, codeowners
from discovery.models import DiscoveredRepository, DiscoverySource, HostConnection

# Strings a hostile host would send: control characters, NUL, lone surrogates,
# URLs of every scheme, very long ones.
hostile = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["javascript:alert(1)", "http://x/", "https://h/a/b.git", "\x00",
                     "\ud800", "a/b", "../..", "x" * 5000]),
)  # fmt: skip
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(hostile, inner, max_size=3),
    max_leaves=10,
)  # fmt: skip
KEYS = ["id", "uuid", "name", "full_name", "path_with_namespace", "clone_url",
        "http_url_to_repo", "html_url", "web_url", "default_branch", "archived",
        "fork", "private", "is_private", "visibility", "description", "topics",
        "pushed_at", "updated_at", "last_activity_at", "links", "mainbranch",
        "parent", "forked_from_project", "disabled", "tag_list"]  # fmt: skip
# A repository every kind's adapter would take, its strings hostile, then some of
# its fields replaced by anything at all.
well_formed = st.fixed_dictionaries(
    {
        "id": st.integers() | hostile,
        "uuid": hostile,
        "full_name": hostile,
        "path_with_namespace": hostile,
        "clone_url": hostile,
        "http_url_to_repo": hostile,
        "html_url": hostile,
        "web_url": hostile,
        "default_branch": hostile,
        "description": hostile,
        "topics": st.lists(hostile, max_size=3),
        "links": st.fixed_dictionaries(
            {
                "clone": st.lists(
                    st.fixed_dictionaries({"name": st.just("https"), "href": hostile}),
                    max_size=2,
                ),
                "html": st.fixed_dictionaries({"href": hostile}),
            }
        ),
        "mainbranch": st.fixed_dictionaries({"name": hostile}),
    }
)
repository = st.builds(
    lambda base, extra: {**base, **extra},
    well_formed,
    st.dictionaries(st.sampled_from(KEYS), values, max_size=3),
) | st.dictionaries(hostile, values, max_size=4)
BODY = {
    "github": lambda repos: repos,
    "gitlab": lambda repos: repos,
    "gitea": lambda repos: repos,
    "bitbucket-cloud": lambda repos: {"values": repos, "next": "javascript:x"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BODY))
@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(repos=st.lists(repository, max_size=4), raw=st.booleans())
def test_any_listing_gives_storable_repositories_or_a_clear_error(kind, repos, raw):
    connection, _ = HostConnection.objects.get_or_create(
        name=f"h-{kind}", kind=kind, api_url="https://h.example/api",
        git_url="https://h.example", sealed_token="x",
    )  # fmt: skip
    source, _ = DiscoverySource.objects.get_or_create(
        name=f"s-{kind}", connection=connection, scope="acme"
    )
    body = json.dumps(BODY[kind](repos)).encode() if not raw else b"\x00{"
    answer = hostclient.Answer(200, {"link": '<javascript:x>; rel="next"'}, body)
    try:
        page = hosts.kind(kind).page(hosts.Api(connection), answer)
    except hostclient.HostApiError:
        return
    for found in page.repositories:
        for value in (found.host_id, found.full_name, found.clone_url,
                      found.web_url, found.default_branch, found.description,
                      *found.topics):  # fmt: skip
            assert not has_unstorable(value)
        assert found.web_url == "" or found.web_url.startswith(("http://", "https://"))
        DiscoveredRepository.objects.update_or_create(
            source=source,
            host_id=found.host_id,
            defaults={
                "full_name": found.full_name, "clone_url": found.clone_url,
                "web_url": found.web_url, "default_branch": found.default_branch,
                "description": found.description, "topics": list(found.topics),
                "state": "uncatalogued",
            },
        )  # fmt: skip


@hsettings(max_examples=300)
@given(
    content=st.lists(
        st.one_of(
            st.text(max_size=60),
            st.builds(
                lambda pattern, owners: f"{pattern} {' '.join(owners)}",
                st.sampled_from(["*", "/", "/docs/", "[Section]", "# c", "**"]),
                st.lists(hostile | st.just("@acme/team"), max_size=4),
            ),
        ),
        max_size=8,
    ).map("\n".join)
)
def test_any_codeowners_file_gives_few_storable_owners(content):
    found = codeowners(content)
    assert len(found) <= MAX_OWNERS
    assert all("@" in owner and not has_unstorable(owner) for owner in found)
    assert all(len(owner) <= 100 for owner in found)
