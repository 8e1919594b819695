"""Differential benchmark: how often our validator agrees with Backstage's.

The long profile of ``tests/catalog/test_differential_oracle.py``: the same
generator (valid entities of every kind, one to three mutations each), thousands of
documents instead of a few batches, and every verdict counted instead of a stop at
the first disagreement. Each document goes through Backstage's validators
(``tests/oracle/validate.mjs``, one process for the run) and our ``parse_file``;
the comparison rules and the documented differences are the test's.

    .venv/bin/python bench/differential.py                  # 20,000 documents
    .venv/bin/python bench/differential.py --documents 2000 --seed 7

Prints the agreement overall, per kind of mutation, per field and per edit, and the
undocumented disagreements grouped by class, each with its simplest document
(the mutation alone on the baseline, when that still disagrees). Needs node and
``npm ci --prefix tests/oracle``; no database. Results: a printed table and
``bench/results/differential-<N>-<date>.json``, ``.txt``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import web  # bench/web.py, beside this script (bench/ is not a package)
from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.catalog.test_descriptor_oracle import Judged, _differs
from tests.catalog.test_differential_oracle import (
    Judges,
    Oracle,
    Sample,
    batches,
    documented,
    simplest,
)

ROOT, log = web.ROOT, web.log
TARGET = 99.5  # % of documents with Backstage's verdict or a documented difference
EXAMPLE_CHARS = 1200  # a class's example document, as JSON, cut after this


def generate(documents: int, batch: int, run_seed: int) -> list[list[Sample]]:
    """Batches drawn by the test's strategy, reproducibly for a seed."""
    drawn: list[list[Sample]] = []

    @seed(run_seed)
    @settings(
        max_examples=max(1, documents // batch),
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(batches(batch))
    def collect(samples: list[Sample]) -> None:
        drawn.append(samples)

    collect()
    return drawn


@dataclass
class Tally:
    """Documents counted by outcome, for one row of a table."""

    agree: int = 0
    documented: int = 0
    disagree: int = 0

    @property
    def total(self) -> int:
        return self.agree + self.documented + self.disagree

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.total,
            "agree": self.agree,
            "documented": self.documented,
            "disagree": self.disagree,
            "agreement_pct": _pct(self.agree, self.total),
            "with_documented_pct": _pct(self.agree + self.documented, self.total),
        }


@dataclass
class DisagreementClass:
    direction: str
    label: str  # the simplest form's mutation
    count: int = 0
    kinds: set[str] = field(default_factory=set)
    example: Judged | None = None  # the shortest simplest document

    def add(self, kind: str, item: Judged) -> None:
        self.count += 1
        self.kinds.add(kind)
        size = len(json.dumps(item.case.document))
        if self.example is None or size < len(json.dumps(self.example.case.document)):
            self.example = item


@dataclass
class Figures:
    overall: Tally = field(default_factory=Tally)
    by_op: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_field: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_edit: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    documented: Counter[str] = field(default_factory=Counter)
    classes: dict[tuple[str, str], DisagreementClass] = field(default_factory=dict)
    backstage_valid: int = 0


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _direction(item: Judged) -> str:
    if item.backstage.valid and item.backstage.ref_errors:
        return "Backstage's catalog fails a reference, we accept"
    if item.backstage.valid:
        return "Backstage accepts, we refuse"
    return "Backstage refuses, we accept"


def _class_label(item: Judged) -> str:
    """The simplest form's mutation(s), without the kind and the origin."""
    label = item.case.id.split(" (from: ")[0]
    return label.split(": ", 1)[1]


def count(judges: Judges, batch: list[Sample], figures: Figures) -> None:
    for sample, item in zip(batch, judges.judge(batch), strict=True):
        figures.backstage_valid += item.backstage.valid
        if not _differs(item):
            outcome = "agree"
        elif (reason := documented(item)) is not None:
            outcome = "documented"
            figures.documented[reason.reason] += 1
        else:
            outcome = "disagree"
            _classify(judges, sample, item, figures)
        figures.overall.add(outcome)
        for mutation in sample.mutations:
            figures.by_op[mutation.op].add(outcome)
            figures.by_field[mutation.field].add(outcome)
            if mutation.op == "edit":
                figures.by_edit[mutation.detail].add(outcome)


def _classify(judges: Judges, sample: Sample, item: Judged, figures: Figures) -> None:
    reduced = simplest(judges, sample, item)
    key = (_direction(reduced), _class_label(reduced))
    found = figures.classes.setdefault(key, DisagreementClass(*key))
    found.add(sample.kind, reduced)


def _rows(tallies: dict[str, Tally], limit: int) -> list[dict[str, Any]]:
    """The rows with the lowest agreement first."""
    rows = [
        {"class": _printable(name), **tally.as_dict()}
        for name, tally in tallies.items()
    ]
    rows.sort(key=lambda row: (row["with_documented_pct"], -row["documents"]))
    return rows[:limit]


def _printable(text: str) -> str:
    """Lone surrogates (from a generated key or value) escaped: UTF-8 has none."""
    return text.encode("utf-8", "backslashreplace").decode()


def _example(item: Judged) -> dict[str, Any]:
    document = _printable(json.dumps(item.case.document, ensure_ascii=False))
    if len(document) > EXAMPLE_CHARS:
        document = document[:EXAMPLE_CHARS] + f"... ({len(document)} chars)"
    return {
        "label": _printable(item.case.id),
        "document": document,
        "backstage": item.backstage.errors[:1] + item.backstage.ref_errors[:1],
        "ours": item.ours.errors[:1],
    }


def summarize(figures: Figures, samples: int, unique: int) -> dict[str, Any]:
    classes = sorted(figures.classes.values(), key=lambda c: -c.count)
    return {
        "documents": samples,
        "unique_documents": unique,
        "backstage_valid_pct": _pct(figures.backstage_valid, samples),
        "overall": figures.overall.as_dict(),
        "target_pct": TARGET,
        "documented": dict(figures.documented),
        "by_op": _rows(figures.by_op, 100),
        "by_field": _rows(figures.by_field, 1000),
        "by_edit": _rows(figures.by_edit, 1000),
        "disagreement_classes": [
            {
                "direction": c.direction,
                "class": _printable(c.label),
                "documents": c.count,
                "kinds": sorted(c.kinds),
                "example": _example(c.example) if c.example else None,
            }
            for c in classes
        ],
    }


def format_table(results: dict[str, Any]) -> str:
    figures = results["figures"]
    if not figures:
        return f"INCOMPLETE: {results.get('error')}\n"
    overall = figures["overall"]
    met = "met" if overall["with_documented_pct"] >= TARGET else "MISSED"
    lines = [
        f"Differential test against Backstage ({results['code']['head']}, "
        f"seed {results['config']['seed']}): {figures['documents']} documents "
        f"({figures['unique_documents']} distinct), Backstage accepts "
        f"{figures['backstage_valid_pct']}%",
        "",
        f"agreement                          {overall['agreement_pct']:6.2f} %",
        f"agreement or documented difference {overall['with_documented_pct']:6.2f} %"
        f"   target >= {TARGET} %: {met}",
        f"undocumented disagreements         {overall['disagree']:6d}",
    ]
    for reason, number in figures["documented"].items():
        lines.append(f"documented ({number}): {reason}")
    for title, key, limit in (
        ("mutation", "by_op", 20),
        ("field (lowest 15)", "by_field", 15),
        ("edit (lowest 15)", "by_edit", 15),
    ):
        lines += ["", f"{title:42} {'docs':>6} {'agree %':>8} {'+doc %':>8}"]
        for row in figures[key][:limit]:
            lines.append(
                f"{row['class'][:42]:42} {row['documents']:6d} "
                f"{row['agreement_pct']:8.2f} {row['with_documented_pct']:8.2f}"
            )
    lines += [
        "",
        f"Undocumented disagreement classes: {len(figures['disagreement_classes'])}",
    ]
    for found in figures["disagreement_classes"]:
        example = found["example"]
        lines += [
            f"* [{found['documents']}] {found['direction']}: {found['class']}"
            f"  (kinds: {', '.join(found['kinds'])})",
            f"    simplest: {example['label']}",
            f"    document: {example['document']}",
            f"    Backstage: {' | '.join(example['backstage'])[:300] or 'valid'}",
            f"    ours: {' | '.join(example['ours'])[:300] or 'valid'}",
        ]
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], table: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    documents = results["config"]["documents"]
    base = web.RESULTS_DIR / f"differential-{documents}-{stamp}"
    web.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    base.with_suffix(".txt").write_text(table)
    return base.with_suffix(".json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--documents", type=int, default=20_000, help="mutated documents to judge")
    add("--batch", type=int, default=100, help="documents per generated example")
    add("--seed", type=int, default=0, help="Hypothesis seed (same seed, same run)")
    args = parser.parse_args(argv)
    if args.documents < 1 or args.batch < 1:
        parser.error("need --documents >= 1 and --batch >= 1")
    return args


def new_results(args: argparse.Namespace) -> dict[str, Any]:
    git = ["git", "-C", str(ROOT)]
    changed = web.run([*git, "status", "--porcelain", "catalog"])
    return {
        "bench": "differential",
        "started": web.now(),
        "code": {
            "head": web.run([*git, "rev-parse", "--short", "HEAD"]).strip(),
            "uncommitted_files_in_catalog": len(changed.splitlines()),
        },
        "config": vars(args),
        "figures": {},
    }


def run(args: argparse.Namespace, results: dict[str, Any]) -> None:
    started = time.perf_counter()
    drawn = generate(args.documents, args.batch, args.seed)
    log(f"generated {sum(map(len, drawn))} documents in {len(drawn)} batches")
    figures = Figures()
    oracle = Oracle()
    try:
        judges = Judges(oracle)
        for index, batch in enumerate(drawn, 1):
            count(judges, batch, figures)
            if index % 50 == 0:
                log(f"{index} batches judged")
    finally:
        oracle.close()
    samples = [sample for batch in drawn for sample in batch]
    unique = len({json.dumps(sample.document) for sample in samples})
    results["figures"] = summarize(figures, len(samples), unique)
    results["seconds"] = round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = new_results(args)
    status = 0
    try:
        run(args, results)
    except Exception:
        status = 1
        results["error"] = traceback.format_exc(limit=8)
        log(f"ERROR: {results['error']}")
    results["finished"] = web.now()
    table = format_table(results)
    print(f"\n{table}")
    path = write_results(results, table)
    log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
