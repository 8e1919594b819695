"""Migrations benchmark: how long each migration blocks reads, at 100,000 entities.

An upgrade applies the migrations a release adds to a live catalog. This script
fills a scratch PostgreSQL database at the head of the migrations, unapplies every
first-party app back to its first migration, then applies the migrations forward one
at a time, as ``manage.py migrate <app> <name>`` does, while a reader thread (its own
connection) reads every table of the apps in a tight loop, a writer thread updates
one row of each, and a third thread samples ``pg_locks`` for the migrating backend.

    .venv/bin/python bench/migrations.py                    # 100,000 entities
    .venv/bin/python bench/migrations.py --entities 10000   # a quick look

The database ``greenroom_bench_migrations`` (``--database``; PostgreSQL on
127.0.0.1:5432, user postgres) is dropped and recreated on each run. Results: a
printed table and ``bench/results/migrations-<N>-<date>.json``, ``.txt``. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import web  # bench/web.py, beside this script (bench/ is not a package)

ROOT, BenchError, log, sql = web.ROOT, web.BenchError, web.log, web.sql
PG, PER_REPO = web.PG, web.PER_REPO
TEMPLATE_LOCATIONS = 100  # crawled for real, then copied with SQL
APPS = ["audit", "catalog", "compliance", "techdocs", "webhooks"]  # first-party
KEEP = "bench_keep"  # schema holding the rows of the tables an unapply drops
READ_BLOCK_S = 2.0  # the "a few seconds", for every migration
LOCK_SAMPLE_S = 0.02
RELATIONS = "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
# Copies of the template get this suffix on every ref and name, so each copy is an
# organisation of its own: unique refs, its own teams, systems and facet sets.
SUFFIX = "'-x' || k"
REF_COLUMNS = {
    "ref",
    "owner_ref",
    "parent_ref",
    "source_ref",
    "target_ref",
    "entity_ref",
    "parent_entity_ref",
}
# The catalog tables copied from the template, parents before children.
COPIED = [
    "catalog_location",
    "catalog_facetset",
    "catalog_entity",
    "catalog_entityrevision",
    "catalog_crawlrun",
    "catalog_processingerror",
    "catalog_relation",
    "catalog_entityfield",
    "catalog_entitysummary",
    "catalog_entitytag",
    "catalog_entitybody",
]


# ---------------------------------------------------------------- filling


def columns(table: str, schema: str = "public") -> list[tuple[str, str]]:
    """(name, udt type) of a table's columns, in order."""
    return [
        (str(name), str(kind))
        for name, kind in sql(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            [schema, table],
        )
    ]


def primary_key(table: str) -> str | None:
    rows = sql(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
        "i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = %s::regclass "
        "AND i.indisprimary",
        [table],
    )
    return str(rows[0][0]) if rows else None


def foreign_keys(table: str) -> dict[str, str]:
    """Column -> the table it references (single-column keys)."""
    rows = sql(
        "SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND c.conrelid = %s::regclass",
        [table],
    )
    return {str(column): str(target) for column, target in rows}


def copy_expression(table: str, column: str, kind: str, offsets: dict[str, int]) -> str:
    """What copy ``k`` of the template writes in ``column``."""
    fks = foreign_keys(table)
    if column in fks and fks[column] in offsets:
        return f"{column} + k * {offsets[fks[column]]}"
    if column == primary_key(table):
        return f"{column} + k * {offsets[table]}"
    if kind == "uuid":  # the entity's uid and its revisions' entity_uid stay equal
        return f"md5({column}::text || {SUFFIX})::uuid"
    if column in REF_COLUMNS:
        blank = "''"
        if table == "catalog_facetset":  # (kind, namespace, owner_ref, ...) is unique
            return column
        return (
            f"CASE WHEN {column} = {blank} THEN {column} ELSE {column} || {SUFFIX} END"
        )
    if table == "catalog_facetset" and column == "namespace":
        return f"namespace || {SUFFIX}"
    if column == "name" and table in ("catalog_entity", "catalog_entitysummary"):
        return f"name || {SUFFIX}"
    if table == "catalog_location" and column == "url":
        return f"url || {SUFFIX}"
    if table == "catalog_entityfield" and column in ("value", "original"):
        looks_like_name = (
            f"(key = 'metadata.name' OR {column} ~ '^[a-z]+:[^/]+/') "
            f"AND length({column}) < 190"
        )
        return (
            f"CASE WHEN {looks_like_name} THEN {column} || {SUFFIX} ELSE {column} END"
        )
    return column


def reset_sequence(table: str) -> None:
    """Rows inserted with explicit ids: the next id comes after them."""
    serial = f"pg_get_serial_sequence('{table}', 'id')"
    sql(f"SELECT setval({serial}, max(id)) FROM {table}")


def copy_template(copies: int) -> None:
    """Copies 1 .. copies-1 of every catalog row, ids shifted past the template's."""
    offsets = {}
    for table in COPIED:
        key = primary_key(table)
        if key == "id":
            offsets[table] = int(sql(f"SELECT coalesce(max(id), 0) FROM {table}")[0][0])
    for table in COPIED:
        cols = columns(table)
        names = ", ".join(name for name, _ in cols)
        exprs = ", ".join(copy_expression(table, n, k, offsets) for n, k in cols)
        sql(
            f"INSERT INTO {table} ({names}) SELECT {exprs} FROM {table}, "
            f"generate_series(1, {copies - 1}) AS k"
        )
        if table in offsets:
            reset_sequence(table)
        log(f"fill: {table} copied {copies - 1} times")


def add_history() -> None:
    """A later 'changed' revision of every entity and ten crawl runs per location."""
    sql(
        "INSERT INTO catalog_entityrevision (entity_uid, ref, kind, action, owner_ref, "
        "repository, path, commit, descriptor, recorded_at, location_id) SELECT "
        "entity_uid, ref, kind, 'changed', owner_ref, repository, path, md5(commit), "
        "descriptor, recorded_at + interval '1 day', location_id "
        "FROM catalog_entityrevision"
    )
    sql(
        "INSERT INTO catalog_crawlrun (status, forced, commit, started_at, "
        "finished_at, added, changed, removed, unchanged, errors, error, location_id) "
        "SELECT "
        "CASE WHEN n = 1 THEN 'succeeded' ELSE 'unchanged' END, false, last_commit, "
        "now() - n * interval '1 hour', "
        "now() - n * interval '1 hour' + interval '90 ms', "
        "CASE WHEN n = 1 THEN 10 ELSE 0 END, 0, 0, CASE WHEN n = 1 THEN 0 ELSE 10 END, "
        "0, '', id FROM catalog_location, generate_series(1, 10) AS n"
    )


def add_techdocs(sites: int) -> None:
    """Docs sites for the first components: two builds each, ten indexed sections."""
    sql(
        "INSERT INTO techdocs_docssite (entity_ref, namespace, kind, name, repository, "
        "folder, updated_at, branch, location_id) SELECT ref, namespace, kind, name, "
        "'https://github.com/synth/docs-' || entity_id, '.', now(), '', "
        "(SELECT location_id FROM catalog_entity e WHERE e.id = s.entity_id) "
        f"FROM catalog_entitysummary s WHERE kind = 'component' ORDER BY entity_id "
        f"LIMIT {sites}"
    )
    sql(
        "INSERT INTO techdocs_docsbuild (status, commit, tree, created_at, started_at, "
        "finished_at, pages, log, error, site_id) SELECT status, md5(id || status), "
        "md5(id::text), now(), now(), now(), 10, 'INFO - Building documentation', "
        "'', id "
        "FROM techdocs_docssite, unnest(ARRAY['superseded', 'succeeded']) AS status"
    )
    sql(
        "UPDATE techdocs_docssite s SET current_id = b.id FROM techdocs_docsbuild b "
        "WHERE b.site_id = s.id AND b.status = 'succeeded'"
    )
    text = (
        "'Deploying ' || s.name || ' section ' || n || ': the service reads its "
        "configuration from the environment, talks to the queue through the client "
        "library, and exposes health and metrics endpoints. ' || repeat('Runbook step "
        "' || n || ' restarts the worker pool and checks the dashboards. ', 8)"
    )
    sql(
        "INSERT INTO techdocs_docssection (url, anchor, page_title, title, text, "
        "search_vector, title_vector, build_id, site_id) SELECT "
        "'page-' || (n / 3) || '/', 'section-' || n, s.name || ' guide', "
        f"'Section ' || n, t.text, to_tsvector('english', t.text), "
        "to_tsvector('english', 'Section ' || n), s.current_id, s.id "
        "FROM techdocs_docssite s, generate_series(1, 10) AS n, "
        f"LATERAL (SELECT {text} AS text) AS t"
    )


def add_webhooks(per_location: int) -> None:
    """A webhook per location, its recent deliveries and the crawls they queued."""
    sql(
        "INSERT INTO webhooks_webhook (uid, kind, owner_url, sealed_secret, "
        "previous_sealed_secret, host_hook_id, created_at, location_id) SELECT "
        "md5('hook' || id)::uuid, 'github', '', 'v1:' || repeat(md5(id::text), 3), '', "
        "'', now(), id FROM catalog_location"
    )
    push = (
        "jsonb_build_object('ref', 'refs/heads/main', 'before', md5('b' || h.id || n), "
        "'after', md5('a' || h.id || n), 'repository', jsonb_build_object('clone_url', "
        "'https://github.com/synth/repo-' || h.location_id), 'commits', "
        "jsonb_build_array(jsonb_build_object('id', md5('a' || h.id || n), 'modified', "
        "jsonb_build_array('catalog-info.yaml'), 'message', repeat('change ', 40))))"
    )
    sql(
        "INSERT INTO webhooks_delivery (received_at, delivery_id, dedupe_key, event, "
        "status_code, verdict, detail, repository, ref, commit, headers, push, "
        "processed_at, webhook_id, body_digest) SELECT now() - n * interval '1 hour', "
        "md5('d' || h.id || n)::uuid::text, md5('k' || h.id || n), 'push', 202, "
        "'crawled', '', 'https://github.com/synth/repo-' || h.location_id, "
        "'refs/heads/main', md5('a' || h.id || n), "
        "jsonb_build_object('X-GitHub-Event', "
        f"'push', 'User-Agent', 'GitHub-Hookshot/abc'), {push}, now(), h.id, "
        f"md5('body' || h.id || n) FROM webhooks_webhook h, generate_series(1, "
        f"{per_location}) AS n"
    )
    sql(
        "INSERT INTO webhooks_deliverycrawl (queued_at, delivery_id, location_id) "
        "SELECT d.received_at, d.id, h.location_id FROM webhooks_delivery d "
        "JOIN webhooks_webhook h ON h.id = d.webhook_id"
    )


def add_audit(entries: int) -> None:
    sql(
        "INSERT INTO audit_auditentry (at, actor, source, address, action, target, "
        "details) SELECT now() - n * interval '1 minute', 'admin', 'web', "
        "('10.0.0.' || (n % 250))::inet, "
        "(ARRAY['location.register', 'location.refresh', "
        "'token.create', 'webhook.rotate'])[1 + n % 4], 'location ' || n, "
        "jsonb_build_object('url', 'https://github.com/synth/repo-' || n) "
        f"FROM generate_series(1, {entries}) AS n"
    )


def fill(entities: int) -> dict[str, Any]:
    """Crawl a template organisation for real, then copy it to ``entities``."""
    from django.conf import settings

    from catalog.models import Location

    settings.GREENROOM_ON_ENTITIES_CHANGED = []  # scoring is not part of an upgrade
    start = time.monotonic()
    template = min(TEMPLATE_LOCATIONS, entities // PER_REPO)
    locations = Location.objects.bulk_create(
        Location(url=f"https://github.com/synth/repo-{i:05d}", path="catalog-info.yaml")
        for i in range(template)
    )
    for repo, location in enumerate(locations):
        web.fill_location(location, repo, template)
    add_history()
    sql(  # the API's stored bodies: every entity has been served once
        "INSERT INTO catalog_entitybody (entity_id, etag, text) "
        "SELECT id, etag, processed::text FROM catalog_entity"
    )
    log(f"fill: template of {template * PER_REPO:,} entities crawled")
    copy_template(entities // (template * PER_REPO))
    add_techdocs(entities // 10)
    add_webhooks(per_location=5)
    add_audit(entities // 5)
    sql("VACUUM (ANALYZE)")
    counts = {
        table: int(sql(f"SELECT count(*) FROM {table}")[0][0])
        for table in first_party_tables()
    }
    if counts["catalog_entity"] != entities:
        raise BenchError(f"filled {counts['catalog_entity']} of {entities} entities")
    return {"fill_s": round(time.monotonic() - start, 1), "rows": counts}


def first_party_tables(schema: str = "public") -> list[str]:
    prefixes = " OR ".join(f"tablename LIKE '{app}\\_%%'" for app in APPS)
    rows = sql(
        f"SELECT tablename FROM pg_tables WHERE schemaname = %s AND ({prefixes}) "
        "ORDER BY tablename",
        [schema],
    )
    return [str(row[0]) for row in rows]


# ------------------------------------------------- unapplying and topping up


def keep_dropped_tables() -> list[str]:
    """Copy aside the rows of the tables unapplying will drop."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    kept = [(app, name) for app, name in first_migrations() if name != "zero"]
    state = MigrationLoader(connection).project_state(kept)
    survivors = {model._meta.db_table for model in state.apps.get_models()}
    dropped = [t for t in first_party_tables() if t not in survivors]
    sql(f"DROP SCHEMA IF EXISTS {KEEP} CASCADE")
    sql(f"CREATE SCHEMA {KEEP}")
    for table in dropped + ["catalog_entitysummary"]:
        if not sql(f"SELECT to_regclass('{KEEP}.{table}')")[0][0]:
            sql(f"CREATE TABLE {KEEP}.{table} AS TABLE public.{table}")
    return dropped


def first_migrations() -> list[tuple[str, str]]:
    """Each app's first migration if it has no first-party dependency; else none."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(connection).graph
    targets = []
    for app in APPS:
        first = min(name for a, name in graph.nodes if a == app)
        parents = graph.node_map[(app, first)].parents
        standalone = not any(parent.key[0] in APPS for parent in parents)
        targets.append((app, first if standalone else "zero"))
    return targets


def unapply(results: dict[str, Any]) -> None:
    """Back to the first migrations; an irreversible one stops the run, named."""
    from django.core.management import call_command
    from django.db.migrations.exceptions import IrreversibleError

    timings = {}
    for app, target in first_migrations():
        start = time.monotonic()
        try:
            call_command("migrate", app, target, verbosity=0, interactive=False)
        except IrreversibleError as exc:
            raise BenchError(f"cannot unapply {app} to {target}: {exc}") from exc
        timings[f"{app} -> {target}"] = round(time.monotonic() - start, 2)
    results["unapply_s"] = timings


def top_up() -> list[str]:
    """Refill what the catalog would hold by now: tables recreated empty, columns."""
    from django.db import connection

    filled = []
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers
        try:
            for table in first_party_tables(KEEP):
                if sql(f"SELECT to_regclass('public.{table}')")[0][0] is None:
                    continue
                empty = f"SELECT NOT EXISTS (SELECT 1 FROM {{}}.{table})"
                if (
                    not sql(empty.format("public"))[0][0]
                    or sql(empty.format(KEEP))[0][0]
                ):
                    continue
                here = {name for name, _ in columns(table)}
                common = ", ".join(n for n, _ in columns(table, KEEP) if n in here)
                sql(
                    f"INSERT INTO public.{table} ({common}) "
                    f"SELECT {common} FROM {KEEP}.{table}"
                )
                if primary_key(table) == "id":
                    reset_sequence(table)
                filled.append(table)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    vector = {name for name, _ in columns("catalog_entity")} & {"search_vector"}
    if (
        vector
        and not sql(
            "SELECT EXISTS (SELECT 1 FROM catalog_entity "
            "WHERE search_vector IS NOT NULL)"
        )[0][0]
    ):
        sql(
            f"UPDATE catalog_entity e SET search_vector = s.search_vector FROM "
            f"{KEEP}.catalog_entitysummary s WHERE s.entity_id = e.id"
        )
        filled.append("catalog_entity.search_vector")
    for table in filled:
        sql(f"VACUUM (ANALYZE) {table.split('.')[0]}")
    return filled


# ------------------------------------------------------------- measuring


def connect(database: str) -> Any:
    import psycopg

    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    # No server-side prepared statements (Django uses none either): a prepared
    # SELECT fails once a migration changes the table's columns.
    return psycopg.connect(
        url, autocommit=True, prepare_threshold=None, application_name="bench-observer"
    )


@dataclass
class Probe:
    """One table's reads (or writes): a cheap statement and an indexed lookup."""

    table: str
    statements: list[tuple[str, list[Any]]]


def probes(write: bool) -> list[Probe]:
    """Reads for every first-party table with rows; writes where updates are allowed."""
    found = []
    for table in first_party_tables():
        key = primary_key(table)
        middle = f"OFFSET (SELECT count(*) / 2 FROM {table})"
        row = (
            sql(f"SELECT {key} FROM {table} ORDER BY {key} LIMIT 1 {middle}")
            if key
            else []
        )
        if not row or (write and table == "audit_auditentry"):  # append-only
            continue
        if write:
            statement = f"UPDATE {table} SET {key} = {key} WHERE {key} = %s"
            found.append(Probe(table, [(statement, [row[0][0]])]))
        else:
            lookup = f"SELECT * FROM {table} WHERE {key} = %s"
            found.append(
                Probe(
                    table,
                    [(f"SELECT 1 FROM {table} LIMIT 1", []), (lookup, [row[0][0]])],
                )
            )
    return found


@dataclass
class Observer:
    """A thread running its probes in a tight loop, keeping every latency."""

    database: str
    probes: list[Probe]
    samples: list[tuple[float, float, str]] = field(
        default_factory=list
    )  # start, s, table
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    pid: int = 0

    def run(self) -> None:
        with connect(self.database) as conn:
            self.pid = conn.info.backend_pid
            conn.execute("SET lock_timeout = '120s'")
            live = list(self.probes)
            while not self.stop.is_set() and live:
                for probe in list(live):
                    if not all(
                        self.timed(conn, probe.table, *s) for s in probe.statements
                    ):
                        live.remove(probe)

    def timed(self, conn: Any, table: str, statement: str, params: list[Any]) -> bool:
        """Run and time one statement; False if it failed (a failure waited too)."""
        start = time.perf_counter()
        try:
            conn.execute(statement, params)
        except Exception as exc:  # the table went away, or a lock timeout
            self.errors.append(f"{table}: {exc}")
            return False
        finally:
            self.samples.append((start, time.perf_counter() - start, table))
        return True

    def worst(self, start: float, end: float) -> tuple[float, str]:
        """The longest statement that overlapped [start, end], and its table."""
        overlapping = [
            (s, t) for at, s, t in self.samples if at < end and at + s > start
        ]
        return max(overlapping, default=(0.0, ""))


@dataclass
class LockSampler:
    """Samples the locks the migrating backend holds (every other backend but ours)."""

    database: str
    ours: set[int]
    seen: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        query = (
            "SELECT l.mode, c.relname FROM pg_locks l "
            "JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted AND "
            "l.database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) "
            "AND NOT l.pid = ANY(%s) AND c.relnamespace = 'public'::regnamespace "
            "AND l.pid <> pg_backend_pid()"
        )
        with connect(self.database) as conn:
            while not self.stop.is_set():
                now = time.perf_counter()
                for mode, relation in conn.execute(query, [list(self.ours)]).fetchall():
                    self.seen.setdefault((mode, relation), [now, now])[1] = now
                time.sleep(LOCK_SAMPLE_S)

    def held(
        self, start: float, end: float, existing: set[str]
    ) -> dict[str, dict[str, float]]:
        """Mode -> relation that ``existing`` names -> about how long it was held."""
        found: dict[str, dict[str, float]] = {}
        for (mode, relation), (first, last) in self.seen.items():
            if first <= end and last >= start and relation in existing:
                span = min(last, end) - max(first, start)
                found.setdefault(mode, {})[relation] = round(span, 2)
        return found


@contextmanager
def observed(database: str) -> Iterator[tuple[Observer, Observer, LockSampler]]:
    reader, writer = Observer(database, probes(False)), Observer(database, probes(True))
    threads = [threading.Thread(target=o.run, daemon=True) for o in (reader, writer)]
    for thread in threads:
        thread.start()
    while not (reader.pid and writer.pid):
        time.sleep(0.01)
    sampler = LockSampler(database, {reader.pid, writer.pid})
    threads.append(threading.Thread(target=sampler.run, daemon=True))
    threads[-1].start()
    time.sleep(0.3)  # every probe has run once: the first read is not a cold one
    try:
        yield reader, writer, sampler
    finally:
        for observer in (reader, writer, sampler):
            observer.stop.set()
        for thread in threads:
            thread.join(timeout=180)


def forward_plan() -> list[tuple[str, str]]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [
        (m.app_label, m.name)
        for m, backwards in plan
        if m.app_label in APPS and not backwards
    ]


def apply_one(database: str, app: str, name: str) -> dict[str, Any]:
    """Apply one migration under observation; its figures."""
    from django.core.management import call_command
    from django.db import connection

    topped = top_up()
    existing = {str(row[0]) for row in sql(RELATIONS)}  # new ones are nobody's yet
    connection.close()  # the migration gets a fresh backend, like a deploy's migrate
    with observed(database) as (reader, writer, sampler):
        start = time.perf_counter()
        call_command("migrate", app, name, verbosity=0, interactive=False)
        end = time.perf_counter()
        time.sleep(0.1)  # reads queued behind the commit finish
    read_s, read_table = reader.worst(start, end)
    write_s, write_table = writer.worst(start, end)
    locks = sampler.held(start, end, existing)
    return {
        "migration": f"{app}.{name}",
        "topped_up_before": topped,
        "duration_s": round(end - start, 3),
        "longest_read_s": round(read_s, 3),
        "longest_read_table": read_table,
        "reads": sum(1 for at, _, _ in reader.samples if start <= at <= end),
        "longest_write_s": round(write_s, 3),
        "longest_write_table": write_table,
        "access_exclusive": locks.get("AccessExclusiveLock", {}),
        "locks": locks,
        "observer_errors": reader.errors + writer.errors,
    }


# ------------------------------------------------------------- reporting


def format_table(results: dict[str, Any]) -> str:
    config = results["config"]
    head = (
        f"{'migration':<44}{'total s':>9}{'read blk s':>11}{'write blk s':>12}"
        f"{'target':>9}  AccessExclusiveLock held (s, sampled)"
    )
    lines = [
        f"Migrations applied one at a time on {config['entities']:,} entities "
        f"({config['database']})",
        head,
        "-" * len(head),
    ]
    for m in results["figures"].values():
        target = f"<= {READ_BLOCK_S}"
        verdict = "ok" if m["longest_read_s"] <= READ_BLOCK_S else "MISSED"
        held = (
            ", ".join(f"{t} {s}" for t, s in sorted(m["access_exclusive"].items()))
            or "-"
        )
        lines.append(
            f"{m['migration']:<44}{m['duration_s']:>9.2f}{m['longest_read_s']:>11.3f}"
            f"{m['longest_write_s']:>12.3f}{target:>9} {verdict:<7}{held}"
        )
    lines.append(
        "(read blk: the longest single read of any table during the migration; write "
        "blk: the same for a one-row UPDATE, information only)"
    )
    if fill_ := results.get("fill"):
        rows = fill_["rows"]
        lines.append(
            f"\nFill: {fill_['fill_s']} s; "
            + ", ".join(f"{t} {n:,}" for t, n in rows.items() if n)
        )
    if "total_s" in results:
        lines.append(f"Bench total: {results['total_s']} s")
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--entities", type=int, default=100_000, help="entities in the catalog")
    add("--database", default="greenroom_bench_migrations", help="scratch database")
    args = parser.parse_args(argv)
    unit = TEMPLATE_LOCATIONS * PER_REPO
    if args.entities % unit:
        parser.error(f"--entities: a multiple of {unit}")
    return args


def measure(args: argparse.Namespace, results: dict[str, Any]) -> None:
    log(f"database {args.database}: recreating, migrating to the head")
    web.run(["dropdb", *PG, "--if-exists", "--force", args.database])
    web.run(["createdb", *PG, args.database])
    env = web.setup_django(args.database)
    web.run([sys.executable, "manage.py", "migrate", "--noinput"], env=env)
    log(f"filling {args.entities:,} entities")
    results["fill"] = fill(args.entities)
    log(f"filled in {results['fill']['fill_s']} s")
    results["kept_tables"] = keep_dropped_tables()
    log("unapplying to the first migrations")
    unapply(results)
    plan = forward_plan()
    results["plan"] = [f"{app}.{name}" for app, name in plan]
    for app, name in plan:
        figure = apply_one(args.database, app, name)
        results["figures"][figure["migration"]] = figure
        log(
            f"{figure['migration']}: {figure['duration_s']} s, longest read "
            f"{figure['longest_read_s']} s ({figure['longest_read_table']})"
        )
    sql(f"DROP SCHEMA {KEEP} CASCADE")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = web.new_results("migrations", args)
    results["config"]["database"] = args.database
    results["target_read_block_s"] = READ_BLOCK_S
    status, start = 0, time.monotonic()
    try:
        measure(args, results)
    except Exception as exc:
        status = 2 if isinstance(exc, BenchError) else 1
        results["error"] = str(exc) if status == 2 else traceback.format_exc(limit=8)
        log(f"ERROR: {results['error']}")
    results["total_s"] = round(time.monotonic() - start, 1)
    results["finished"] = web.now()
    table = format_table(results)
    print(f"\n{table}")
    path = web.write_results(results, table, [])
    log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
