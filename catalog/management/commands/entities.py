from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from catalog.management.person import PersonCommand
from catalog.models import EntitySummary
from catalog.search import search


class Command(PersonCommand):
    help = "List entities: ref, owner, location and path."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", help="Only this kind (case-insensitive).")
        parser.add_argument("--search", help="Full-text search, best matches first.")
        parser.add_argument(
            "--owner",
            help="Only entities owned by this ref, e.g. group:default/team-a.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = EntitySummary.objects.order_by("ref")
        if options["kind"]:
            rows = rows.filter(kind=options["kind"].lower())
        if options["owner"]:
            rows = rows.filter(owner_ref=options["owner"].lower())
        if options["search"]:
            rows = search(rows, options["search"])
        for ref, owner, location_id, path in rows.values_list(
            "ref", "owner_ref", "entity__location_id", "entity__path"
        ).iterator():
            self.stdout.write(f"{ref}\t{owner or '-'}\t{location_id}\t{path}")
