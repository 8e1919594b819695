"""manage.py hosts add|list|check|rotate|remove: connections to git hosts."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.views.decorators.debug import sensitive_variables

from discovery import connections
from discovery.models import HostConnection

CREDENTIAL_HELP = (
    "The token is read from the file given (- for standard input) or from the "
    "environment variable given, never from the command line (which others see)."
)


class Command(BaseCommand):
    help = "Connections to git hosts: add, list, check, rotate, remove."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        add = verbs.add_parser("add", help="Add a connection. " + CREDENTIAL_HELP)
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=HostConnection.Kind.values)
        add.add_argument("--api-url", default="", help="Default: the kind's cloud API.")
        add.add_argument(
            "--git-url", default="", help="Git URLs under it get the credential."
        )
        add.add_argument("--username", default="")
        _credential_arguments(add)
        listing = verbs.add_parser("list", help="The connections, without secrets.")
        listing.add_argument("--check", action="store_true", help="Check each too.")
        check = verbs.add_parser(
            "check", help="Call the host once with the credential."
        )
        check.add_argument("names", nargs="*", help="Default: every connection.")
        rotate = verbs.add_parser("rotate", help="Replace the credential.")
        rotate.add_argument("name")
        _credential_arguments(rotate)
        remove = verbs.add_parser("remove", help="Remove a connection.")
        remove.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            getattr(self, f"_{verb}")(options)
        except connections.HostConnectionError as exc:
            raise CommandError(str(exc)) from None

    @sensitive_variables("secret")
    def _add(self, options: dict[str, Any]) -> None:
        secret = _credential(options)
        connection = connections.add_connection(
            options["name"],
            options["kind"],
            api_url=options["api_url"],
            git_url=options["git_url"],
            username=options["username"],
            **secret,
        )
        self.stdout.write(
            f"added {connection.name}: API {connection.api_url}, "
            f"credential for git URLs under {connection.git_url}"
        )

    def _list(self, options: dict[str, Any]) -> None:
        for connection in HostConnection.objects.all():
            if options["check"]:
                connections.check_connection(connection)
            credential = "token"
            if connection.is_github_app:
                credential = f"GitHub App {connection.app_id}"
            self.stdout.write(
                f"{connection.name}\t{connection.kind}\t{connection.api_url}\t"
                f"{connection.git_url}\t{credential}\t"
                f"{connection.check_result or 'not checked'}"
            )

    def _check(self, options: dict[str, Any]) -> None:
        found = _connections(options["names"])
        failed = 0
        for connection in found:
            result = connections.check_connection(connection)
            failed += not result.ok
            self.stdout.write(f"{connection.name}: {result.message}")
        if failed:
            raise CommandError(f"{failed} of {len(found)} connections failed the check")

    @sensitive_variables("secret")
    def _rotate(self, options: dict[str, Any]) -> None:
        connection = _connections([options["name"]])[0]
        secret = _credential(options)
        connections.rotate_credential(connection, **secret)
        self.stdout.write(f"rotated the credential of {connection.name}")

    def _remove(self, options: dict[str, Any]) -> None:
        connection = _connections([options["name"]])[0]
        connections.remove_connection(connection)
        self.stdout.write(f"removed {connection.name}")


def _credential_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token-file", help="A file holding the token; - for stdin.")
    parser.add_argument("--token-env", help="An environment variable holding it.")
    parser.add_argument("--app-id", type=int, help="A GitHub App's id.")
    parser.add_argument("--installation-id", type=int)
    parser.add_argument(
        "--private-key-file", help="The GitHub App's private key (PEM)."
    )


@sensitive_variables()
def _credential(options: dict[str, Any]) -> dict[str, Any]:
    if options["app_id"] is not None or options["private_key_file"]:
        if not options["private_key_file"]:
            raise CommandError("a GitHub App needs --private-key-file")
        return {
            "app_id": options["app_id"],
            "installation_id": options["installation_id"],
            "private_key": _read(options["private_key_file"]),
        }
    if options["token_file"]:
        return {"token": _read(options["token_file"])}
    if options["token_env"]:
        value = os.environ.get(options["token_env"])
        if value is None:
            raise CommandError(f"the environment has no {options['token_env']}")
        return {"token": value}
    raise CommandError("give --token-file, --token-env, or a GitHub App's key")


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {name}: {exc.__class__.__name__}") from None


def _connections(names: list[str]) -> list[HostConnection]:
    found = list(
        HostConnection.objects.filter(name__in=names)
        if names
        else HostConnection.objects.all()
    )
    missing = set(names) - {c.name for c in found}
    if missing:
        raise CommandError(f"no connection named {', '.join(sorted(missing))}")
    return found
