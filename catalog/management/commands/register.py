from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.locations import RegistrationError, Target, register_many, validate_target
from catalog.models import Location


class Command(BaseCommand):
    help = "Register git repositories (optional branch, path or glob); queue crawls."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("urls", nargs="+", metavar="URL")
        parser.add_argument(
            "--branch",
            default="",
            help="Branch to track (default: the remote's default).",
        )
        parser.add_argument(
            "--path",
            default="",
            help="Descriptor path or glob such as '**/catalog-info.yaml' "
            "(default: catalog-info.yaml).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        targets: list[Target] = []
        errors = []
        urls = options["urls"]
        for url in tqdm(
            urls,
            desc="checking",
            unit="repo",
            disable=len(urls) < 50,
            file=self.stderr._out,
        ):
            try:
                targets.append(validate_target(url, options["branch"], options["path"]))
            except RegistrationError as exc:
                errors.append(str(exc))
        for error in errors:
            self.stderr.write(f"refused: {error}")
        created = register_many(targets)
        new_keys = {(loc.url, loc.branch, loc.path) for loc in created}
        for location in created:
            self.stdout.write(str(location.pk))
        for target in targets:
            if (target.url, target.branch, target.path) not in new_keys:
                existing = Location.objects.get(
                    url=target.url, branch=target.branch, path=target.path
                )
                self.stderr.write(f"already registered as {existing.pk}: {existing}")
        if errors:
            raise CommandError(f"{len(errors)} of {len(urls)} URLs were refused")
