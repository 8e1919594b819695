from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from catalog.management.person import PersonCommand
from catalog.models import ProcessingError


class Command(PersonCommand):
    help = "List processing errors from the last crawl of each location."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--location", type=int, help="Only this location id.")

    def handle(self, *args: Any, **options: Any) -> None:
        errors = ProcessingError.objects.all()
        if options["location"]:
            errors = errors.filter(location_id=options["location"])
        for error in errors.iterator():
            self.stdout.write(
                f"{error.location_id}\t{error.level}\t"
                f"{error.commit[:12] or '-'}\t{error.message}"
            )
