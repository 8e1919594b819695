"""The base of every API view: inputs are checked before any view code runs.

Path and query strings that PostgreSQL could not hold are refused with a 400 (the
body is checked by core/api/parsers.py). `api()` is how every API view is routed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api.errors import InputError
from core.api.parsers import unusable


class ApiView(APIView):
    """The base of every API view."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # sign-in, permission, throttle
        texts = [*kwargs.values()]
        for key, values in request.query_params.lists():
            texts += [key, *values]
        if any(unusable(text) for text in texts):
            raise InputError("the address holds a NUL character or invalid Unicode")


def api(view: type) -> object:
    """An API view for a URL pattern."""
    # DRF answers anonymous callers itself (401 in Backstage's error shape).
    return login_not_required(view.as_view())
