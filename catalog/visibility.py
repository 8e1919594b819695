"""Restricted entities: invisible to everyone but their owners, everywhere.

An entity is *restricted* when its annotation `greenroom.io/restricted` is `"true"`,
or when a `restricted` selector of GREENROOM_PERMISSIONS_FILE matches it
(catalog/permissions.py); the crawl marks it (`Entity.restricted`, and
`EntityRevision.restricted` for what it was at each revision). Who may see one is
the rule `entity.view_restricted` (by default its owners: the members of its owning
group, directly or through a parent group; admins see everything).

To everyone else a restricted entity does not exist: not in lists, counts, facets,
search, graphs, history, the catalog at a date, exports, coverage, docs or the API,
and the relations it produced are gone from the entities they name. Asking for it
answers as for an entity that never was (404, `null` in `by-refs`).

That holds because it is decided in one place: the default manager (`objects`) of
every table that holds an entity's data leaves out, for the person the request is
for, the rows of entities hidden from them. Whatever a page, an API route, an
export or a command builds on those managers is filtered before it is counted. The
person is set for each request (ViewerMiddleware, lazily: an API token is known
only once DRF has authenticated it; a query made before then sees nothing
restricted) and by commands run `--as` someone. Celery tasks, ingestion and
commands run as the system, which sees everything: they keep the data whole, and
what they write is filtered when it is read. `Model.every` is the unfiltered
manager for code that must see everything inside a request.

When nothing is restricted the managers add no condition at all (one indexed
`EXISTS` per request finds out), so the common catalog pays nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.apps import apps
from django.db import connections, models, router
from django.db.models import Q

if TYPE_CHECKING:
    pass

ANNOTATION = "greenroom.io/restricted"
M = TypeVar("M", bound=models.Model)


@dataclass(eq=False)
class Viewer:
    """Whose eyes the queries are for: everything, or what `owners` own plus all
    that is not restricted."""

    everything: bool = False
    owners: frozenset[str] = frozenset()
    subject: str = ""  # who: "user:<pk>", "anonymous"; "" for the system
    _any: bool | None = field(default=None, repr=False)

    def hides_anything(self) -> bool:
        if self.everything:
            return False
        if self._any is None:
            self._any = anything_restricted()
        return self._any

    def fingerprint(self) -> str:
        """Tells apart people who may see different things, whether or not
        anything is restricted (so that it tells nothing of that)."""
        if not self.subject and self.everything:
            return "all"
        key = self.subject or "\n".join(sorted(self.owners))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def sees(self, restricted: bool, owner_ref: str) -> bool:
        return self.everything or not restricted or owner_ref in self.owners

    def hidden_entities(self) -> models.QuerySet[Any]:
        """The restricted entities this viewer may not see (Entity.every)."""
        return _model("Entity").every.filter(self.hidden_condition())

    def hidden_condition(self, prefix: str = "") -> Q:
        """Rows whose own `restricted` and `owner_ref` columns hide them."""
        return Q(**{f"{prefix}restricted": True}) & ~Q(
            **{f"{prefix}owner_ref__in": sorted(self.owners)}
        )

    def hidden_ids(self) -> models.QuerySet[Any]:
        return self.hidden_entities().values("pk")

    def hidden_refs(self) -> models.QuerySet[Any]:
        return self.hidden_entities().values("ref")

    def hidden_uids(self) -> models.QuerySet[Any]:
        return self.hidden_entities().values("uid")


SYSTEM = Viewer(everything=True)


@dataclass(frozen=True)
class Pending:
    """A request's viewer before its first query: who it is, cheaply, and what
    they may see, which costs queries and matters only if anything is restricted."""

    subject: Callable[[], str]
    resolve: Callable[[], Viewer]


_current: ContextVar[Viewer | Pending] = ContextVar("greenroom_viewer", default=SYSTEM)


def current() -> Viewer:
    """The viewer of this request or command, resolved on first use: who the
    person is matters only where something is restricted."""
    value = _current.get()
    if isinstance(value, Viewer):
        return value
    with viewing(SYSTEM):  # finding out who someone is reads the catalog
        if anything_restricted():
            viewer = value.resolve()
        else:
            viewer = Viewer(everything=True, subject=value.subject())
    if not viewer.everything:
        viewer._any = True
    _current.set(viewer)
    return viewer


def anything_restricted() -> bool:
    """Whether any entity is, or any revision was, restricted: one query over
    two partial indexes that hold only those."""
    entity, revision = _model("Entity"), _model("EntityRevision")
    with connections[router.db_for_read(entity)].cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {entity._meta.db_table} WHERE restricted)"
            f" OR EXISTS (SELECT 1 FROM {revision._meta.db_table} WHERE restricted)"
        )
        return bool(cursor.fetchone()[0])


@contextmanager
def viewing(viewer: Viewer | Pending) -> Iterator[None]:
    """Queries in this block are for `viewer` (resolved on the first query)."""
    token = _current.set(viewer)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def public() -> Iterator[None]:
    """Run as someone who sees nothing restricted: figures kept for everyone
    (coverage counts, scorecard trends) count only what everyone may see. A new
    viewer each time: whether anything is restricted is asked afresh."""
    with viewing(Viewer(subject="public")):
        yield


def system() -> Any:
    """Run as the system (sees everything): ingestion, deletion, permissions."""
    return viewing(SYSTEM)


# How each table's rows belong to an entity: the default manager of the model
# leaves out those of hidden entities.
def _by_own_columns(rows: models.QuerySet[Any], viewer: Viewer) -> Any:
    return rows.exclude(viewer.hidden_condition())


def _by_entity_id(column: str) -> Callable[[models.QuerySet[Any], Viewer], Any]:
    return lambda rows, viewer: rows.exclude(**{f"{column}__in": viewer.hidden_ids()})


def _by_entity_ref(column: str) -> Callable[[models.QuerySet[Any], Viewer], Any]:
    return lambda rows, viewer: rows.exclude(**{f"{column}__in": viewer.hidden_refs()})


def _by_revision(rows: models.QuerySet[Any], viewer: Viewer) -> Any:
    # Hidden then (restricted at that revision) or now (the entity as it is).
    return rows.exclude(viewer.hidden_condition()).exclude(
        entity_uid__in=viewer.hidden_uids()
    )


RULES: dict[str, Callable[[models.QuerySet[Any], Viewer], Any]] = {
    "entity": _by_own_columns,
    "entitybody": _by_entity_id("entity_id"),
    "entitysummary": _by_entity_id("entity_id"),
    "entityfield": _by_entity_id("entity_id"),
    "entitytag": _by_entity_id("entity_id"),
    "relation": _by_entity_id("origin_id"),
    "processingerror": _by_entity_ref("entity_ref"),
    "entityrevision": _by_revision,
    "entityscore": _by_entity_id("entity_id"),
    "ruleresult": _by_entity_id("score__entity_id"),
    "docssite": _by_entity_ref("entity_ref"),
    "docsbuild": _by_entity_ref("site__entity_ref"),
    "docssection": _by_entity_ref("site__entity_ref"),
}


class VisibleManager(models.Manager[M], Generic[M]):
    """A default manager that leaves out rows of entities hidden from the
    current viewer (see the module's docstring)."""

    def get_queryset(self) -> models.QuerySet[M]:
        rows = super().get_queryset()
        viewer = current()
        if not viewer.hides_anything():
            return rows
        return RULES[self.model._meta.model_name or ""](rows, viewer)  # type: ignore[no-any-return]


def _model(name: str) -> Any:
    return apps.get_model("catalog", name)
