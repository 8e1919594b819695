"""Roles: viewers read everything, compliance staff also read the audit log,
editors also register and refresh, admins all; without a role, nothing.

Roles are Django groups holding model permissions, so the admin can grant them and
`user.has_perm` answers on every request; superusers are admins. People signed in
without a role (a name single sign-on sees for the first time, a user made in the
admin) get a 403 page until an admin gives them one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend, RemoteUserBackend
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.models import (
    AbstractBaseUser,
    AnonymousUser,
    Group,
    Permission,
)
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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


def has_role(user: Any) -> bool:
    """Whether this person holds any role (and so may read the catalog).

    Asked on every page and API call: the answer is kept on the user object for
    the request (the token check fills it in from its own query).
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    known: bool | None = getattr(user, _HAS_ROLE, None)
    if known is None:
        known = user.groups.filter(name__in=ROLES).exists()
        note_has_role(user, known)
    return bool(known)


def note_has_role(user: Any, value: bool) -> None:
    setattr(user, _HAS_ROLE, value)


_HAS_ROLE = "greenroom_has_role"


def _with_role_flag(users: Any) -> Any:
    """Users with `greenroom_has_role` annotated, answered in the user's own query."""
    roles = Group.objects.filter(user=OuterRef("pk"), name__in=ROLES)
    return users.annotate(**{_HAS_ROLE: Exists(roles)})


class RoleAwareGetUser:
    """For authentication backends: the signed-in user is loaded with whether they
    hold a role, so the check on every page and API call costs no query."""

    def get_user(self, user_id: Any) -> Any:
        users = _with_role_flag(get_user_model()._default_manager.all())
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class RoleAwareModelBackend(RoleAwareGetUser, ModelBackend):
    """Django's password backend, loading the role flag with the user."""


class RoleAwareRemoteUserBackend(RoleAwareGetUser, RemoteUserBackend):
    """Django's trusted-header backend (single sign-on), likewise."""


def role_of(user: Any) -> str:
    """The person's role, or "" for none."""
    if user.is_superuser:
        return ADMIN
    if can_edit(user):
        return EDITOR
    if can_audit(user):
        return COMPLIANCE
    return VIEWER if has_role(user) else ""


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
        note_has_role(user, True)
        audit.record("role.change", user.get_username(), role=role)


class AuditorRequiredMixin(PermissionRequiredMixin):
    """The audit log and other compliance views: compliance staff and admins."""

    permission_required = AUDIT_PERMISSION
    raise_exception = True


class EditorRequiredMixin(PermissionRequiredMixin):
    """Views that change the catalog: editors and admins only, 403 for viewers."""

    permission_required = EDIT_PERMISSION
    raise_exception = True


class RoleRequiredMiddleware:
    """After LoginRequiredMiddleware: signed in is not enough, a role is needed.

    Views open to anyone (sign-in, webhooks, the API, which checks roles in
    core/access.py) are left alone, and so is signing out.
    """

    open_views = frozenset({"logout"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not getattr(view, "login_required", True):
            return None
        user = request.user
        if not user.is_authenticated or has_role(user):
            return None  # anonymous people are sent to sign in first
        match = request.resolver_match
        if match is not None and match.url_name in self.open_views:
            return None
        return render(request, "registration/no_role.html", status=403)
