"""Telling other apps which entities changed (GREENROOM_ON_ENTITIES_CHANGED).

Called inside the transaction that changed them, with the refs of entities
added, changed or removed, and of those whose relations changed; and, as
`owners`, the groups and users that arrived, left or whose members changed,
since what they own may be judged differently now. Each hook is a function of
(refs, owners); hooks that queue work do so with `transaction.on_commit`, so
workers see the new rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.module_loading import import_string


def entities_changed(refs: Iterable[str], *, owners: Iterable[str] = ()) -> None:
    changed, moved = sorted(set(refs)), sorted(set(owners))
    if not changed and not moved:
        return
    for name in settings.GREENROOM_ON_ENTITIES_CHANGED:
        import_string(name)(changed, moved)
