"""API tokens: issuing (shown once), checking and revoking; only digests are kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit import log as audit
from catalog.models import ApiToken
from catalog.roles import ROLES, can_edit, note_has_role

PREFIX = "gr_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRefused(ValueError):
    """A token this person may not have; the message says why."""


def issue_token(user: Any, name: str, *, write: bool = False) -> tuple[ApiToken, str]:
    """A new token for `user`; the returned text is the only copy there will be."""
    if write and not can_edit(user):
        # A write token for a viewer would be refused on every write anyway,
        # and would start writing the day its owner became an editor.
        raise TokenRefused(
            f"{user.get_username()} cannot write: a read-write token needs the "
            "editor or admin role"
        )
    text = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100] or "token",
            scope=ApiToken.Scope.WRITE if write else ApiToken.Scope.READ,
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


def find_token(text: str) -> ApiToken | None:
    """The live token with this text, or None; notes when it was last used.

    Every API call starts here, so this is one plain SQL statement (the ORM's
    query building cost three times the query itself); the token and its user are
    read-only instances holding just what access checks use.
    """
    if not text.startswith(PREFIX) or len(text) > 100:
        return None
    user_model = get_user_model()
    memberships = user_model.groups.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.scope, t.last_used_at, u.id, u.username, u.is_superuser, "
            f"EXISTS (SELECT 1 FROM {memberships} m "
            f"JOIN {Group._meta.db_table} g ON g.id = m.group_id "
            f"WHERE m.user_id = u.id AND g.name IN ({', '.join(['%s'] * len(ROLES))})) "
            f"FROM {ApiToken._meta.db_table} t "
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
    note_has_role(user, bool(in_role))  # CatalogAccess asks on every call
    token = ApiToken(id=token_id, scope=scope, last_used_at=last_used_at, user=user)
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
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
        live = ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None)
        token = live.first()
        if token is None or not live.update(revoked_at=timezone.now()):
            return False
        audit.record(
            "token.revoke", f"{user.get_username()}: {token.name}", prefix=token.prefix
        )
    return True
