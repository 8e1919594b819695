"""`manage.py score`: bring the scorecards up to date now, or check a rules file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Entity
from compliance import scoring
from compliance.rules import RulesError, parse_rules

BATCH = 5000


class Command(BaseCommand):
    help = (
        "Score the entities scored under other rules or never (--all: every one), "
        "and take the trend's snapshot if one is due; --check FILE only validates "
        "a rules file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="score every entity")
        parser.add_argument("--check", metavar="FILE", help="validate a rules file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check(Path(options["check"]))
            return
        rules = scoring.rules_in_force()
        if rules.errors:
            raise CommandError("; ".join(rules.errors))
        if options["all"]:
            scored = scoring.score_entities(
                Entity.objects.order_by("pk").values_list("pk", flat=True).iterator()
            )
        else:
            scored = batch = scoring.score_stale(BATCH)
            while batch == BATCH:  # a full batch: there may be more
                batch = scoring.score_stale(BATCH)
                scored += batch
        self.stdout.write(f"scored {scored} entities under {rules.source}")
        if scoring.snapshot_due():
            self.stdout.write(f"took {scoring.take_snapshots()} snapshots")

    def _check(self, path: Path) -> None:
        try:
            found = parse_rules(path.read_text(encoding="utf-8"), str(path))
        except (OSError, RulesError) as exc:
            raise CommandError(str(exc)) from None
        rules = sum(len(card.rules) for card in found.scorecards)
        self.stdout.write(f"{path}: {len(found.scorecards)} scorecards, {rules} rules")
