"""Adding, changing and removing organisation providers (the admin's side)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from audit import log as audit
from catalog.ingest.provided import provider_location
from catalog.locations import unregister_location
from catalog.models import Location
from catalog.storable import has_unstorable, storable_json
from core import secrets
from discovery.models import HostConnection
from people.models import OrgProvider

SECRET_PURPOSE = "org provider"
MAX_INTERVAL = 365 * 24 * 3600  # a year: the column holds up to 2**31 - 1
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
# The provider's location type (what `backstage.io/managed-by-location` starts with).
LOCATION_TYPES = {
    OrgProvider.Kind.GITHUB: "github-org",
    OrgProvider.Kind.GITLAB: "gitlab-group",
    OrgProvider.Kind.LDAP: "ldap",
    OrgProvider.Kind.SCIM: "scim",
}
HOST_KINDS = {
    OrgProvider.Kind.GITHUB: HostConnection.Kind.GITHUB,
    OrgProvider.Kind.GITLAB: HostConnection.Kind.GITLAB,
}


class ProviderError(ValueError):
    """A provider that cannot be added as asked; the message says why."""


def location_target(
    kind: str,
    name: str,
    connection: HostConnection | None,
    scope: str,
    settings: dict[str, object] | None = None,
) -> str:
    """What the provider's location names: the organisation or group on its
    host, the directory's URL, or the provider itself for SCIM (pushed to us)."""
    if connection is not None:
        base = connection.git_url.rstrip("/")
        host = base.split("/", 3)
        root = "/".join(host[:3]) if len(host) >= 3 else base
        return f"{root}/{scope.strip('/')}"
    if kind == OrgProvider.Kind.LDAP:
        # An LDAP URL names the server and the base DN read (RFC 4516): two
        # providers may read two parts of one directory, never the same part.
        base = str((settings or {}).get("users_base_dn") or "")
        return f"{scope.rstrip('/')}/{quote(base, safe='=,')}" if base else scope
    return name


@sensitive_variables("secret")
def create_provider(
    *,
    name: str,
    kind: str,
    connection: HostConnection | None = None,
    scope: str = "",
    settings: dict[str, object] | None = None,
    secret: str = "",
    namespace: str = "default",
    interval: int = 3600,
) -> OrgProvider:
    check(name=name, kind=kind, connection=connection, scope=scope,
          interval=interval, settings=settings or {},
          namespace=namespace)  # fmt: skip
    target = location_target(kind, name, connection, scope, settings)
    longest = Location._meta.get_field("url").max_length
    if len(target) > longest:
        raise ProviderError(
            f"what the provider reads is named by {len(target)} characters "
            f"({target[:80]}…); at most {longest}"
        )
    if Location.every.filter(type=LOCATION_TYPES[kind], url=target).exists():
        raise ProviderError(f"another provider reads {target} already")
    with transaction.atomic():
        provider = OrgProvider.objects.create(
            name=name,
            kind=kind,
            connection=connection,
            scope=scope,
            settings=settings or {},
            sealed_secret=secrets.seal(secret, SECRET_PURPOSE) if secret else "",
            namespace=namespace,
            interval=interval,
            location=provider_location(LOCATION_TYPES[kind], target),
        )
        audit.record("provider.add", name, kind=kind, reads=target)
    return provider


def check(
    *,
    name: str,
    kind: str,
    connection: HostConnection | None,
    scope: str,
    interval: int,
    settings: dict[str, object] | None = None,
    namespace: str = "default",
) -> None:
    """Raise ProviderError saying what is wrong with a provider to add: nothing
    that reaches the database may fail there (too long, NUL, a lone surrogate)."""
    _check_storable("scope", scope, OrgProvider._meta.get_field("scope").max_length)
    _check_storable("namespace", namespace, 63)
    if storable_json(settings or {}) != (settings or {}):
        raise ProviderError(
            "the settings hold a character the database cannot store "
            "(NUL or a lone surrogate)"
        )
    if not NAME.fullmatch(name):
        raise ProviderError(
            "a provider's name is lower-case letters, digits and dashes"
        )
    if kind not in OrgProvider.Kind.values:
        raise ProviderError(f"unknown provider kind {kind!r}")
    if OrgProvider.objects.filter(name=name).exists():
        raise ProviderError(f"a provider named {name!r} exists already")
    if kind in HOST_KINDS:
        if connection is None or connection.kind != HOST_KINDS[kind]:
            raise ProviderError(
                f"a {kind} provider reads through a {HOST_KINDS[kind]} host connection"
            )
        if not scope.strip("/"):
            raise ProviderError("name the organisation or group to read (scope)")
    elif connection is not None:
        raise ProviderError(f"a {kind} provider uses no host connection")
    if kind == OrgProvider.Kind.LDAP:
        _check_ldap(scope, settings or {})
    if not 60 <= interval <= MAX_INTERVAL:
        raise ProviderError(
            f"runs are at least 60 seconds apart, and at most {MAX_INTERVAL}"
        )


def _check_storable(field: str, value: str, max_length: int | None) -> None:
    if max_length is not None and len(value) > max_length:
        raise ProviderError(f"the {field} is longer than {max_length} characters")
    if has_unstorable(value):
        raise ProviderError(
            f"the {field} holds a character the database cannot store "
            "(NUL or a lone surrogate)"
        )


def _check_ldap(scope: str, settings: dict[str, object]) -> None:
    """An ldap:// or ldaps:// URL; plain ldap:// only with StartTLS, or on this
    machine: the bind password would otherwise cross the network in clear."""
    try:
        parts = urlsplit(scope)
        hostname = parts.hostname
    except ValueError:
        hostname = None
    if hostname is None or parts.scheme not in ("ldap", "ldaps"):
        raise ProviderError("an LDAP provider's scope is its ldap:// or ldaps:// URL")
    loopback = hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme == "ldap" and not settings.get("start_tls") and not loopback:
        raise ProviderError(
            "plain ldap:// would send the bind password in clear: use ldaps://, "
            'or set "start_tls": true in the settings'
        )


@sensitive_variables("sealed")
def secret_of(provider: OrgProvider) -> str:
    sealed = provider.sealed_secret
    return secrets.unseal(sealed, SECRET_PURPOSE) if sealed else ""


@sensitive_variables("secret")
def set_secret(provider: OrgProvider, secret: str) -> None:
    provider.sealed_secret = secrets.seal(secret, SECRET_PURPOSE) if secret else ""
    provider.save(update_fields=["sealed_secret"])
    audit.record("provider.rotate", provider.name)


def remove_provider(provider: OrgProvider) -> None:
    """Remove the provider and its entities, each with a revision saying why."""
    location = provider.location
    with transaction.atomic():
        audit.record("provider.remove", provider.name)
        provider.delete()
        unregister_location(location, f"provider {provider.name} was removed")
