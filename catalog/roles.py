"""Roles: viewers read everything, editors also register and refresh, admins all.

Roles are Django groups holding model permissions, so the admin can grant them and
`user.has_perm` answers on every request; superusers are admins.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.models import (
    AbstractBaseUser,
    AnonymousUser,
    Group,
    Permission,
)

VIEWER = "viewer"
EDITOR = "editor"
ADMIN = "admin"
ROLES = (VIEWER, EDITOR, ADMIN)

EDIT_PERMISSION = "catalog.change_location"
EDITOR_PERMISSIONS = ("add_location", "change_location", "delete_location")


def can_edit(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.has_perm(EDIT_PERMISSION)


def role_of(user: Any) -> str:
    if user.is_superuser:
        return ADMIN
    return EDITOR if can_edit(user) else VIEWER


def ensure_groups() -> dict[str, Group]:
    """The viewer and editor groups, created with their permissions if missing."""
    viewer, _ = Group.objects.get_or_create(name=VIEWER)
    editor, _ = Group.objects.get_or_create(name=EDITOR)
    editor.permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog", codename__in=EDITOR_PERMISSIONS
        )
    )
    return {VIEWER: viewer, EDITOR: editor}


def grant_role(user: Any, role: str) -> None:
    """Give `user` exactly this role."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    groups = ensure_groups()
    user.is_superuser = user.is_staff = role == ADMIN
    user.save(update_fields=["is_superuser", "is_staff"])
    user.groups.remove(*groups.values())
    user.groups.add(groups[EDITOR if role == EDITOR else VIEWER])


class EditorRequiredMixin(PermissionRequiredMixin):
    """Views that change the catalog: editors and admins only, 403 for viewers."""

    permission_required = EDIT_PERMISSION
    raise_exception = True
