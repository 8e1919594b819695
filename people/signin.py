"""Sign-in with OpenID Connect (mozilla-django-oidc), beside local accounts and the
trusted-proxy header.

A person is linked to their Django account by the provider's issuer and `sub`
(people.models.OidcIdentity), never by e-mail address alone: an address that an
identity provider lets people choose would otherwise open someone else's account,
an administrator's included. The first sign-in creates the account, named after
`preferred_username` (or the address's local part) with a suffix when that name is
taken, and gives it GREENROOM_OIDC_DEFAULT_ROLE. Later sign-ins refresh the name
and address from the claims.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from audit import log as audit
from core.roles import RoleAwareGetUser, grant_role
from people.models import OidcIdentity

USERNAME = re.compile(r"[^\w.@+-]")
MAX_USERNAME = 150


class OidcBackend(RoleAwareGetUser, OIDCAuthenticationBackend):  # type: ignore[misc]
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """A subject, and an address unless the provider says it is unverified."""
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            return False
        return claims.get("email_verified") is not False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[Any]:
        return get_user_model()._default_manager.filter(
            oidc_identity__issuer=settings.GREENROOM_OIDC_ISSUER,
            oidc_identity__subject=claims["sub"],
        )

    def create_user(self, claims: dict[str, Any]) -> Any:
        with transaction.atomic():
            user = get_user_model()._default_manager.create_user(
                free_username(claims), **_details(claims)
            )
            OidcIdentity.objects.create(
                user=user, issuer=settings.GREENROOM_OIDC_ISSUER, subject=claims["sub"]
            )
            if settings.GREENROOM_OIDC_DEFAULT_ROLE:
                grant_role(user, settings.GREENROOM_OIDC_DEFAULT_ROLE)
            audit.record("user.create", user.get_username(), via="oidc")
        return user

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        details = _details(claims)
        if any(getattr(user, field) != value for field, value in details.items()):
            for field, value in details.items():
                setattr(user, field, value)
            user.save(update_fields=list(details))
        return user

    def get_or_create_user(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().get_or_create_user(*args, **kwargs)
        except SuspiciousOperation:
            return None  # refused claims: the sign-in fails, nothing is created


def _details(claims: dict[str, Any]) -> dict[str, str]:
    def text(key: str, limit: int) -> str:
        value = claims.get(key)
        return value.strip()[:limit] if isinstance(value, str) else ""

    return {
        "email": text("email", 254),
        "first_name": text("given_name", 150) or text("name", 150),
        "last_name": text("family_name", 150),
    }


def free_username(claims: dict[str, Any]) -> str:
    """`preferred_username`, else the address's local part, else the subject,
    made a valid Django username and suffixed until no account holds it."""
    wanted = ""
    for key in ("preferred_username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            wanted = value.strip().split("@")[0] if key == "email" else value.strip()
            break
    base = USERNAME.sub("-", wanted)[: MAX_USERNAME - 8] or "oidc-user"
    users = get_user_model()._default_manager
    name, suffix = base, 1
    while users.filter(username__iexact=name).exists():
        suffix += 1
        name = f"{base}-{suffix}"
    return name


@method_decorator(login_not_required, name="dispatch")
class AuthenticateView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Off (404) unless OpenID Connect is configured."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not settings.GREENROOM_OIDC:
            raise Http404("OpenID Connect sign-in is not configured")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class CallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """The provider's answer; a refusal goes back to the sign-in page, saying so."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not settings.GREENROOM_OIDC:
            raise Http404("OpenID Connect sign-in is not configured")
        return super().dispatch(request, *args, **kwargs)

    @property
    def failure_url(self) -> str:
        return f"{resolve_url(settings.LOGIN_URL)}?sso=failed"
