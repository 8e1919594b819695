"""Recording writes: `record(action, target, **details)` from the code that writes.

Who and from where come from the context, so the shared functions (used by the
portal, the API and the command line alike) need not be told:

- a web or API request (AuditMiddleware): the signed-in person or the token's
  owner, "web" or "api", the client's address;
- `acting(...)` around other work: a webhook's delivery, a command;
- otherwise the process default: "cli" with the OS user in `manage.py`
  commands (see manage.py), "system" elsewhere (workers).
"""

from __future__ import annotations

import getpass
import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from audit.models import AuditEntry


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    source: str
    user_id: int | None = None
    address: str | None = None


SYSTEM = Actor("greenroom", AuditEntry.Source.SYSTEM)
_default: list[Actor] = [SYSTEM]
_acting: ContextVar[Actor | None] = ContextVar("audit_acting", default=None)
_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def record(action: str, target: str, **details: Any) -> AuditEntry:
    """Append one entry for a write that just happened (in its transaction)."""
    entry = _entry(current_actor(), action, target, details)
    entry.save()
    return entry


def record_many(action: str, targets: list[tuple[str, dict[str, Any]]]) -> None:
    """One entry per (target, details), written in one statement."""
    actor = current_actor()
    AuditEntry.objects.bulk_create(
        [_entry(actor, action, target, details) for target, details in targets],
        batch_size=1000,
    )


def _entry(
    actor: Actor, action: str, target: str, details: dict[str, Any]
) -> AuditEntry:
    return AuditEntry(
        actor=actor.name[:150],
        actor_id=actor.user_id,
        source=actor.source,
        address=actor.address,
        action=action,
        target=target[:2048],
        details=details,
    )


def current_actor() -> Actor:
    acting = _acting.get()
    if acting is not None:
        return acting
    request = _request.get()
    if request is not None:
        return _from_request(request)
    return _default[0]


@contextmanager
def acting(name: str, source: str, user: Any = None) -> Iterator[Actor]:
    """Writes inside are recorded as done by `name` through `source`."""
    actor = Actor(name, source, getattr(user, "pk", None))
    token = _acting.set(actor)
    try:
        yield actor
    finally:
        _acting.reset(token)


def command_line() -> None:
    """Make this process's writes the command line's, by the OS user."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    _default[0] = Actor(name, AuditEntry.Source.CLI)


def _from_request(request: HttpRequest) -> Actor:
    # DRF sets the token's owner on the Django request once it has checked it.
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    source = AuditEntry.Source.API if request.path.startswith("/api/") else "web"
    return Actor(
        user.get_username() if signed_in and user else "anonymous",
        source,
        user.pk if signed_in and user else None,
        client_address(request),
    )


def client_address(request: HttpRequest) -> str | None:
    """The client's address: behind GREENROOM_TRUSTED_PROXIES proxies, the one
    the outermost of them saw (X-Forwarded-For, counted from the right: entries
    further left come from the client and may be made up)."""
    address = request.META.get("REMOTE_ADDR") or None
    hops = settings.GREENROOM_TRUSTED_PROXIES
    if hops:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


class AuditMiddleware:
    """Lets `record` see the request it happens in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            response = self.get_response(request)
            if response.status_code == 403 and _signed_in(request):
                refused(request)
            return response
        finally:
            _request.reset(token)


def _signed_in(request: HttpRequest) -> bool:
    # The API's token owner is set on the request by DRF once the view ran.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def refused(request: HttpRequest) -> None:
    """Every 403 the portal answers a person (signed in, or by token), pages and
    API alike, in one place: whatever refused (a role, an ownership rule, CSRF),
    the refusal is on record. Anonymous 403s (a webhook delivery with a wrong
    signature, a scrape of /metrics from elsewhere) are not: anyone on the
    internet could otherwise fill an append-only table; deliveries keep their
    own pruned log."""
    match = request.resolver_match
    record(
        "access.refused",
        request.path[:2048],
        method=request.method,
        view=match.view_name if match is not None else "",
    )
