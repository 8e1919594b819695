from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.descriptor import parse_file
from catalog.ingest.reader import clean_relative
from catalog.ingest.sync import limits


class Command(BaseCommand):
    help = "Validate descriptor files offline; exit 0 only if every document is valid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for name in options["files"]:
            path = Path(name)
            try:
                data = path.read_bytes()
            except OSError as exc:
                self.stdout.write(f"{name}: cannot read: {exc.strerror}")
                failed += 1
                continue
            folder = path.resolve().parent
            result = parse_file(
                data, path.name, limits=limits(), read=_folder_reader(folder)
            )
            for problem in result.problems:
                level = "warning" if problem.level == "warning" else "error"
                self.stdout.write(
                    f"{name}: {level}: {problem.message.removeprefix(path.name + ', ')}"
                )
            failed += sum(1 for p in result.problems if p.level == "error")
            self.stdout.write(
                f"{name}: {len(result.entities)} valid entities: "
                + ", ".join(e.ref for e in result.entities)
            )
        if failed:
            raise CommandError(f"{failed} errors")


def _folder_reader(folder: Path) -> Any:
    """Placeholder files are read from the descriptor's folder, never outside it."""

    def read(relative: str) -> bytes:
        clean = clean_relative(relative)
        if clean is None:
            raise ValueError(f"{relative} leaves the folder")
        target = folder / clean
        if target.is_symlink() or not target.resolve().is_relative_to(folder):
            raise ValueError(f"{relative} is a symbolic link; links are never followed")
        return target.read_bytes()

    return read
