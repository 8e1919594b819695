"""Compliance benchmark: coverage and the catalog at a date, at 100,000 entities.

Uses bench/web.py's database of the synthetic organisation (filled once, reused),
then, in-process through Django's test ``Client`` as a compliance user, times the
coverage dashboard and its API, one coverage list, the catalog at a date (page and
API, first page) and one entity's page at that date. Each synthetic entity has one
revision (its first crawl); ``--changed`` (default 10%) of them get a second,
later revision with another owner, so the date query picks between revisions.

    .venv/bin/python bench/compliance.py --entities 100000

Scorecards: every entity is scored once under portal/scorecards.yaml (timed, as
a rules change would), then ``scoring.score_refs`` is timed for one changed
entity (random components, what a crawl's change queues) and for one group
(which rescores everything it owns); then the scorecard pages and API. The
coverage counts are also timed uncached, as the worker makes them.

Results: a printed table and ``bench/results/compliance-<N>-<date>.json``, ``.txt``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import traceback
from typing import Any

import web  # bench/web.py, beside this script (bench/ is not a package)

COVERAGE_MS, CATALOG_AT_MS, RESCORE_MS, PAGE_MS = 200.0, 300.0, 20.0, 200.0


def add_history(fraction: float) -> int:
    """A later revision, with another owner, for `fraction` of the entities; once."""
    from catalog.models import EntityRevision

    if EntityRevision.objects.filter(action="changed", commit="bench-history").exists():
        return 0
    every = max(1, round(1 / fraction)) if fraction else 0
    if not every:
        return 0
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    rows = [
        EntityRevision(
            entity_uid=r.entity_uid,
            ref=r.ref,
            kind=r.kind,
            action="changed",
            owner_ref="group:default/synth-team-2",
            location_id=r.location_id,
            repository=r.repository,
            path=r.path,
            commit="bench-history",
            descriptor=r.descriptor,
            recorded_at=later,
        )
        for i, r in enumerate(EntityRevision.objects.order_by("id").iterator())
        if i % every == 0
    ]
    EntityRevision.objects.bulk_create(rows, batch_size=2000)
    web.sql("VACUUM (ANALYZE) catalog_entityrevision")
    return len(rows)


def figures(client: Any) -> list[tuple[str, str, str, float]]:
    """(key, label, address, target ms)."""
    a_ref = web.busiest_component()
    return [
        ("coverage_page", "coverage dashboard", "/compliance/", COVERAGE_MS),
        ("coverage_api", "coverage API", "/api/compliance/coverage", COVERAGE_MS),
        (
            "coverage_list",
            "coverage list (owner not in the catalog)",
            "/compliance/coverage/unknown-owner",
            COVERAGE_MS,
        ),
        (
            "catalog_at_page",
            "catalog at a date, page 1",
            "/compliance/history?at=2029-06-01",
            CATALOG_AT_MS,
        ),
        (
            "catalog_at_api",
            "catalog at a date, API, 100",
            "/api/compliance/catalog?at=2030-06-01",
            CATALOG_AT_MS,
        ),
        (
            "catalog_at_owner",
            "what a team owned then (API)",
            "/api/compliance/catalog?at=2030-06-01&owner=group:default/synth-team-1",
            CATALOG_AT_MS,
        ),
        (
            "entity_at",
            "one entity at a date",
            f"/compliance/history/component/default/{a_ref}?at=2030-06-01",
            CATALOG_AT_MS,
        ),
        ("scorecards_page", "scorecards page", "/compliance/scorecards/", PAGE_MS),
        (
            "scorecard_page",
            "one scorecard (rules, owners)",
            "/compliance/scorecards/production-readiness",
            PAGE_MS,
        ),
        (
            "scorecard_failing",
            "a rule's failures, page 1",
            "/compliance/scorecards/production-readiness/entities?rule=techdocs",
            PAGE_MS,
        ),
        (
            "scorecards_api",
            "scorecards API",
            "/api/compliance/scorecards",
            PAGE_MS,
        ),
        (
            "entity_scorecards",
            "an entity's Scorecards tab",
            f"/catalog/default/component/{a_ref}/scorecards",
            PAGE_MS,
        ),
    ]


def score_everything() -> dict[str, Any]:
    """Score every entity not scored under the rules in force (all, the first
    time), batch by batch as the stale task does."""
    from compliance import scoring
    from compliance.models import EntityScore

    start, scored = time.perf_counter(), 0
    while batch := scoring.score_stale(5000):
        scored += batch
        web.log(f"scored {scored:,}")
    seconds = time.perf_counter() - start
    if scored:
        web.sql("VACUUM (ANALYZE) compliance_entityscore, compliance_ruleresult")
    if scoring.snapshot_due():
        scoring.take_snapshots()
    return {
        "scored_now": scored,
        "seconds": round(seconds, 1),
        "per_second": round(scored / seconds) if scored else None,
        "scores": EntityScore.objects.count(),
    }


def timed(label: str, target: float | None, calls: list[Any]) -> dict[str, Any]:
    wall = []
    for call in calls:
        start = time.perf_counter()
        call()
        wall.append((time.perf_counter() - start) * 1000)
    return {"label": label, "url": "", "target_ms": target} | summarise(wall)


def summarise(wall: list[float]) -> dict[str, Any]:
    wall.sort()
    return {
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(wall[round(0.95 * (len(wall) - 1))], 1),
        "max_ms": round(wall[-1], 1),
        "n": len(wall),
    }


def scoring_figures(requests: int) -> dict[str, dict[str, Any]]:
    """One changed entity rescored; one group rescored; coverage counted afresh."""
    import random

    from catalog.models import EntitySummary
    from compliance import coverage, scoring

    rng = random.Random(7)
    components = list(
        EntitySummary.objects.filter(kind="component").values_list("ref", flat=True)
    )
    picked = rng.sample(components, min(len(components), requests * 10))
    group = "group:default/synth-team-1"
    owned = EntitySummary.objects.filter(owner_ref=group).count()
    return {
        "rescore_entity": timed(
            "rescore one changed entity",
            RESCORE_MS,
            [lambda ref=ref: scoring.score_refs([ref]) for ref in picked],
        ),
        "rescore_group": timed(
            f"rescore a group and the {owned} it owns",
            None,  # no target: it runs in a worker, all of a group's entities
            [lambda: scoring.score_refs([group], [group])] * 3,
        ),
        "coverage_uncached": timed(
            "coverage counted afresh (worker)",
            None,  # no target: pages read the kept count (coverage_page)
            [lambda: [coverage._count(c) for c in coverage.CHECKS.values()]] * 5,
        ),
    }


def measure(client: Any, url: str, warmup: int, requests: int) -> dict[str, Any]:
    for _ in range(warmup):
        client.get(url)
    wall = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise web.BenchError(f"{url}: HTTP {response.status_code}")
    return summarise(wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "bench": "compliance",
        "started": web.now(),
        "config": {**vars(args), "database": web.db_name(args.entities)},
        "code": {"head": web.run(["git", "rev-parse", "--short", "HEAD"]).strip()},
        "machine": {},
        "figures": {},
    }
    status = 0
    try:
        web.prepare(args.entities, False, results)
        results["history_revisions_added"] = add_history(args.changed)
        results["scoring"] = score_everything()
        web.log(f"scoring: {results['scoring']}")
        import gc

        from django.contrib.auth import get_user_model
        from django.test import Client

        from core.roles import grant_role

        user, _ = get_user_model().objects.get_or_create(username="bench-compliance")
        grant_role(user, "compliance")
        client = Client()
        client.force_login(user)
        gc.collect()
        gc.freeze()  # as portal/wsgi.py does
        for key, found in scoring_figures(args.requests).items():
            results["figures"][key] = found
            web.log(
                f"{found['label']}: p50 {found['p50_ms']} ms, p95 {found['p95_ms']} ms"
            )
        for key, label, url, target in figures(client):
            found = measure(client, url, args.warmup, args.requests)
            results["figures"][key] = {"label": label, "url": url, "target_ms": target}
            results["figures"][key] |= found
            web.log(f"{label}: p50 {found['p50_ms']} ms, p95 {found['p95_ms']} ms")
    except Exception as exc:
        status = 2 if isinstance(exc, web.BenchError) else 1
        results["error"] = str(exc) if status == 2 else traceback.format_exc(limit=8)
        web.log(f"ERROR: {results['error']}")
    results["finished"] = web.now()
    lines = [
        f"Compliance at {args.entities:,} entities ({results['config']['database']})"
    ]
    if "scoring" in results:
        lines.append(f"scoring every entity: {results['scoring']}")
    lines.append(f"{'figure':<44}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'target':>9}")
    for f in results["figures"].values():
        target = f["target_ms"]
        verdict = "" if target is None else "ok" if f["p95_ms"] <= target else "MISSED"
        limit = "—" if target is None else f"<= {target:.0f}"
        lines.append(
            f"{f['label']:<44}{f['p50_ms']:>9.1f}{f['p95_ms']:>9.1f}{f['max_ms']:>9.1f}"
            f"{limit:>9}  {verdict}"
        )
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    text = "\n".join(lines) + "\n"
    print(f"\n{text}")
    path = web.write_results(results, text, [])
    web.log(f"results written to {path.relative_to(web.ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
