"""CSV downloads that open cleanly in a spreadsheet, from any rows.

UTF-8 with a byte-order mark (so Excel reads accents), a header row, streamed; a
cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is quoted with
`'`, since the values come from repositories and a spreadsheet would run them
as formulas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    def write(self, text: str) -> str:
        return text


def lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def response(
    name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A download called `<name>-<time>.csv`."""
    download = StreamingHttpResponse(
        lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    download["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return download
