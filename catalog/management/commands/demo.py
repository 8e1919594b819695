from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from catalog.locations import RegistrationError, register_many, validate_target
from catalog.models import Entity, Location
from core.roles import ADMIN, EDITOR, VIEWER, grant_role
from demo import ORG_REPO, build_demo_org


class Command(BaseCommand):
    help = "Build, register and crawl the demo organisation; create a login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.GREENROOM_ALLOW_LOCAL_REPOS:
            raise CommandError(
                "the demo repositories are local: "
                "run with GREENROOM_ALLOW_LOCAL_REPOS=1"
            )
        root = settings.DATA_DIR / "demo-repos"
        repos = build_demo_org(root)
        self.stdout.write(f"{len(repos)} demo repositories in {root}")
        try:
            targets = [validate_target(f"file://{path}") for path in repos]
        except RegistrationError as exc:
            raise CommandError(str(exc)) from None
        # The demo's organisation repository may publish its groups and users, as
        # an administrator would allow it (catalog/ingest/kind_rules.py): flagged
        # in the same transaction, before the crawls queued on commit run.
        with transaction.atomic():
            created = register_many(targets)
            org = [
                t.url for t, p in zip(targets, repos, strict=True) if p.name == ORG_REPO
            ]
            Location.objects.filter(url__in=org).update(allow_org_kinds=True)
        self.stdout.write(f"registered {len(created)} new locations")
        call_command("crawl", "--all", stdout=self.stdout, stderr=self.stderr)
        counts = Entity.objects.values("kind").annotate(n=Count("id")).order_by("kind")
        self.stdout.write(
            "catalog: " + ", ".join(f"{row['n']} {row['kind']}" for row in counts)
        )
        self._logins(options["username"])

    def _logins(self, admin: str) -> None:
        """One login per role, each with a fresh random password, and each a person
        of the demo organisation (by address), so that their home page is theirs:
        the viewer is on the checkout team, whose locations they may refresh."""
        people = (
            (admin, ADMIN, "amara.okafor@acme.example"),
            ("editor", EDITOR, "priya.raman@acme.example"),
            ("viewer", VIEWER, "lena.fischer@acme.example"),
        )
        for username, role, email in people:
            password = secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.set_password(password)
            user.email = email
            user.save()
            grant_role(user, role)
            self.stdout.write(
                self.style.SUCCESS(f"{role} login: {username} / {password}")
            )
        self.stdout.write("portal: http://127.0.0.1:8000/")
