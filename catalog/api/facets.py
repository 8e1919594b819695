"""Value counts for /entity-facets, kept until the catalog's content changes.

Counting reads every row of a field (10,000 rows at 10,000 entities), yet the
answer changes only when an entity is added, changed or removed, and each of
those writes an EntityRevision in the same transaction. Answers are therefore
cached under the newest revision's id: the first request after a change counts
again, the others read the cache (shared by the workers when it is Redis).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache

from catalog.api.entities import matching
from catalog.api.predicates import predicate_q
from catalog.filters import FilterError, facets
from catalog.models import EntityRevision
from core.api.errors import InputError

TIMEOUT = 600


def counted(
    fields: list[str], filters: list[str], predicate: Any = None
) -> dict[str, list[dict[str, Any]]]:
    # Each facet is a grouped count over the catalog: a request naming
    # thousands would hold a worker for minutes.
    most = settings.GREENROOM_API_MAX_FACETS
    if len(fields) > most:
        raise InputError(f"at most {most} facets can be counted at once")
    newest = EntityRevision.objects.order_by("-id").values_list("id", flat=True)
    version = newest.first() or 0
    request = json.dumps([version, fields, filters, predicate], sort_keys=True)
    key = "facets:" + hashlib.sha256(request.encode()).hexdigest()
    found: dict[str, list[dict[str, Any]]] | None = cache.get(key)
    if found is None:
        entities = matching(filters)
        if predicate is not None:
            entities = entities.filter(predicate_q(predicate))
        try:
            found = facets(entities, fields)
        except FilterError as exc:
            raise InputError(str(exc)) from None
        cache.set(key, found, TIMEOUT)
    return found
