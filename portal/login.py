"""Signing in with a password, throttled per account and per client address.

After GREENROOM_LOGIN_FAILURES failed attempts at one account, or
GREENROOM_LOGIN_ADDRESS_FAILURES from one address, within
GREENROOM_LOGIN_WINDOW seconds, further attempts are refused with a 429 before
the password is checked, so guessing costs the guesser the window each time.
Counts live in the cache (shared by every worker when CACHE_URL is Redis).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse

from audit import log as audit

THROTTLED = "throttled"


def _keys(request: HttpRequest | None, username: str) -> dict[str, tuple[str, int]]:
    """Cache key and limit per counted thing: the account and the address."""
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    address = (audit.client_address(request) if request else None) or "unknown"
    return {
        "account": (
            f"login-failures:account:{account}",
            settings.GREENROOM_LOGIN_FAILURES,
        ),
        "address": (
            f"login-failures:address:{address}",
            settings.GREENROOM_LOGIN_ADDRESS_FAILURES,
        ),
    }


def throttled(keys: dict[str, tuple[str, int]]) -> bool:
    counts = cache.get_many([key for key, _ in keys.values()])
    return any(counts.get(key, 0) >= limit for key, limit in keys.values())


def note_failure(keys: dict[str, tuple[str, int]], username: str) -> None:
    window = settings.GREENROOM_LOGIN_WINDOW
    for what, (key, limit) in keys.items():
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        if count == limit:
            audit.record("login.throttled", username[:150], by=what)


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        THROTTLED: "Too many failed sign-ins. Wait a while and try again.",
    }

    @property
    def throttled(self) -> bool:
        return self.is_bound and self.has_error(NON_FIELD_ERRORS, THROTTLED)

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        keys = _keys(self.request, username)
        if throttled(keys):
            raise ValidationError(self.error_messages[THROTTLED], code=THROTTLED)
        try:
            cleaned: dict[str, Any] = super().clean()
        except ValidationError:
            note_failure(keys, username)
            raise
        cache.delete(keys["account"][0])  # the address keeps its count
        return cleaned


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # OpenID Connect beside the form when configured (people/signin.py).
        return super().get_context_data(**kwargs) | {
            "oidc": settings.GREENROOM_OIDC,
            "oidc_name": settings.GREENROOM_OIDC_NAME,
            "oidc_failed": self.request.GET.get("sso") == "failed",
        }

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, THROTTLED):
            response.status_code = 429
            response["Retry-After"] = str(settings.GREENROOM_LOGIN_WINDOW)
        return response
