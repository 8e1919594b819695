from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.viewers import mark_restricted


class Command(BaseCommand):
    help = (
        "Mark restricted entities again, as their annotations and the `restricted` "
        "selectors of GREENROOM_PERMISSIONS_FILE say (crawls mark what they read)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = mark_restricted()
        self.stdout.write(f"{count} entities restricted")
