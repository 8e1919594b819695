"""Fills the provider's database; server.py runs it in a subprocess with the
provider's settings (Greenroom's test process has its own Django settings).

    python -m tests.support.oidc.provision migrate
    python -m tests.support.oidc.provision seed < plan.json

`seed` reads the users and the client application as JSON on standard input and
prints each user's `sub` (their primary key) as JSON: {"alice": "1", ...}.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import django


def seed(plan: dict[str, Any]) -> dict[str, str]:
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    from tests.support.oidc.claims import UNVERIFIED_EMAIL

    subjects = {}
    unverified, _ = Group.objects.get_or_create(name=UNVERIFIED_EMAIL)
    for person in plan["users"]:
        user = User.objects.create_user(
            person["username"],
            email=person["email"],
            password=person["password"],
            first_name=person["given_name"],
            last_name=person["family_name"],
        )
        if not person["email_verified"]:
            user.groups.add(unverified)
        subjects[user.username] = str(user.pk)
    client = plan["client"]
    Application.objects.create(
        name="Greenroom",
        client_id=client["client_id"],
        client_secret=client["client_secret"],  # stored hashed
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,  # no consent page: login, then straight back
    )
    return subjects


def main(argv: list[str]) -> None:
    django.setup()
    if argv == ["migrate"]:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    elif argv == ["seed"]:
        json.dump(seed(json.load(sys.stdin)), sys.stdout)
    else:
        raise SystemExit(f"usage: {__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
