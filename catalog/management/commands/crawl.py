from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from catalog.management.person import PersonCommand
from catalog.models import Location
from catalog.tasks import crawl_location_task


class Command(PersonCommand):
    help = "Crawl locations now and wait for the results (eager or on workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID")
        parser.add_argument("--all", action="store_true", help="Crawl every location.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Read and apply even if nothing changed.",
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="Seconds to wait for workers."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] == bool(options["ids"]):
            raise CommandError("name location ids, or --all")
        ids = (
            list(Location.objects.values_list("pk", flat=True))
            if options["all"]
            else options["ids"]
        )
        missing = set(ids) - set(
            Location.objects.filter(pk__in=ids).values_list("pk", flat=True)
        )
        if missing:
            raise CommandError(
                f"no location with id {', '.join(map(str, sorted(missing)))}"
            )
        if self.person is not None:
            for location in Location.objects.filter(pk__in=ids):
                self.require("location.refresh", location)
        started = timezone.now()
        progress = tqdm(
            total=len(ids), desc="crawling", unit="location", file=self.stderr._out
        )
        raised: dict[int, str] = {}
        for pk in ids:
            try:
                crawl_location_task.delay(pk, options["force"])
            except (
                Exception
            ) as exc:  # eager mode: the crawl's own error, already recorded
                raised[pk] = str(exc)
            if settings.CELERY_TASK_ALWAYS_EAGER:
                progress.update()
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self._wait(ids, started, progress, options["timeout"])
        progress.close()
        self._report(ids, raised)

    def _wait(
        self, ids: list[int], started: Any, progress: Any, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        done = 0
        while done < len(ids):
            if time.monotonic() > deadline:
                raise CommandError(f"timed out: {len(ids) - done} crawls still running")
            time.sleep(0.2)
            now_done = Location.objects.filter(
                pk__in=ids, last_crawl_finished__gte=started
            ).count()
            progress.update(now_done - done)
            done = now_done

    def _report(self, ids: list[int], raised: dict[int, str]) -> None:
        failed = 0
        for location in Location.objects.filter(pk__in=ids).order_by("pk"):
            commit = location.last_commit[:12] or "-"
            line = f"{location.pk} {location.status} {commit} {location}"
            if location.status == Location.Status.FAILED or location.pk in raised:
                failed += 1
                self.stdout.write(
                    f"{line}\n    {location.last_error or raised.get(location.pk)}"
                )
            else:
                self.stdout.write(line)
        if failed:
            raise CommandError(f"{failed} of {len(ids)} crawls failed")
