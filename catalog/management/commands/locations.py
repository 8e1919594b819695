from __future__ import annotations

from typing import Any

from catalog.management.person import PersonCommand
from catalog.models import Location


class Command(PersonCommand):
    help = "List registered locations with their crawl status."

    def handle(self, *args: Any, **options: Any) -> None:
        for loc in Location.objects.all().iterator():
            finished = (
                loc.last_crawl_finished.isoformat(timespec="seconds")
                if loc.last_crawl_finished
                else "never"
            )
            self.stdout.write(
                f"{loc.pk}\t{loc.status}\t{loc.last_commit[:12] or '-'}\t"
                f"{finished}\t{loc}"
            )
