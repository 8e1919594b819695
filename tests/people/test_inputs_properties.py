"""What an operator types and what an identity provider claims, searched for the
next bad case: a provider is added or refused with ProviderError, never a crash
half-way; any claims give a valid, free user name and storable details.
`make test` runs 80 examples of each; HYPOTHESIS_PROFILE=long 2,000."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from people.models import OrgProvider
from people.providers import ProviderError, create_provider
from people.signin import _details, free_username

pytestmark = pytest.mark.django_db

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
EXAMPLES = settings(
    max_examples=2000 if LONG else 80,
    derandomize=not LONG,  # `make test`: the same examples every run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abc-", min_size=1, max_size=12),
    st.text(min_size=2040, max_size=2100),
    st.sampled_from(["ldap://127.0.0.1", "ldaps://ldap.example.com", "ldap://x"]),
)
claim = st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=5)), st.text())


@EXAMPLES
@example(  # a base DN longer than a location's URL column
    name="directory", kind="ldap", scope="ldaps://ldap.example.com",
    base="ou=" + "x" * 2100, start_tls=False, interval=3600, namespace="default",
)  # fmt: skip
@example(  # found by this test: a NUL in the scope of a SCIM provider
    name="a", kind="scim", scope="x\x00", base="", start_tls=False, interval=3600,
    namespace="default",
)  # fmt: skip
@given(
    name=texts,
    kind=st.sampled_from([*OrgProvider.Kind.values, "ftp"]),
    scope=texts,
    base=texts,
    start_tls=st.booleans(),
    interval=st.integers(min_value=-5, max_value=2**40),
    namespace=st.one_of(st.just("default"), texts),
)
def test_a_provider_is_added_or_refused_with_a_reason(
    name, kind, scope, base, start_tls, interval, namespace
):
    settings_ = {"users_base_dn": base, "start_tls": start_tls}
    reason = ""
    try:
        with transaction.atomic():
            provider = create_provider(
                name=name, kind=kind, scope=scope, settings=settings_,
                interval=interval, namespace=namespace,
            )  # fmt: skip
    except ProviderError as refused:
        reason = str(refused)
    if reason:
        return
    assert provider.location.managed_by.startswith(provider.location.type + ":")


@EXAMPLES
@given(
    st.dictionaries(
        st.sampled_from(
            ["sub", "preferred_username", "email", "given_name", "family_name", "name"]
        ),
        claim,
    )
)
def test_any_claims_give_a_valid_free_user_name(claims):
    name = free_username(claims)
    UnicodeUsernameValidator()(name)
    assert 0 < len(name) <= 150
    assert not get_user_model().objects.filter(username__iexact=name).exists()
    details = _details(claims)
    assert len(details["email"]) <= 254
    assert all(isinstance(value, str) for value in details.values())
