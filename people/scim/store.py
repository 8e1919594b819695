"""Writing what a SCIM client pushes: one function per operation, each in one
transaction, audited, and followed by a run of the provider once committed.

Every write is recorded as done by `scim:<provider>` through the API, with the
client's address; PATCH values are never recorded (Okta syncs passwords through
PATCH). A write that changes nothing (Okta renames a group to its own name with
every membership change) writes, records and runs nothing. After a commit the
provider's run is queued (`run_provider_task`), so the catalog follows within a
second; the run reads the whole directory, and one that finds it unchanged
writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from audit import log as audit
from audit.models import AuditEntry
from people.models import OrgProvider, ScimGroup, ScimUser
from people.scim import patch
from people.scim.errors import ScimError, invalid_value, not_found
from people.scim.resources import (
    GROUP_READ_ONLY,
    USER_READ_ONLY,
    GroupFields,
    UserFields,
    group_fields,
    user_fields,
    writable_group,
    writable_user,
)
from people.tasks import run_provider_task

USER_COLUMNS = (
    "user_name",
    "external_id",
    "active",
    "display_name",
    "given_name",
    "family_name",
    "email",
    "resource",
)


def parse_id(resource_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        return None


def find_user(provider: OrgProvider, resource_id: str) -> ScimUser:
    user: ScimUser = _find(ScimUser.objects.all(), provider, resource_id, "User")
    return user


def find_group(provider: OrgProvider, resource_id: str) -> ScimGroup:
    group: ScimGroup = _find(ScimGroup.objects.all(), provider, resource_id, "Group")
    return group


def _find(rows: Any, provider: OrgProvider, resource_id: str, kind: str) -> Any:
    """The provider's resource with this id; another provider's is not found,
    exactly as one that does not exist."""
    wanted = parse_id(resource_id)
    found = (
        None if wanted is None else rows.filter(provider=provider, pk=wanted).first()
    )
    if found is None:
        raise not_found(kind, resource_id)
    return found


@dataclass(slots=True)
class _Write:
    """What one request writes: whether it wrote anything, and from where."""

    address: str | None
    done: bool = False

    def record(self, action: str, target: str, **details: Any) -> None:
        audit.record(action, target, address=self.address, **details)
        self.done = True


@contextmanager
def _writing(provider: OrgProvider, address: str | None) -> Iterator[_Write]:
    """One transaction, recorded as the provider's client's, and the provider's
    run queued when it commits, if it wrote anything (a broker that is down is
    logged, not raised: the write is committed by then, and the next write
    queues a run again)."""
    write = _Write(address)
    with (
        transaction.atomic(),
        audit.acting(f"scim:{provider.name}", AuditEntry.Source.API),
    ):
        yield write
        if write.done:
            transaction.on_commit(partial(_follow, provider.pk), robust=True)


def _follow(provider_id: int) -> None:
    run_provider_task.delay(provider_id, "scim")


def _locked_user(provider: OrgProvider, resource_id: str) -> ScimUser:
    rows = ScimUser.objects.select_for_update()
    user: ScimUser = _find(rows, provider, resource_id, "User")
    return user


def _locked_group(provider: OrgProvider, resource_id: str) -> ScimGroup:
    rows = ScimGroup.objects.select_for_update()
    group: ScimGroup = _find(rows, provider, resource_id, "Group")
    return group


# Users -----------------------------------------------------------------------


def _check_unique(provider: OrgProvider, user_name: str, exclude: Any = None) -> None:
    taken = (
        ScimUser.objects.filter(provider=provider)
        .annotate(lowered=Lower("user_name"))
        .filter(lowered=user_name.lower())
        .exclude(pk=exclude)
        .exists()
    )
    if taken:
        raise ScimError(409, f"a user named {user_name!r} exists", "uniqueness")


def _save_user(user: ScimUser, **options: Any) -> None:
    try:
        with transaction.atomic():  # a savepoint: the race's loser gets a 409
            user.save(**options)
    except IntegrityError:
        raise ScimError(
            409, f"a user named {user.user_name!r} exists", "uniqueness"
        ) from None


def create_user(provider: OrgProvider, doc: Any, address: str | None) -> ScimUser:
    fields = user_fields(doc)
    with _writing(provider, address) as write:
        _check_unique(provider, fields.user_name)
        now = timezone.now()
        user = ScimUser(provider=provider, created_at=now, modified_at=now)
        for column, value in asdict(fields).items():
            setattr(user, column, value)
        _save_user(user, force_insert=True)
        write.record(
            "scim.user.create",
            f"{provider.name}: {user.user_name}",
            id=str(user.id),
            externalId=user.external_id,
            active=user.active,
        )
    return user


def replace_user(
    provider: OrgProvider, resource_id: str, doc: Any, address: str | None
) -> ScimUser:
    fields = user_fields(doc)
    with _writing(provider, address) as write:
        user = _locked_user(provider, resource_id)
        _update_user(provider, user, fields, "scim.user.replace", write)
    return user


def patch_user(
    provider: OrgProvider, resource_id: str, body: Any, address: str | None
) -> ScimUser:
    with _writing(provider, address) as write:
        user = _locked_user(provider, resource_id)
        doc = patch.apply(writable_user(user), body, USER_READ_ONLY)
        _update_user(provider, user, user_fields(doc), "scim.user.patch", write)
    return user


def _update_user(
    provider: OrgProvider,
    user: ScimUser,
    fields: UserFields,
    action: str,
    write: _Write,
) -> None:
    new = asdict(fields)
    changed = [
        column for column in USER_COLUMNS if getattr(user, column) != new[column]
    ]
    if not changed:
        return
    if "user_name" in changed:
        _check_unique(provider, fields.user_name, exclude=user.pk)
    for column in changed:
        setattr(user, column, new[column])
    user.modified_at = timezone.now()
    _save_user(user, update_fields=[*changed, "modified_at"])
    write.record(
        action,
        f"{provider.name}: {user.user_name}",
        id=str(user.id),
        changed=changed,
        active=user.active,
    )


def delete_user(provider: OrgProvider, resource_id: str, address: str | None) -> None:
    with _writing(provider, address) as write:
        user = _locked_user(provider, resource_id)
        write.record(
            "scim.user.delete",
            f"{provider.name}: {user.user_name}",
            id=str(user.id),
        )
        user.delete()


# Groups ----------------------------------------------------------------------


def _members(provider: OrgProvider, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ids, checked to be users of this provider (of no other)."""
    found = set(
        ScimUser.objects.filter(provider=provider, pk__in=ids).values_list(
            "pk", flat=True
        )
    )
    if missing := [str(member) for member in ids if member not in found]:
        raise invalid_value(f"no user with id {missing[0]!r}")
    return ids


def create_group(provider: OrgProvider, doc: Any, address: str | None) -> ScimGroup:
    fields = group_fields(doc)
    with _writing(provider, address) as write:
        members = _members(provider, fields.members or [])
        now = timezone.now()
        group = ScimGroup.objects.create(
            provider=provider,
            display_name=fields.display_name,
            external_id=fields.external_id,
            resource=fields.resource,
            created_at=now,
            modified_at=now,
        )
        group.members.add(*members)
        write.record(
            "scim.group.create",
            f"{provider.name}: {group.display_name}",
            id=str(group.id),
            externalId=group.external_id,
            members=len(members),
        )
    return group


def replace_group(
    provider: OrgProvider, resource_id: str, doc: Any, address: str | None
) -> ScimGroup:
    fields = group_fields(doc)
    with _writing(provider, address) as write:
        group = _locked_group(provider, resource_id)
        _update_group(provider, group, fields, "scim.group.replace", write)
    return group


def patch_group(
    provider: OrgProvider, resource_id: str, body: Any, address: str | None
) -> ScimGroup:
    with _writing(provider, address) as write:
        group = _locked_group(provider, resource_id)
        current = list(group.members.values_list("pk", flat=True))
        doc = patch.apply(writable_group(group, current), body, GROUP_READ_ONLY)
        fields = group_fields(doc)
        if fields.members is None:  # a remove of `members` leaves none
            fields = GroupFields(
                fields.display_name, fields.external_id, [], fields.resource
            )
        _update_group(provider, group, fields, "scim.group.patch", write)
    return group


def _update_group(
    provider: OrgProvider,
    group: ScimGroup,
    fields: GroupFields,
    action: str,
    write: _Write,
) -> None:
    changed = [
        column
        for column, value in (
            ("display_name", fields.display_name),
            ("external_id", fields.external_id),
            ("resource", fields.resource),
        )
        if getattr(group, column) != value
    ]
    added: list[uuid.UUID] = []
    removed: list[uuid.UUID] = []
    if fields.members is not None:  # a PUT without members keeps them
        wanted = _members(provider, fields.members)
        current = set(group.members.values_list("pk", flat=True))
        added = [member for member in wanted if member not in current]
        removed = [member for member in current if member not in set(wanted)]
    if not (changed or added or removed):
        return
    for column in changed:
        setattr(group, column, getattr(fields, column))
    group.modified_at = timezone.now()
    group.save(update_fields=[*changed, "modified_at"])
    if added:
        group.members.add(*added)
    if removed:
        group.members.remove(*removed)
    write.record(
        action,
        f"{provider.name}: {group.display_name}",
        id=str(group.id),
        changed=changed,
        added=len(added),
        removed=len(removed),
    )


def delete_group(provider: OrgProvider, resource_id: str, address: str | None) -> None:
    with _writing(provider, address) as write:
        group = _locked_group(provider, resource_id)
        write.record(
            "scim.group.delete",
            f"{provider.name}: {group.display_name}",
            id=str(group.id),
        )
        group.delete()
