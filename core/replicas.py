"""Reads from PostgreSQL streaming replicas, writes and fresh reads from the primary.

`DATABASE_REPLICA_URLS` (comma-separated) adds one database alias per replica
(`replica_0`, ...). Pages and API requests read from a replica; everything else
(Celery tasks, commands, migrations) and every write uses the primary. A request
reads from the primary instead when:

- it writes (any statement on the primary that is not a read sends the rest of
  its reads there), or reads inside a transaction on the primary;
- its person wrote in the last GREENROOM_REPLICA_PIN_SECONDS (read-your-writes: a
  cookie for a browser, the shared cache keyed by the token's digest for an API
  client, so that a `POST` then `GET` sees what it wrote);
- no replica is fit: each is asked, once per request and before its first read
  there, how far it lags (`pg_last_xact_replay_timestamp()`; no lag when it has
  replayed all it received); one that lags beyond GREENROOM_REPLICA_MAX_LAG
  seconds, or does not answer within its connect timeout, is passed over (and one
  that did not answer is not tried again for RETRY_SECONDS).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
COOKIE = "greenroom_primary_until"
RETRY_SECONDS = 10.0
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) "
    "END, pg_is_in_recovery()"
)
_down_until: dict[str, float] = {}  # replica alias -> monotonic time to try again


def replicas() -> list[str]:
    return [alias for alias in connections.settings if alias.startswith("replica_")]


@dataclass
class Routing:
    """One request's reads: pinned to the primary, or the replica chosen."""

    pinned: bool = False
    wrote: bool = False
    chosen: str | None = None
    asked: bool = False
    tried: list[str] = field(default_factory=list)

    def replica(self) -> str | None:
        if self.pinned:
            return None
        if not self.asked:
            self.asked = True
            self.chosen = _fit_replica(self.tried)
        return self.chosen


_routing: ContextVar[Routing | None] = ContextVar("greenroom_routing", default=None)


def _fit_replica(tried: list[str]) -> str | None:
    now = time.monotonic()
    candidates = [a for a in replicas() if _down_until.get(a, 0) <= now]
    random.shuffle(candidates)
    for alias in candidates:
        tried.append(alias)
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(LAG_SQL)
                lag, recovering = cursor.fetchone()
        except DatabaseError:
            _down_until[alias] = now + RETRY_SECONDS
            connections[alias].close()
            continue
        if recovering and float(lag) <= settings.GREENROOM_REPLICA_MAX_LAG:
            return alias
    return None


def current_read_alias() -> str:
    """Where this request's next read goes (for pages that say so, and tests)."""
    routing = _routing.get()
    if routing is None:
        return PRIMARY
    return routing.replica() or PRIMARY


class ReplicaRouter:
    """Django database router: see the module's docstring."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        routing = _routing.get()
        if routing is None or connections[PRIMARY].in_atomic_block:
            return None
        return routing.replica()

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


READS = ("SELECT", "SHOW", "SET", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
         "RELEASE")  # fmt: skip


def _noting_writes(routing: Routing) -> Callable[..., Any]:
    """An execute wrapper for the primary: a statement that changes something
    sends the rest of the request's reads there, and pins its person."""

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if not sql.lstrip().upper().startswith(READS):
            routing.pinned = routing.wrote = True
        return execute(sql, *args)

    return wrapper


def _token_key(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    return "replica-pin:" + hashlib.sha256(header.encode()).hexdigest()


def _pinned_by_earlier_write(request: HttpRequest) -> bool:
    try:
        until = float(request.COOKIES.get(COOKIE, "0"))
    except ValueError:
        until = 0.0
    if until > time.time():
        return True
    key = _token_key(request)
    return bool(key and cache.get(key))


class ReplicaMiddleware:
    """Routes a request's reads (see the module's docstring)."""

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replicas():
            return self.get_response(request)
        routing = Routing(
            pinned=request.method not in self.SAFE or _pinned_by_earlier_write(request)
        )
        token = _routing.set(routing)
        try:
            with connections[PRIMARY].execute_wrapper(_noting_writes(routing)):
                response = self.get_response(request)
        finally:
            _routing.reset(token)
        if routing.wrote:
            seconds = settings.GREENROOM_REPLICA_PIN_SECONDS
            response.set_cookie(
                COOKIE,
                str(time.time() + seconds),
                max_age=seconds,
                httponly=True,
                secure=request.is_secure(),
                samesite="Lax",
            )
            key = _token_key(request)
            if key:
                cache.set(key, 1, seconds)
        response.headers["X-Greenroom-Read-From"] = (
            "replica" if routing.chosen and not routing.pinned else "primary"
        )
        return response
