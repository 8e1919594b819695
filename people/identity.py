"""Who a signed-in person is in the catalog (catalog/identity.py finds the User
entity that describes them), shown on every page. The answer is kept in the
session (one query per sign-in, not per page); a person not found is looked for
again after RETRY seconds, since a provider may add them later.
"""

from __future__ import annotations

import time
from typing import Any

from catalog.identity import user_entity
from catalog.models import Entity

SESSION_KEY = "catalog_user"
RETRY = 60


def catalog_user(request: Any) -> dict[str, str] | None:
    """`{"ref", "title"}` of the signed-in person's User entity, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return None
    kept = request.session.get(SESSION_KEY)
    if _fresh(kept, user.pk):
        return {"ref": kept["ref"], "title": kept["title"]} if kept["ref"] else None
    return resolve(request, user)


def on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """`user_logged_in`: found once at sign-in, so pages find it in the session."""
    if request is not None and hasattr(request, "session"):
        resolve(request, user)


def resolve(request: Any, user: Any) -> dict[str, str] | None:
    entity = user_entity(user)
    ref = entity.ref if entity else ""
    title = _title(entity) if entity else ""
    request.session[SESSION_KEY] = {
        "user": user.pk,
        "ref": ref,
        "title": title,
        "at": time.time(),
    }
    return {"ref": ref, "title": title} if ref else None


def _fresh(kept: Any, user_id: Any) -> bool:
    """Kept for this account, and found, or not found less than RETRY ago."""
    if not isinstance(kept, dict) or kept.get("user") != user_id:
        return False
    return bool(kept.get("ref")) or time.time() - kept.get("at", 0) < RETRY


def _title(entity: Entity) -> str:
    spec = entity.processed.get("spec") or {}
    profile = spec.get("profile") if isinstance(spec, dict) else None
    name = profile.get("displayName") if isinstance(profile, dict) else None
    metadata = entity.processed.get("metadata") or {}
    title = metadata.get("title") if isinstance(metadata, dict) else None
    for value in (name, title):
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return entity.name


def context(request: Any) -> dict[str, Any]:
    """Template context processor: `catalog_user` on every page."""
    return {"catalog_user": catalog_user(request)}
