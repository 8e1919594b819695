"""Roles: viewers read everything, compliance staff also read the audit log,
editors also register and refresh, admins all.

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
from django.db import transaction

from audit import log as audit

VIEWER = "viewer"
COMPLIANCE = "compliance"
EDITOR = "editor"
ADMIN = "admin"
ROLES = (VIEWER, COMPLIANCE, EDITOR, ADMIN)

EDIT_PERMISSION = "catalog.change_location"
EDITOR_PERMISSIONS = ("add_location", "change_location", "delete_location")
AUDIT_PERMISSION = "audit.view_audit_log"


def can_edit(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.has_perm(EDIT_PERMISSION)


def can_audit(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Compliance staff and admins read the audit log."""
    return user.has_perm(AUDIT_PERMISSION)


def role_of(user: Any) -> str:
    if user.is_superuser:
        return ADMIN
    if can_edit(user):
        return EDITOR
    return COMPLIANCE if can_audit(user) else VIEWER


def ensure_groups() -> dict[str, Group]:
    """The role groups, created with their permissions if missing."""
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in ROLES[:3]}
    groups[EDITOR].permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog", codename__in=EDITOR_PERMISSIONS
        )
    )
    app, codename = AUDIT_PERMISSION.split(".")
    groups[COMPLIANCE].permissions.set(
        Permission.objects.filter(content_type__app_label=app, codename=codename)
    )
    return groups


def grant_role(user: Any, role: str) -> None:
    """Give `user` exactly this role."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    groups = ensure_groups()
    with transaction.atomic():
        user.is_superuser = user.is_staff = role == ADMIN
        user.save(update_fields=["is_superuser", "is_staff"])
        user.groups.remove(*groups.values())
        user.groups.add(groups[VIEWER if role == ADMIN else role])
        audit.record("role.change", user.get_username(), role=role)


class AuditorRequiredMixin(PermissionRequiredMixin):
    """The audit log and other compliance views: compliance staff and admins."""

    permission_required = AUDIT_PERMISSION
    raise_exception = True


class EditorRequiredMixin(PermissionRequiredMixin):
    """Views that change the catalog: editors and admins only, 403 for viewers."""

    permission_required = EDIT_PERMISSION
    raise_exception = True
