"""Schemathesis checks for tests/portal/api/test_schema_fuzz_roles.py (loaded through
SCHEMATHESIS_HOOKS by the `st` process): what each caller may get.

GREENROOM_ST_CALLER says who calls: "anonymous" (no token: every route 401) or
"reader" (a read token: every write 403). GREENROOM_ST_READ_POSTS lists the
operations that read through POST (the views' `reads_only`). GREENROOM_ST_SECRET
is a word only a restricted entity holds: no answer may show it, unless the
request itself said it.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _reached_a_view(response: Any) -> bool:
    # A generated path Django cannot route is its plain 404, before any view:
    # it says nothing about access.
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    return not (response.status_code == 404 and "json" not in content_type)


@schemathesis.check
def access_by_role(ctx: Any, response: Any, case: Any) -> bool | None:
    caller = os.environ.get("GREENROOM_ST_CALLER", "")
    if not _reached_a_view(response):
        return None
    status = response.status_code
    if caller == "anonymous" and status != 401:
        raise AssertionError(f"{case.method} {case.path}: {status} without a token")
    read_posts = set(os.environ.get("GREENROOM_ST_READ_POSTS", "").split(","))
    writes = case.method.upper() in WRITES and case.operation.label not in read_posts
    if caller == "reader" and writes and status != 403:
        raise AssertionError(f"{case.method} {case.path}: {status} with a read token")
    return True


@schemathesis.check
def restricted_stays_hidden(ctx: Any, response: Any, case: Any) -> bool | None:
    secret = os.environ.get("GREENROOM_ST_SECRET", "")
    if not secret:
        return None
    asked = repr((case.path_parameters, case.query, case.body)).lower()
    if secret in response.text.lower() and secret not in asked:
        raise AssertionError(f"{case.method} {case.path}: shows {secret}")
    return True
