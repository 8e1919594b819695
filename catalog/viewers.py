"""Whose eyes a request's queries are for, and which entities are restricted:
the rules of catalog/permissions.py applied to catalog/visibility.py's mechanism.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from django.apps import apps

from catalog.identity import owner_refs
from catalog.permissions import OWNER, restricted_by_rule, rules
from catalog.visibility import (
    ANNOTATION,
    Pending,
    Viewer,
    current,
    system,
    viewing,
)
from core.roles import ADMIN, role_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


def subject_of(user: Any) -> str:
    if user and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def viewer_for(user: Any) -> Viewer:
    """What `user` may see, by the rule `entity.view_restricted`."""
    subject = subject_of(user)
    if not (user and user.is_authenticated and user.is_active):
        return Viewer(subject=subject)
    role = role_of(user)
    if not role:
        return Viewer(subject=subject)
    subjects = rules()["entity.view_restricted"]
    if role == ADMIN or role in subjects:
        return Viewer(everything=True, subject=subject)
    if OWNER in subjects:
        return Viewer(owners=owner_refs(user), subject=subject)
    return Viewer(subject=subject)


def is_restricted(processed: dict[str, Any], owner_ref: str) -> bool:
    """Whether an entity (as processed) is restricted: its annotation, or a rule."""
    metadata = processed.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    marked = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    if isinstance(marked, str) and marked.strip().lower() == "true":
        return True
    return restricted_by_rule(processed, owner_ref)


class ViewerMiddleware:
    """Queries made for a request see what its person may see; decided when the
    first one is made (after DRF has authenticated an API token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def user() -> Any:
            return getattr(request, "user", None)

        pending = Pending(lambda: subject_of(user()), lambda: viewer_for(user()))
        with viewing(pending):
            response = self.get_response(request)
            if response.streaming:
                # Streamed bodies (exports) are read after this returns.
                response.streaming_content = _streamed_as(  # type: ignore[attr-defined]
                    current(),
                    response.streaming_content,  # type: ignore[attr-defined]
                )
        return response


def _streamed_as(viewer: Viewer, chunks: Any) -> Iterator[Any]:
    iterator = iter(chunks)
    while True:
        with viewing(viewer):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


BATCH = 2000


@system()
def mark_restricted() -> int:
    """Mark what is stored as the annotations and the current selectors say
    (after GREENROOM_PERMISSIONS_FILE's `restricted` changed); returns how many
    entities are restricted now."""
    entity = apps.get_model("catalog", "Entity")
    flips: dict[bool, list[int]] = {True: [], False: []}
    rows = entity.every.only("pk", "processed", "owner_ref", "restricted")
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        now = is_restricted(row.processed, row.owner_ref)
        if now != row.restricted:
            flips[now].append(row.pk)
    for value, ids in flips.items():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            entity.every.filter(pk__in=chunk).update(restricted=value)
    return int(entity.every.filter(restricted=True).count())
