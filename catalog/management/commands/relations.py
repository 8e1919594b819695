from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from catalog.management.person import PersonCommand
from catalog.models import Relation


class Command(PersonCommand):
    help = (
        "List relations as declared in specs; --dangling: targets not in the catalog."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dangling", action="store_true")
        parser.add_argument("--type", help="Only this relation type, e.g. ownedBy.")

    def handle(self, *args: Any, **options: Any) -> None:
        relations = Relation.objects.declared()
        if options["dangling"]:
            relations = relations.dangling()
        if options["type"]:
            relations = relations.filter(type=options["type"])
        rows = relations.order_by("source_ref", "type", "target_ref").values_list(
            "source_ref", "type", "target_ref"
        )
        for source, type_, target in rows.iterator():
            self.stdout.write(f"{source}\t{type_}\t{target}")
