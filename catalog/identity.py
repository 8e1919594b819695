"""Who a signed-in person is in the catalog, and which owners they act for.

`user_entity` finds the User entity that describes an account, as
GREENROOM_USER_ENTITY_MATCH says, in order: `email` (the account's address against
`spec.profile.email`, as Backstage's sign-in resolvers do) and `name` (the
account's user name against the User entity's name). Two User entities with one
address match nobody rather than the wrong person.

`owner_refs` are the owners whose entities the person may manage: themselves,
every group that lists them as a member, and every group below those (a
department's member acts for its teams), as catalog/ownership.py walks them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from catalog.models import Entity, Relation
from catalog.ownership import descendant_groups
from catalog.visibility import system

_OWNERS = "greenroom_owner_refs"


@system()  # who someone is does not depend on what they may see
def user_entity(user: Any) -> Entity | None:
    if not getattr(user, "is_authenticated", False):
        return None
    users = Entity.objects.filter(kind__iexact="user").only(
        "ref", "kind", "namespace", "name", "processed"
    )
    for method in settings.GREENROOM_USER_ENTITY_MATCH:
        if method == "email" and user.email:
            found = list(
                users.filter(
                    fields__key="spec.profile.email",
                    fields__value=user.email.lower()[:200],
                )[:2]
            )
        elif method == "name":
            found = sorted(
                users.filter(name=user.get_username().lower()),
                key=lambda e: (e.namespace != "default", e.ref),
            )[:1]
        else:
            continue
        if len(found) == 1:
            return found[0]
    return None


def teams_of(ref: str) -> list[str]:
    """The groups that list `ref` as a member (its `memberOf` relations)."""
    return sorted(
        Relation.objects.filter(source_ref=ref, type="memberOf")
        .values_list("target_ref", flat=True)
        .distinct()
    )


@system()
def owners_for(ref: str) -> frozenset[str]:
    """`ref`, its teams, and every group below them."""
    owners = {ref}
    for team in teams_of(ref):
        owners.add(team)
        owners.update(descendant_groups(team))
    return frozenset(owners)


def owner_refs(user: Any) -> frozenset[str]:
    """The owners `user` acts for; none when no User entity describes them.
    Kept on the user object for the request."""
    known: frozenset[str] | None = getattr(user, _OWNERS, None)
    if known is None:
        entity = user_entity(user)
        known = owners_for(entity.ref) if entity else frozenset()
        if getattr(user, "is_authenticated", False):
            setattr(user, _OWNERS, known)
    return known
