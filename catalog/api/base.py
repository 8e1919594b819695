"""The base of every API view: inputs are checked before any view code runs.

Path and query strings that PostgreSQL could not hold are refused with a 400 (the
body is checked by catalog/api/parsers.py).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from catalog.api.errors import InputError
from catalog.api.parsers import unusable


class CatalogView(APIView):
    """The base of every API view."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # sign-in, permission, throttle
        texts = [*kwargs.values()]
        for key, values in request.query_params.lists():
            texts += [key, *values]
        if any(unusable(text) for text in texts):
            raise InputError("the address holds a NUL character or invalid Unicode")
