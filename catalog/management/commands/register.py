from __future__ import annotations

import re
from typing import Any

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from catalog.locations import RegistrationError, Target, register_many, validate_target
from catalog.management.person import PersonCommand
from catalog.models import Location

# Refused URLs are named, but never with a password or token they may carry.
CREDENTIALS = re.compile(r"//[^/@]*@")


class Command(PersonCommand):
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
        self.require_editor("registering")
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
                errors.append(f"{CREDENTIALS.sub('//***@', url)}: {exc}")
        for error in errors:
            self.stderr.write(f"refused: {error}")
        created = register_many(targets)
        new_keys = {(loc.url, loc.branch, loc.path) for loc in created}
        for location in created:
            self.stdout.write(str(location.pk))
        known = {t.url for t in targets if (t.url, t.branch, t.path) not in new_keys}
        for existing in Location.objects.filter(url__in=known):
            if Target(existing.url, existing.branch, existing.path) in targets:
                self.stderr.write(f"already registered as {existing.pk}: {existing}")
        if errors:
            raise CommandError(f"{len(errors)} of {len(urls)} URLs were refused")
