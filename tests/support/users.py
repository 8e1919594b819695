"""People with a role, signed in by the tests through the real password form or
`force_login`."""

from __future__ import annotations


def make_user(username: str, role: str):
    from django.contrib.auth import get_user_model

    from core.roles import grant_role

    user = get_user_model().objects.create_user(username, password="pw-" + username)
    grant_role(user, role)
    return user
