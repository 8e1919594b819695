"""Who may change what: rules as data, checked on the server for every write that
a location's owners may make, whether it comes from a page, the API or the admin.

The rules map each action to the subjects allowed to take it. The defaults:

    location.refresh:    [editor, owner]
    location.unregister: [editor, owner]
    entity.delete:       [editor, owner]
    webhook.manage:      [editor, owner]   (webhooks of one location; an
                                            organisation's webhooks: editors)
    entity.view_restricted: [owner]        (catalog/visibility.py)

A subject is a role (`viewer`, `compliance`, `editor`; admins may do everything)
or `owner`: a person the catalog describes (catalog/identity.py) who is a member
of a group owning one of the entities the location publishes (directly, or through
a parent group), or who owns one themselves. GREENROOM_PERMISSIONS_FILE names a
YAML file with the same mapping to change them, e.g. `location.unregister:
[editor]` to keep unregistering for editors. Registering stays the editors', as
does everything not listed here (the audit log is the compliance role's).

The same file may list which entities are restricted besides those annotated
`greenroom.io/restricted: "true"`: under `restricted`, selectors whose every key
(kind, namespace, name, type, lifecycle, system, tag, and owner as a full ref; a
value or a list, compared without case) matches, e.g.

    restricted:
      - {namespace: security}
      - {owner: group:default/red-team}
      - {kind: component, tag: [pci, confidential]}

Crawls mark what they read; `manage.py restrictions` marks what is stored after
the selectors change.

Every refusal answers 403 and is recorded in the audit log (`access.refused`, by
audit.log.AuditMiddleware, for every 403 the portal answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from catalog.identity import owner_refs
from catalog.models import Entity, Location
from core.roles import ADMIN, COMPLIANCE, EDITOR, VIEWER, role_of

OWNER = "owner"
SUBJECTS = frozenset({VIEWER, COMPLIANCE, EDITOR, OWNER})
DEFAULTS: dict[str, frozenset[str]] = {
    "location.refresh": frozenset({EDITOR, OWNER}),
    "location.unregister": frozenset({EDITOR, OWNER}),
    "entity.delete": frozenset({EDITOR, OWNER}),
    "webhook.manage": frozenset({EDITOR, OWNER}),
    "entity.view_restricted": frozenset({OWNER}),
}
RESTRICTED = "restricted"
SELECTOR_KEYS = frozenset(
    {"kind", "namespace", "name", "type", "lifecycle", "system", "owner", "tag"}
)
Selector = dict[str, frozenset[str]]


@dataclass(frozen=True)
class Policy:
    rules: dict[str, frozenset[str]]
    restricted: tuple[Selector, ...] = ()


DEFAULT_POLICY = Policy(DEFAULTS)
MAX_DEPTH = 10  # Location entities naming repositories that name repositories...


def rules() -> dict[str, frozenset[str]]:
    return policy().rules


def restricted_selectors() -> tuple[Selector, ...]:
    return policy().restricted


def policy() -> Policy:
    path = settings.GREENROOM_PERMISSIONS_FILE
    if not path:
        return DEFAULT_POLICY
    file = Path(path)
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as exc:
        raise ImproperlyConfigured(f"GREENROOM_PERMISSIONS_FILE: {exc}") from None
    return _load(str(file), stamp)


@lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> Policy:
    """The file's rules over the defaults; read again when the file changes."""
    try:
        value = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ImproperlyConfigured(f"GREENROOM_PERMISSIONS_FILE: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured("GREENROOM_PERMISSIONS_FILE: expected a mapping")
    found = dict(DEFAULTS)
    selectors = _selectors(value.pop(RESTRICTED, []))
    for action, subjects in value.items():
        if action not in DEFAULTS:
            raise ImproperlyConfigured(
                f"GREENROOM_PERMISSIONS_FILE: unknown action {action!r}; "
                f"known: {', '.join(sorted(DEFAULTS))}"
            )
        if not isinstance(subjects, list) or not set(subjects) <= SUBJECTS:
            raise ImproperlyConfigured(
                f"GREENROOM_PERMISSIONS_FILE: {action} takes a list of "
                f"{', '.join(sorted(SUBJECTS))}"
            )
        found[action] = frozenset(subjects)
    return Policy(found, selectors)


def _selectors(value: Any) -> tuple[Selector, ...]:
    problem = ImproperlyConfigured(
        "GREENROOM_PERMISSIONS_FILE: restricted takes a list of selectors, each a "
        f"mapping of {', '.join(sorted(SELECTOR_KEYS))} to a value or a list"
    )
    if not isinstance(value, list):
        raise problem
    selectors = []
    for item in value:
        if not isinstance(item, dict) or not item or not set(item) <= SELECTOR_KEYS:
            raise problem
        selector = {}
        for key, wanted in item.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or not all(isinstance(v, str) and v for v in values):
                raise problem
            selector[key] = frozenset(v.lower() for v in values)
        selectors.append(selector)
    return tuple(selectors)


def restricted_by_rule(processed: dict[str, Any], owner_ref: str) -> bool:
    """Whether a `restricted` selector matches this (processed) entity; `owner`
    is compared with its owner's full ref (`group:default/security`)."""
    selectors = restricted_selectors()
    if not selectors:
        return False
    facts = _facts(processed) | {"owner": frozenset({owner_ref.lower()})}
    return any(
        all(facts[key] & wanted for key, wanted in selector.items())
        for selector in selectors
    )


def _facts(processed: dict[str, Any]) -> dict[str, frozenset[str]]:
    metadata = processed.get("metadata") or {}
    spec = processed.get("spec") or {}

    def text(value: Any) -> frozenset[str]:
        return frozenset({value.lower()}) if isinstance(value, str) else frozenset()

    tags = metadata.get("tags")
    tags = tags if isinstance(tags, list) else []
    return {
        "kind": text(processed.get("kind")),
        "namespace": text(metadata.get("namespace") or "default"),
        "name": text(metadata.get("name")),
        "type": text(spec.get("type")),
        "lifecycle": text(spec.get("lifecycle")),
        "system": text(spec.get("system")),
        "tag": frozenset(
            t.lower()
            for t in (tags if isinstance(tags, list) else [])
            if isinstance(t, str)
        ),
    }


def allowed(user: Any, action: str, location: Location | None = None) -> bool:
    """Whether `user` may take `action` (on `location`, for owners)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    role = role_of(user)
    if not role:
        return False
    if role == ADMIN:
        return True
    subjects = rules()[action]
    if role in subjects:
        return True
    return OWNER in subjects and location is not None and owns(user, location)


def owns(user: Any, location: Location) -> bool:
    """Whether the location (or one its Location entities led to) publishes an
    entity that one of the owners `user` acts for owns."""
    owners = owner_refs(user)
    if not owners:
        return False
    ids, level = {location.pk}, [location.pk]
    for _ in range(MAX_DEPTH):
        level = list(
            Location.every.filter(parent_id__in=level)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if not level:
            break
        ids.update(level)
    return Entity.objects.filter(location_id__in=ids, owner_ref__in=owners).exists()


def require(user: Any, action: str, location: Location | None = None) -> None:
    """Raise PermissionDenied (a 403, recorded in the audit log) unless allowed."""
    if not allowed(user, action, location):
        who = " or ".join(sorted(rules()[action] - {OWNER}) or ["an admin"])
        owners = (
            " or a member of a team owning what it publishes"
            if (OWNER in rules()[action] and location is not None)
            else ""
        )
        raise PermissionDenied(f"{action} needs the role {who}{owners}")
