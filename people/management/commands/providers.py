"""manage.py providers add|list|run|rotate|scim-token|remove: where people and teams
come from."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from discovery.models import HostConnection
from people import providers
from people.models import OrgProvider, ProviderRun
from people.runs import run_provider
from people.scim.tokens import issue_token


class Command(BaseCommand):
    help = (
        "Organisation providers (GitHub organisations, GitLab groups, LDAP, SCIM): "
        "add, list, run now, rotate a secret, issue a SCIM token, remove. A "
        "secret (an LDAP bind password) is read from --secret-file (- for "
        "standard input) or --secret-env, never from the command line. A SCIM "
        "provider's token is made by Greenroom and printed once (add, scim-token)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        add = verbs.add_parser("add", help="Add a provider.")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=OrgProvider.Kind.values)
        add.add_argument("--host", help="GitHub, GitLab: a host connection's name.")
        add.add_argument(
            "--scope",
            default="",
            help="GitHub: the organisation; GitLab: the group's path; "
            "LDAP: the server's ldap:// or ldaps:// URL.",
        )
        add.add_argument(
            "--settings-file",
            help="LDAP: a JSON file of settings (base DNs, filters, attribute maps).",
        )
        add.add_argument("--namespace", default="default")
        add.add_argument("--interval", type=int, default=3600, help="Seconds.")
        _secret_arguments(add)
        verbs.add_parser("list", help="The providers and their last runs.")
        run = verbs.add_parser("run", help="Run now and wait for the end.")
        run.add_argument("names", nargs="*", help="Default: every enabled provider.")
        rotate = verbs.add_parser("rotate", help="Replace a provider's secret.")
        rotate.add_argument("name")
        _secret_arguments(rotate)
        token = verbs.add_parser(
            "scim-token",
            help="Issue a new bearer token for a SCIM provider, printed once; "
            "the last one stops working.",
        )
        token.add_argument("name")
        remove = verbs.add_parser(
            "remove", help="Remove a provider and every entity it gave."
        )
        remove.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["verb"].replace("-", "_"))(options)

    def _add(self, options: dict[str, Any]) -> None:
        connection = None
        if options["host"]:
            connection = HostConnection.objects.filter(name=options["host"]).first()
            if connection is None:
                raise CommandError(f"no host connection named {options['host']!r}")
        settings = _settings(options["settings_file"])
        try:
            provider = providers.create_provider(
                name=options["name"],
                kind=options["kind"],
                connection=connection,
                scope=options["scope"],
                settings=settings,
                secret=_secret(options, required=False),
                namespace=options["namespace"],
                interval=options["interval"],
            )
        except providers.ProviderError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"added {provider}: {provider.location.managed_by}")
        if provider.kind == OrgProvider.Kind.SCIM:
            self._print_token(provider, issue_token(provider))

    def _list(self, options: dict[str, Any]) -> None:
        for provider in OrgProvider.objects.select_related("location"):
            run = provider.runs.first()
            last = describe(run) if run else "never run"
            self.stdout.write(
                f"{provider.name}\t{provider.kind}\t{provider.location.managed_by}"
                f"\t{last}"
            )

    def _run(self, options: dict[str, Any]) -> None:
        wanted = OrgProvider.objects.all()
        names = options["names"]
        found = list(
            wanted.filter(name__in=names) if names else wanted.filter(enabled=True)
        )
        if missing := set(names) - {p.name for p in found}:
            raise CommandError(f"no provider to run named {', '.join(sorted(missing))}")
        failed = 0
        for provider in found:
            run = run_provider(provider.pk, trigger="manual", force=True)
            if run is None:
                self.stdout.write(f"{provider.name}: another run holds it")
                failed += 1
                continue
            self.stdout.write(f"{provider.name}: {describe(run)}")
            failed += run.status == ProviderRun.Status.FAILED
        if failed:
            raise CommandError(f"{failed} of {len(found)} providers did not complete")

    def _rotate(self, options: dict[str, Any]) -> None:
        provider = _provider(options["name"])
        providers.set_secret(provider, _secret(options, required=True))
        self.stdout.write(f"rotated the secret of {provider.name}")

    def _scim_token(self, options: dict[str, Any]) -> None:
        provider = _provider(options["name"])
        if provider.kind != OrgProvider.Kind.SCIM:
            raise CommandError(f"{provider.name} is not a SCIM provider")
        self._print_token(provider, issue_token(provider))

    def _print_token(self, provider: OrgProvider, token: str) -> None:
        self.stdout.write(
            f"SCIM base URL: https://<this portal>/scim/v2/ (token for "
            f"{provider.name}, shown this once; a new one replaces it):"
        )
        self.stdout.write(token)

    def _remove(self, options: dict[str, Any]) -> None:
        provider = _provider(options["name"])
        count = provider.location.entities.count()
        providers.remove_provider(provider)
        self.stdout.write(f"removed {provider.name} and its {count} entities")


def describe(run: ProviderRun) -> str:
    if run.status == ProviderRun.Status.FAILED:
        return f"failed: {run.error}"
    return (
        f"{run.get_status_display().lower()}: {run.people} people, {run.teams} "
        f"teams; {run.added} added, {run.changed} changed, {run.removed} removed, "
        f"{run.errors} errors"
    )


def _provider(name: str) -> OrgProvider:
    provider = OrgProvider.objects.select_related("location").filter(name=name).first()
    if provider is None:
        raise CommandError(f"no provider named {name!r}")
    return provider


def _secret_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--secret-file", help="A file holding it; - for stdin.")
    parser.add_argument("--secret-env", help="An environment variable holding it.")


def _secret(options: dict[str, Any], *, required: bool) -> str:
    if options["secret_file"]:
        return _read(options["secret_file"]).strip()
    if options["secret_env"]:
        value = os.environ.get(options["secret_env"])
        if value is None:
            raise CommandError(f"the environment has no {options['secret_env']}")
        return value
    if required:
        raise CommandError("give --secret-file or --secret-env")
    return ""


def _settings(name: str | None) -> dict[str, Any]:
    if not name:
        return {}
    try:
        value = json.loads(_read(name))
    except json.JSONDecodeError as exc:
        raise CommandError(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CommandError(f"{name} must hold a JSON object")
    return value


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {name}: {exc.__class__.__name__}") from None
