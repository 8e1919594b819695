from __future__ import annotations

import argparse
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.tokens import TokenRefused, issue_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only once)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--write",
            action="store_true",
            help="Read-write: what the owner's role or teams' ownership allows.",
        )
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        try:
            _, text = issue_token(user, options["name"], write=options["write"])
        except TokenRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(text)
