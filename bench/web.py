"""Web benchmark: server time of the catalog pages with 10,000 or 100,000 entities.

Fills a PostgreSQL database with the synthetic organisation (the documents
``demo.build_synthetic_org`` commits, read by the crawler's own
``read_location`` from in-memory trees and written by its own ``apply_read``),
then times, in-process through Django's test ``Client`` as a viewer: the catalog
list, ``catalog.listing.facet_counts``, the pages of a component, of the org
group and of a team, the component's graph at depth 2, and three searches.

    .venv/bin/python bench/web.py --entities 10000
    .venv/bin/python bench/web.py --entities 100000 [--rebuild] [--explain]

The database ``greenroom_bench_web_<10k|100k|N>`` (PostgreSQL on 127.0.0.1:5432,
user postgres) is created if missing, always migrated, and filled once. Results:
a printed table and ``bench/results/web-<N>-<date>.json``, ``.txt`` (and, with
``--explain``, ``-plans.txt``). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS_DIR = ROOT / "bench" / "results"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
SEED, PER_REPO = 1, 10  # PER_REPO documents per synthetic repository (and Location)
STATE_TABLE = "bench_web_state"
QUIET_CORES, QUIET_WAIT_S = 0.3, 120  # before timing, wait until others use less
# Targets, p95 ms: pages at 10,000 entities, search at 100,000, facet_counts always.
PAGE_MS, SEARCH_MS_AT_100K, FACETS_MS = 100.0, 50.0, 100.0
TEAM, CHOSEN = "group:default/synth-team-1", "kind=component&lifecycle=production"
LABELS = {  # every figure, in the order they are timed
    "list": "catalog list, unfiltered",
    "list_kind_lifecycle": "catalog list, kind + lifecycle",
    "list_owner_sorted": "catalog list, owner + sort",
    "facet_counts": "facet_counts(EntitySummary), no choice",
    "facet_counts_filtered": "facet_counts(EntitySummary), kind + lifecycle",
    "entity_component": "entity page, component",
    "entity_group_org": "entity page, group (org, 4 child teams)",
    "entity_group_team": "entity page, group (team)",
    "graph_depth2": "graph, component, depth 2",
    "search_name": "search, real name",
    "search_misspelt": "search, misspelt name",
    "search_two_words": "search, two words",
}


class BenchError(RuntimeError):
    """Setup failed or a page did not answer as expected; the run stops there."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def sql(query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def db_name(entities: int, bench: str = "web") -> str:
    size = f"{entities // 1000}k" if entities % 1000 == 0 else str(entities)
    return f"greenroom_bench_{bench}_{size}"


def ensure_database(database: str, env: dict[str, str], rebuild: bool) -> list[str]:
    """Create (``rebuild``: recreate) and migrate; the migrations applied now."""
    if rebuild:
        run(["dropdb", *PG, "--if-exists", "--force", database])
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{database}'"
    if not run(["psql", *PG, "-d", "postgres", "-tAc", exists]).strip():
        run(["createdb", *PG, database])
    out = run([sys.executable, "manage.py", "migrate", "--noinput"], env=env)
    words = [line.split() for line in out.splitlines()]
    return [w[1].rstrip(".") for w in words if w[:1] == ["Applying"]]


def setup_django(database: str) -> dict[str, str]:
    """Settings for serving pages without HTTPS, collectstatic or noise."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        SECRET_KEY="bench",
        DEBUG="0",
        SECURE_SSL_REDIRECT="false",  # the test client speaks http
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings

    # DEBUG off selects the manifest storage, which needs collectstatic.
    static = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.STORAGES["staticfiles"]["BACKEND"] = static
    warnings.filterwarnings("ignore", message="No directory at")
    return dict(os.environ)


@dataclass(frozen=True)
class MemoryTree:
    """The reader's ``Tree`` over one file held in memory: a commit without git."""

    data: bytes
    path: str = "catalog-info.yaml"

    def read(self, path: str) -> bytes:
        if path != self.path:
            raise FileNotFoundError(path)
        return self.data

    def files(self) -> list[tuple[str, int]]:
        return [(self.path, 0o100644)]


def fill_location(location: Any, repo: int, repos: int) -> None:
    """Read and apply one repository's documents as its first crawl would."""
    from django.conf import settings
    from django.utils import timezone

    from catalog.ingest import apply, reader, sync
    from catalog.models import Location
    from demo import documents, synthetic

    docs = synthetic.synthetic_documents(repo, repos, PER_REPO, SEED)
    tree = MemoryTree(documents.dump_fast(docs))
    commit = hashlib.sha1(tree.data).hexdigest()
    max_files = settings.GREENROOM_MAX_FILES_PER_LOCATION
    max_entities = settings.GREENROOM_MAX_ENTITIES_PER_LOCATION
    limits = sync.limits()
    read = reader.read_location(
        tree, tree.path, limits=limits, max_files=max_files, max_entities=max_entities
    )
    stats = apply.apply_read(location, commit=commit, branch="main", read=read)
    at = timezone.now()
    Location.objects.filter(pk=location.pk).update(
        status=Location.Status.WARNING if stats.errors else Location.Status.OK,
        resolved_branch="main",
        last_commit=commit,
        content_hash=read.content_hash,
        last_crawl_started=at,
        last_crawl_finished=at,
        next_crawl_at=at + dt.timedelta(seconds=settings.GREENROOM_REFRESH_INTERVAL),
    )


def populate(entities: int) -> dict[str, Any]:
    """Empty the catalog, then fill one Location per synthetic repository."""
    from django.apps import apps
    from django.conf import settings

    from catalog.models import Entity, EntityField, Location, ProcessingError, Relation

    # Scorecards are scored afterwards, in bulk, by the benchmarks that time them.
    settings.GREENROOM_ON_ENTITIES_CHANGED = []
    models = apps.get_app_config("catalog").get_models()
    tables = ", ".join([STATE_TABLE, *(f'"{m._meta.db_table}"' for m in models)])
    sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    repos = entities // PER_REPO
    start = reported = time.monotonic()
    locations = Location.objects.bulk_create(
        Location(url=f"https://github.com/synth/repo-{i:05d}", path="catalog-info.yaml")
        for i in range(repos)
    )
    for repo, location in enumerate(locations):
        fill_location(location, repo, repos)
        if time.monotonic() - reported >= 15:
            reported = time.monotonic()
            left = (repos - repo - 1) * (reported - start) / (repo + 1)
            log(f"populate: {repo + 1:,}/{repos:,} locations, about {left:.0f} s left")
    sql("VACUUM (ANALYZE)")
    if Entity.objects.count() != entities:
        raise BenchError(f"populated {Entity.objects.count()} of {entities} entities")
    return {
        "entities": entities,
        "locations": repos,
        "relations": Relation.objects.count(),
        "entity_fields": EntityField.objects.count(),
        "processing_errors": ProcessingError.objects.count(),
        "populate_s": round(time.monotonic() - start, 1),
    }


def prepare(entities: int, rebuild: bool, results: dict[str, Any]) -> None:
    """Create and migrate the database; fill it unless ``bench_web_state`` says so."""
    database = results["config"]["database"]
    log(f"database {database}: creating if missing, migrating")
    migrated = ensure_database(database, setup_django(database), rebuild)
    results["migrations_applied_now"] = migrated
    from catalog.models import Entity

    sql(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (key text PRIMARY KEY, value jsonb)")
    rows = sql(f"SELECT value::text FROM {STATE_TABLE} WHERE key = 'populated'")
    state = json.loads(rows[0][0]) if rows else {}
    wanted = {"entities": entities, "entities_per_repo": PER_REPO, "seed": SEED}
    filled = all(state.get(key) == value for key, value in wanted.items())
    results["populated_now"] = not (filled and Entity.objects.count() == entities)
    if results["populated_now"]:
        log(f"populating {entities:,} entities in {entities // PER_REPO:,} locations")
        state = {**populate(entities), **wanted, "code": results["code"]}
        state["populated_at"] = now()
        sql(f"INSERT INTO {STATE_TABLE} VALUES ('populated', %s)", [json.dumps(state)])
        log(f"populated in {state['populate_s']} s")
    else:
        log(f"reusing {database}, filled {state.get('populated_at')}")
        if migrated:  # a migration's backfill leaves tables without statistics
            log(f"migrations applied ({', '.join(migrated)}): VACUUM ANALYZE")
            sql("VACUUM (ANALYZE)")
    results["population"] = state


def describe_database(results: dict[str, Any]) -> None:
    size = "pg_size_pretty(pg_total_relation_size(oid))"
    results["table_sizes"] = dict(
        sql("SELECT 'database', pg_size_pretty(pg_database_size(current_database()))")
        + sql(
            f"SELECT relname, {size} FROM pg_class WHERE relname LIKE 'catalog_%' "
            "AND relkind = 'r' ORDER BY pg_total_relation_size(oid) DESC"
        )
    )
    for setting in ("shared_buffers", "work_mem"):
        results["machine"][f"postgres_{setting}"] = sql(f"SHOW {setting}")[0][0]


def busy_cores(seconds: float = 1.0) -> float:
    """Cores the machine keeps busy while this process sleeps ``seconds``."""

    def busy_seconds() -> float:
        with open("/proc/stat") as fh:  # user nice system idle iowait irq soft steal
            ticks = [int(v) for v in fh.readline().split()[1:9]]
        return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")

    before = busy_seconds()
    time.sleep(seconds)
    return round((busy_seconds() - before) / seconds, 2)


def wait_quiet() -> float:
    """Wait (bounded) until other processes use few cores; the last load seen."""
    deadline = time.monotonic() + QUIET_WAIT_S
    load = busy_cores()
    if load >= QUIET_CORES:
        log(f"machine busy ({load} cores used by others); waiting up to 120 s")
    while load >= QUIET_CORES and time.monotonic() < deadline:
        time.sleep(2)
        load = busy_cores()
    return load


@dataclass(frozen=True)
class Figure:
    key: str  # its group first: list, facet, entity, graph, search
    what: str  # the address, or the call
    call: Callable[[], Any]  # a page's bytes, or facet_counts' result
    expect: str  # text on the page, or a key of facet_counts' result

    def target_ms(self, entities: int) -> float | None:
        if self.key.startswith("facet"):
            return FACETS_MS
        if self.key.startswith("search") and entities >= 100_000:
            return SEARCH_MS_AT_100K
        return PAGE_MS if entities <= 10_000 else None


def busiest_component() -> str:
    """The name of the component with the most relation rows."""
    from django.db.models import Count

    from catalog.models import Relation

    rows = Relation.objects.filter(source_ref__startswith="component:")
    row = rows.values("source_ref").annotate(n=Count("id")).order_by("-n", "source_ref")
    if not row:
        raise BenchError("no component with relations in the catalog")
    return str(row[0]["source_ref"]).partition("/")[2]


def build_figures(client: Any) -> list[Figure]:
    from django.http import QueryDict

    from catalog import listing
    from catalog.models import EntitySummary

    def page(key: str, url: str, expect: str) -> Figure:
        def call() -> bytes:
            response = client.get(url)
            if response.status_code != 200:
                raise BenchError(f"{url}: HTTP {response.status_code}")
            return bytes(response.content)

        return Figure(key, url, call, expect)

    def facets(key: str, query: str) -> Figure:
        choices = listing.Choices.from_query(QueryDict(query))
        what = f"listing.facet_counts(EntitySummary.objects.all(), {query!r})"
        rows = EntitySummary.objects.all
        return Figure(key, what, lambda: listing.facet_counts(rows(), choices), "flags")

    name = busiest_component()  # its team and system are hubs
    component, group = f"/catalog/default/component/{name}", "/catalog/default/group"
    return [
        page("list", "/catalog", "synth"),
        page("list_kind_lifecycle", f"/catalog?{CHOSEN}", "synth"),
        page("list_owner_sorted", f"/catalog?owner={TEAM}&sort=-updated", "synth"),
        facets("facet_counts", ""),
        facets("facet_counts_filtered", CHOSEN),
        page("entity_component", component, name),
        page("entity_group_org", f"{group}/synth-org", "synth-team-3"),
        page("entity_group_team", f"{group}/synth-team-1", "synth-team-1"),
        page("graph_depth2", f"{component}/graph?depth=2", name),
        page("search_name", f"/search?query={name}", name),
        page(
            "search_misspelt", f"/search?query={name[0]}{name[2:]}", name
        ),  # sc-…: 'v' dropped
        page("search_two_words", "/search?query=python+kafka", "result"),
    ]


def measure(figure: Figure, warmup: int, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        figure.call()
    load_before = wait_quiet()
    wall, cpu = [], []
    for _ in range(requests):
        c0, t0 = time.process_time(), time.perf_counter()
        figure.call()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    load_after = busy_cores()
    with CaptureQueriesContext(connection) as captured:  # apart: it adds work
        result = figure.call()
    if figure.expect not in (result.decode() if isinstance(result, bytes) else result):
        raise BenchError(f"{figure.what}: {figure.expect!r} not in the answer")
    queries = sorted(
        ((float(q["time"]) * 1000, q["sql"]) for q in captured), reverse=True
    )
    wall.sort()
    return {
        "label": LABELS[figure.key],
        "what": figure.what,
        "n": requests,
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(wall[round(0.95 * (requests - 1))], 1),
        "max_ms": round(wall[-1], 1),
        "python_cpu_mean_ms": round(statistics.fmean(cpu), 1),
        "background_cores_before": load_before,
        "background_cores_after": load_after,
        "queries": len(queries),
        "sql_ms": round(sum(ms for ms, _ in queries), 1),
        "slowest_queries": [{"ms": round(ms, 2), "sql": q} for ms, q in queries[:3]],
    }


def explain(figure: dict[str, Any]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the figure's slowest queries."""
    return [
        f"=== {figure['label']} ({figure['what']}): {query['ms']} ms when counted\n"
        f"{query['sql']}\n\n"
        + "\n".join(row[0] for row in sql(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}"))
        for query in figure["slowest_queries"]
    ]


def run_figures(args: argparse.Namespace, results: dict[str, Any]) -> list[str]:
    """Time every figure (or those of ``--only``); the plans ``--explain`` asks."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core.roles import grant_role

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    grant_role(user, "viewer")
    client = Client()
    client.force_login(user)
    plans = []
    for figure in build_figures(client):
        if args.only and figure.key not in args.only:
            continue
        found = measure(figure, args.warmup, args.requests)
        found["target_ms"] = target = figure.target_ms(args.entities)
        results["figures"][figure.key] = found
        log(
            f"{found['label']}: p50 {found['p50_ms']} ms, p95 {found['p95_ms']} ms, "
            f"{found['queries']} queries (SQL {found['sql_ms']} ms)"
        )
        if args.explain and target is not None and found["p95_ms"] > target:
            plans += explain(found)
    return plans


def format_table(results: dict[str, Any]) -> str:
    config, figures = results["config"], results["figures"].values()
    head = (
        f"{'figure':<46}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'n':>4}{'queries':>9}"
        f"{'SQL ms':>8}{'py CPU ms':>11}{'others':>9}{'target':>8}"
    )
    row = (
        "{label:<46}{p50_ms:>8.1f}{p95_ms:>8.1f}{max_ms:>8.1f}{n:>4}{queries:>9}"
        "{sql_ms:>8.0f}{python_cpu_mean_ms:>11.1f}{others:>9}{target:>8}  {verdict}"
    )
    lines = [f"Server time with {config['entities']:,} entities ({config['database']})"]
    lines += [head, "-" * len(head)]
    for f in figures:
        limit = f["target_ms"]
        verdict = "" if limit is None else "ok" if f["p95_ms"] <= limit else "MISSED"
        others = f"{f['background_cores_before']:.1f}/{f['background_cores_after']:.1f}"
        target = "-" if limit is None else f"<= {limit:.0f}"
        lines.append(row.format(**f, others=others, target=target, verdict=verdict))
    lines.append(
        "(SQL ms: the queries' own time on one counted request; py CPU ms: this "
        "process's CPU per request, mean; others: cores used by other processes "
        "in the second before / after timing)\n"
    )
    lines += [f"{figure['label']}: {figure['what']}" for figure in figures]
    if population := results.get("population"):
        lines.append(
            f"\nPopulation ({'this run' if results['populated_now'] else 'cached'}): "
            f"{population['populate_s']} s for {population['entities']:,} entities in "
            f"{population['locations']:,} locations; {population['relations']:,} "
            f"relations, {population['entity_fields']:,} field rows"
        )
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], table: str, plans: list[str]) -> Path:
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    base = RESULTS_DIR / f"{results['bench']}-{results['config']['entities']}-{stamp}"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    base.with_suffix(".txt").write_text(table)
    if plans:
        Path(f"{base}-plans.txt").write_text("\n\n".join(plans) + "\n")
    return base.with_suffix(".json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--entities", type=int, default=10_000, help="entities in the catalog")
    add("--rebuild", action="store_true", help="drop the database and fill it again")
    add("--warmup", type=int, default=5, help="untimed calls per figure")
    add("--requests", type=int, default=60, help="timed calls per figure")
    add("--only", type=lambda keys: keys.split(","), default=[], help="figure keys")
    add("--explain", action="store_true", help="EXPLAIN the slow queries of misses")
    args = parser.parse_args(argv)
    if args.entities % PER_REPO or args.entities < 2 * PER_REPO:
        parser.error(f"--entities: a multiple of {PER_REPO}, at least {2 * PER_REPO}")
    if args.requests < 1 or args.warmup < 0:
        parser.error("need --requests >= 1 and --warmup >= 0")
    return args


def new_results(bench: str, args: argparse.Namespace) -> dict[str, Any]:
    """The results of a run about to start: machine, code, configuration."""
    git = ["git", "-C", str(ROOT)]
    changed = run([*git, "status", "--porcelain", "catalog", "portal", "templates"])
    return {
        "bench": bench,
        "started": now(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "code": {
            "head": run([*git, "rev-parse", "--short", "HEAD"]).strip(),
            "uncommitted_files_in_catalog_portal_templates": len(changed.splitlines()),
        },
        "config": {"database": db_name(args.entities, bench), **vars(args)},
        "figures": {},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = new_results("web", args)
    plans: list[str] = []
    status = 0
    try:
        prepare(args.entities, args.rebuild, results)
        describe_database(results)
        plans = run_figures(args, results)
    except Exception as exc:
        status = 2 if isinstance(exc, BenchError) else 1
        results["error"] = str(exc) if status == 2 else traceback.format_exc(limit=8)
        log(f"ERROR: {results['error']}")
    results["finished"] = now()
    table = format_table(results)
    print(f"\n{table}")
    path = write_results(results, table, plans)
    log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
