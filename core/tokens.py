"""API tokens: issuing (shown once), checking and revoking; only digests are kept.

The tokens' table is the catalog's (`catalog.ApiToken`, where its migrations are):
it is named by its label, as Django's auth names the user model, so that the
plumbing below every app imports none of them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit import log as audit
from core.roles import ROLES, has_role, note_has_role

PREFIX = "gr_"


def token_model() -> Any:
    """The `catalog.ApiToken` model."""
    return apps.get_model("catalog", "ApiToken")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRefused(ValueError):
    """A token this person may not have; the message says why."""


def issue_token(user: Any, name: str, *, write: bool = False) -> tuple[Any, str]:
    """A new token for `user`; the returned text is the only copy there will be.

    Anyone with a role may have a read-write token: each write is checked against
    its owner's role and the ownership rules when it is made (a viewer's token
    refreshes only what that viewer's teams own: catalog/permissions.py)."""
    if write and not has_role(user):
        raise TokenRefused(
            f"{user.get_username()} has no role: ask an admin for access first"
        )
    text = PREFIX + secrets.token_urlsafe(32)
    model = token_model()
    with transaction.atomic():
        token = model.objects.create(
            user=user,
            name=name[:100] or "token",
            scope=model.Scope.WRITE if write else model.Scope.READ,
            prefix=text[:10],
            digest=digest(text),
        )
        audit.record(
            "token.create",
            f"{user.get_username()}: {token.name}",
            prefix=token.prefix,
            scope=token.scope,
        )
    return token, text


def find_token(text: str) -> Any:
    """The live token (an ApiToken) with this text, or None; notes when it was
    last used.

    Every API call starts here, so this is one plain SQL statement (the ORM's
    query building cost three times the query itself); the token and its user are
    read-only instances holding just what access checks use.
    """
    if not text.startswith(PREFIX) or len(text) > 100:
        return None
    user_model, model = get_user_model(), token_model()
    memberships = user_model.groups.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.scope, t.last_used_at, u.id, u.username, u.is_superuser, "
            f"EXISTS (SELECT 1 FROM {memberships} m "
            f"JOIN {Group._meta.db_table} g ON g.id = m.group_id "
            f"WHERE m.user_id = u.id AND g.name IN ({', '.join(['%s'] * len(ROLES))})) "
            f"FROM {model._meta.db_table} t "
            f"JOIN {user_model._meta.db_table} u ON u.id = t.user_id "
            "WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active",
            [*ROLES, digest(text)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, scope, last_used_at, user_id, username, is_superuser, in_role = row
    # Raw SQL skips the fields' converters: SQLite hands back naive datetimes
    # (UTC, as stored) and integers for booleans.
    last_used_at = _aware(last_used_at)
    user = user_model(
        id=user_id, username=username, is_superuser=bool(is_superuser), is_active=True
    )
    note_has_role(user, bool(in_role))  # ApiAccess asks on every call
    token = model(id=token_id, scope=scope, last_used_at=last_used_at, user=user)
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        model.objects.filter(pk=token_id).update(last_used_at=now)
    return token


def _aware(value: datetime | str | None) -> datetime | None:
    """A timestamp read by raw SQL as Django would return it: aware, in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def revoke_token(user: Any, token_id: int) -> bool:
    with transaction.atomic():
        live = token_model().objects.filter(pk=token_id, user=user, revoked_at=None)
        token = live.first()
        if token is None or not live.update(revoked_at=timezone.now()):
            return False
        audit.record(
            "token.revoke", f"{user.get_username()}: {token.name}", prefix=token.prefix
        )
    return True
