from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.roles import ROLES, VIEWER, grant_role


class Command(BaseCommand):
    help = "Create a user (or change an existing one's role): viewer, editor or admin."
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, default=VIEWER)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        user, created = users.objects.get_or_create(
            username=options["username"], defaults={"email": options["email"]}
        )
        if created:
            stdin = options.get("stdin", sys.stdin)
            password = self._password(options["password_stdin"], stdin)
            try:
                validate_password(password, user)
            except ValidationError as exc:
                user.delete()
                raise CommandError(" ".join(exc.messages)) from None
            user.set_password(password)
            user.save()
        grant_role(user, options["role"])
        verb = "created" if created else "updated"
        self.stdout.write(f"{verb} {user.get_username()} as {options['role']}")

    def _password(self, from_stdin: bool, stdin: Any) -> str:
        if from_stdin:
            return str(stdin.readline()).rstrip("\n")
        return getpass.getpass("Password: ")
