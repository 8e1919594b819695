"""manage.py discovery add|list|run|repos: whole organisations in the catalog."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from discovery import runs, sources
from discovery.models import (
    DiscoveredRepository,
    DiscoveryRun,
    DiscoverySource,
    HostConnection,
)


class Command(BaseCommand):
    help = "Discovery sources: add, list, run now, and their repositories."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        add = verbs.add_parser("add", help="Add a source.")
        add.add_argument("name")
        add.add_argument("--host", required=True, help="A host connection's name.")
        add.add_argument("--scope", required=True)
        add.add_argument("--include", action="append", help="A name pattern.")
        add.add_argument("--exclude", action="append", help="A name pattern.")
        add.add_argument("--topic", action="append", dest="topics")
        add.add_argument("--path", action="append", dest="descriptor_paths")
        add.add_argument("--archived", action="store_true", dest="include_archived")
        add.add_argument("--no-forks", action="store_false", dest="include_forks")
        add.add_argument("--visibility", choices=DiscoverySource.Visibility.values)
        add.add_argument("--interval", type=int, help="Seconds between runs.")
        verbs.add_parser("list", help="The sources and their last runs.")
        run = verbs.add_parser("run", help="Run now and wait for the end.")
        run.add_argument("names", nargs="*", help="Default: every enabled source.")
        repos = verbs.add_parser("repos", help="A source's repositories.")
        repos.add_argument("name")
        repos.add_argument("--state", choices=DiscoveredRepository.State.values)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['verb']}")(options)

    def _add(self, options: dict[str, Any]) -> None:
        connection = HostConnection.objects.filter(name=options["host"]).first()
        if connection is None:
            raise CommandError(f"no host connection named {options['host']!r}")
        fields = ("include", "exclude", "topics", "descriptor_paths", "visibility",
                  "include_archived", "include_forks", "interval")  # fmt: skip
        try:
            source = sources.add_source(
                options["name"],
                connection,
                options["scope"],
                **{field: options[field] for field in fields},
            )
        except sources.SourceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"added {source}")

    def _list(self, options: dict[str, Any]) -> None:
        for source in DiscoverySource.objects.select_related("connection"):
            run = source.runs.first()
            last = _describe(run) if run else "never run"
            self.stdout.write(f"{source.name}\t{source.connection.name}\t"
                              f"{source.scope}\t{last}")  # fmt: skip

    def _run(self, options: dict[str, Any]) -> None:
        wanted = DiscoverySource.objects.select_related("connection")
        names = options["names"]
        found = list(
            wanted.filter(name__in=names) if names else wanted.filter(enabled=True)
        )
        if missing := set(names) - {s.name for s in found}:
            raise CommandError(f"no source named {', '.join(sorted(missing))}")
        failed = 0
        for source in found:
            run = runs.run_discovery(runs.start_run(source, "manual").pk)
            self.stdout.write(f"{source.name}: {_describe(run)}")
            for problem in run.problems.all()[:20]:
                self.stdout.write(f"  {problem}")
            failed += run.status != DiscoveryRun.Status.OK
        if failed:
            raise CommandError(f"{failed} of {len(found)} sources did not complete")

    def _repos(self, options: dict[str, Any]) -> None:
        source = DiscoverySource.objects.filter(name=options["name"]).first()
        if source is None:
            raise CommandError(f"no source named {options['name']!r}")
        rows = source.repositories.all()
        if options["state"]:
            rows = rows.filter(state=options["state"])
        for row in rows.iterator():
            self.stdout.write(f"{row.full_name}\t{row.state}\t{row.clone_url}\t"
                              f"{row.descriptor_path or row.reason}")  # fmt: skip


def _describe(run: DiscoveryRun) -> str:
    counts = (
        f"{run.seen} seen, {run.registered} registered, {run.updated} updated, "
        f"{run.uncatalogued} uncatalogued, {run.removed} removed, {run.errors} errors"
    )
    said = f" ({run.message})" if run.message else ""
    return f"{run.get_status_display().lower()}{said}: {counts}"
