"""Scale benchmark: the catalog at 1,000,000 entities on one machine.

Fills (once) ``greenroom_bench_million_<N>`` through the crawl's own apply path
(``read_location`` and ``apply_read`` on each location's descriptor file, in
``--processes`` processes): about 20 kinds and types, 2,000 groups under 20
departments, 5,000 users, tags, lifecycles, systems and relations between
neighbours, 100 entities a location, then a second revision of 5% of them. Then it
starts ``gunicorn portal.wsgi`` with production settings and times, with one
client and with ``--concurrency``, the requests of issue 20's table:

- a list of 50 components; a by-query total with a filter; facets of spec.type
  and metadata.tags; by-query ordered by metadata.name with an OR of two
  filters, pages 1 and 100;
- the /catalog page with two facets chosen; /search by a name, misspelt, and two
  words;
- a change in one location applied while 1,000,000 are stored, until the API
  shows it (p95 of 20);
- database size per entity, and the web workers' RSS.

    .venv/bin/python bench/million.py                          # 1,000,000 entities
    .venv/bin/python bench/million.py --entities 20000 --requests 200   # a try

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth). Results: a printed
table and ``bench/results/million-<N>-<date>.json``, ``.txt``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import api  # bench/api.py: the server, the clients and the timing
import web  # bench/web.py: the database, Django, results

ROOT, BenchError, log, sql = web.ROOT, web.BenchError, web.log, web.sql
PER_LOCATION = 100
DEPARTMENTS, TEAMS, USERS = 20, 2000, 5000
KINDS = [  # (kind, type): 20 of them, the commonest first
    ("Component", "service"),
    ("Component", "website"),
    ("Component", "library"),
    ("Component", "worker"),
    ("Component", "job"),
    ("Component", "cli"),
    ("API", "openapi"),
    ("API", "asyncapi"),
    ("API", "graphql"),
    ("API", "grpc"),
    ("Resource", "database"),
    ("Resource", "queue"),
    ("Resource", "s3-bucket"),
    ("Resource", "cache"),
    ("Resource", "topic"),
    ("Resource", "cluster"),
    ("Component", "pipeline"),
    ("Component", "sdk"),
    ("API", "trpc"),
    ("Resource", "secret-store"),
]
WEIGHTS = [20, 10, 10, 6, 4, 2, 12, 4, 3, 2, 6, 4, 4, 3, 3, 2, 2, 1, 1, 1]
LIFECYCLES = ["production", "experimental", "deprecated"]
TAGS = [f"tag-{i:03d}" for i in range(200)]
SYSTEMS = 500
REVISED = 0.05
STATE = "bench_million_state"
REFERENCE = {  # Backstage's maintainers, 739,000 entities (issue 20)
    "list": ("22.6 ms", 10.0),
    "count": ("452 ms", 50.0),
    "facets": ("632 ms", 100.0),
    "or_page_1": ("2.76 s", 100.0),
    "or_page_100": ("2.76 s", 100.0),
    "catalog_page": ("-", 150.0),
    "search_name": ("-", 50.0),
    "search_misspelt": ("-", 50.0),
    "search_words": ("-", 50.0),
}


# --- the organisation ----------------------------------------------------------


def _doc(kind: str, name: str, spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, **meta},
        "spec": spec,
    }


def foundation() -> list[dict[str, Any]]:
    """The org, its departments and teams, users, domains and systems."""
    docs = [_doc("Group", "org", {"type": "organization", "children": []})]
    docs += [
        _doc(
            "Group",
            f"dept-{d:02d}",
            {"type": "department", "parent": "org", "children": []},
        )
        for d in range(DEPARTMENTS)
    ]
    docs += [
        _doc(
            "Group",
            f"team-{t:04d}",
            {"type": "team", "parent": f"dept-{t % DEPARTMENTS:02d}", "children": []},
        )
        for t in range(TEAMS)
    ]
    docs += [
        _doc(
            "User",
            f"user-{u:04d}",
            {
                "profile": {"email": f"user-{u:04d}@acme.test"},
                "memberOf": [f"team-{u % TEAMS:04d}"],
            },
        )
        for u in range(USERS)
    ]
    docs += [
        _doc("Domain", f"domain-{d:02d}", {"owner": f"dept-{d:02d}"})
        for d in range(DEPARTMENTS)
    ]
    docs += [
        _doc(
            "System",
            f"system-{s:03d}",
            {
                "owner": f"team-{s % TEAMS:04d}",
                "domain": f"domain-{s % DEPARTMENTS:02d}",
            },
        )
        for s in range(SYSTEMS)
    ]
    return docs


def _kind_of(index: int) -> tuple[str, str]:
    # Deterministic and weighted: the same entity gets the same kind every run.
    point = int(hashlib.sha1(str(index).encode()).hexdigest()[:8], 16) % sum(WEIGHTS)
    for (kind, type_), weight in zip(KINDS, WEIGHTS, strict=True):
        if point < weight:
            return kind, type_
        point -= weight
    return KINDS[0]


def location_documents(number: int, revision: int = 0) -> list[dict[str, Any]]:
    """The PER_LOCATION entities of location ``number`` (revision 1: changed)."""
    docs = []
    base = number * PER_LOCATION
    for slot in range(PER_LOCATION):
        index = base + slot
        kind, type_ = _kind_of(index)
        name = f"{kind.lower()[:3]}-{index:07d}"
        team = f"team-{(index // 7) % TEAMS:04d}"
        spec: dict[str, Any] = {
            "type": type_,
            "lifecycle": LIFECYCLES[index % 3],
            "owner": team,
            "system": f"system-{(index // 50) % SYSTEMS:03d}",
        }
        if kind == "Component":
            neighbour = base + (slot + 1) % PER_LOCATION
            spec["dependsOn"] = [f"resource:res-{neighbour:07d}"]
            spec["providesApis"] = [f"api-{base + (slot + 3) % PER_LOCATION:07d}"]
        elif kind == "API":
            spec["definition"] = f"openapi: 3.0.0\ninfo: {{title: {name}}}\n"
        description = f"The {type_} {name} of {team}"
        if revision:
            description += f", revised ({revision})"
        docs.append(
            _doc(
                kind,
                name,
                spec,
                title=name.replace("-", " ").title(),
                description=description,
                tags=[TAGS[index % 200], TAGS[(index * 7) % 200]],
            )
        )
    return docs


# --- filling it through the apply path --------------------------------------------


def apply_documents(location: Any, docs: list[dict[str, Any]]) -> Any:
    from django.conf import settings

    from catalog.ingest import apply, reader, sync
    from demo import documents

    tree = web.MemoryTree(documents.dump_fast(docs))
    commit = hashlib.sha1(tree.data).hexdigest()
    read = reader.read_location(
        tree,
        tree.path,
        limits=sync.limits(),
        max_files=settings.GREENROOM_MAX_FILES_PER_LOCATION,
        max_entities=settings.GREENROOM_MAX_ENTITIES_PER_LOCATION,
    )
    return apply.apply_read(location, commit=commit, branch="main", read=read)


def _fill(task: tuple[int, int, list[int]]) -> int:
    """In a child process: apply locations ``numbers`` (revision ``revision``)."""
    revision, offset, numbers = task
    from catalog.models import Location

    locations = Location.objects.in_bulk([offset + n for n in numbers])
    for n in numbers:
        apply_documents(locations[offset + n], location_documents(n, revision))
    return len(numbers)


def _child_start() -> None:
    from django.db import connections

    connections.close_all()  # each process its own connection


def populate(entities: int, processes: int) -> dict[str, Any]:
    from django.apps import apps
    from django.conf import settings
    from django.db import connections

    from catalog.models import Entity, EntityRevision, Location

    settings.GREENROOM_ON_ENTITIES_CHANGED = []  # scoring is not what is measured
    models = apps.get_app_config("catalog").get_models()
    tables = ", ".join([STATE, *(f'"{m._meta.db_table}"' for m in models)])
    sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    start = time.monotonic()
    people = foundation()
    chunks = [people[i : i + 1000] for i in range(0, len(people), 1000)]
    for i, chunk in enumerate(chunks):
        location = Location.objects.create(url=f"https://github.com/acme/org-{i}")
        apply_documents(location, chunk)
    count = (entities - len(people)) // PER_LOCATION
    first = Location.objects.bulk_create(
        Location(url=f"https://github.com/acme/repo-{n:05d}") for n in range(count)
    )[0].pk
    connections.close_all()
    context = multiprocessing.get_context("fork")
    batches = [list(range(i, min(i + 20, count))) for i in range(0, count, 20)]
    done, reported = 0, time.monotonic()
    with context.Pool(processes, initializer=_child_start) as pool:
        for n in pool.imap_unordered(_fill, [(0, first, b) for b in batches]):
            done += n
            if time.monotonic() - reported > 30:
                reported = time.monotonic()
                rate = done / (reported - start)
                log(
                    f"filled {done:,}/{count:,} locations, "
                    f"about {(count - done) / rate:.0f} s left"
                )
        revised = [n for n in range(count) if n % round(1 / REVISED) == 0]
        second = [revised[i : i + 20] for i in range(0, len(revised), 20)]
        for _ in pool.imap_unordered(_fill, [(1, first, b) for b in second]):
            pass
    filled_s = time.monotonic() - start
    sql("VACUUM (ANALYZE)")
    return {
        "entities": Entity.objects.count(),
        "locations": Location.objects.count(),
        "revisions": EntityRevision.objects.count(),
        "populate_s": round(filled_s, 1),
        "processes": processes,
        "first_location": first,
    }


def prepare(args: argparse.Namespace, results: dict[str, Any]) -> None:
    database = results["config"]["database"]
    migrated = web.ensure_database(database, web.setup_django(database), args.rebuild)
    results["migrations_applied_now"] = migrated
    sql(f"CREATE TABLE IF NOT EXISTS {STATE} (key text PRIMARY KEY, value jsonb)")
    rows = sql(f"SELECT value::text FROM {STATE} WHERE key = 'populated'")
    state = json.loads(rows[0][0]) if rows else {}
    if state.get("wanted") != args.entities:
        log(f"populating {args.entities:,} entities with {args.processes} processes")
        state = {**populate(args.entities, args.processes), "wanted": args.entities}
        sql(f"CREATE TABLE IF NOT EXISTS {STATE} (key text PRIMARY KEY, value jsonb)")
        sql(f"INSERT INTO {STATE} VALUES ('populated', %s)", [json.dumps(state)])
        log(f"populated in {state['populate_s']} s")
    results["population"] = state
    size = sql("SELECT pg_database_size(current_database())")[0][0]
    results["database_bytes"] = size
    results["bytes_per_entity"] = round(size / max(state["entities"], 1))


# --- the figures -----------------------------------------------------------------


class SessionClient(api.Client):
    """api.Client for pages: a session cookie instead of the token ("s:<key>")."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(port, token)
        if token.startswith("s:"):
            self.headers = {"Cookie": f"sessionid={token[2:]}", "Accept": "text/html"}


def session_key() -> str:
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username=api.USER)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"s:{session.session_key}"


def figures() -> list[tuple[api.Figure, bool]]:
    """(figure, is a page) for each row of the table."""
    from catalog.models import Entity

    components = Entity.objects.filter(kind="Component").order_by("ref")
    name = components.values_list("name", flat=True)[components.count() // 2]

    def get(path: str, query: dict[str, Any] | list[tuple[str, str]]) -> api.Call:
        return api.Call("GET", f"{path}?{urlencode(query)}")

    def items(count: int) -> Any:
        def check(answer: Any) -> str:
            found = answer if isinstance(answer, list) else answer["items"]
            api.expect(len(found) == count, f"{len(found)} items, not {count}")
            total = answer.get("totalItems") if isinstance(answer, dict) else None
            return f"{len(found)} items" + (f", totalItems {total}" if total else "")

        return check

    def facets(answer: Any) -> str:
        found = answer["facets"]
        api.expect(len(found["metadata.tags"]) > 100, "fewer tags than made")
        return f"{len(found['spec.type'])} types, {len(found['metadata.tags'])} tags"

    def page(answer: Any) -> str:
        return "a page"

    catalog = "/api/catalog"
    either = [
        ("filter", "kind=component,spec.type=service"),
        ("filter", "kind=api,spec.type=openapi"),
        ("orderField", "metadata.name,asc"),
        ("limit", "50"),
    ]
    return [
        (
            api.Figure(
                "list",
                "list, kind=component, 50",
                get(f"{catalog}/entities", {"filter": "kind=component", "limit": 50}),
                items(50),
            ),
            False,
        ),
        (
            api.Figure(
                "count",
                "by-query total, with a filter",
                get(
                    f"{catalog}/entities/by-query",
                    {"filter": "kind=component,spec.type=service", "limit": 1},
                ),
                items(1),
            ),
            False,
        ),
        (
            api.Figure(
                "facets",
                "facets spec.type, metadata.tags",
                get(
                    f"{catalog}/entity-facets",
                    [("facet", "spec.type"), ("facet", "metadata.tags")],
                ),
                facets,
            ),
            False,
        ),
        (
            api.Figure(
                "or_page_1",
                "OR of 2 filters by name, page 1",
                get(f"{catalog}/entities/by-query", either),
                items(50),
            ),
            False,
        ),
        (
            api.Figure(
                "or_page_100",
                "OR of 2 filters by name, page 100",
                get(f"{catalog}/entities/by-query", [*either, ("offset", "4950")]),
                items(50),
            ),
            False,
        ),
        (
            api.Figure(
                "catalog_page",
                "/catalog, two facets chosen",
                get("/catalog", {"kind": "component", "type": "service"}),
                page,
            ),
            True,
        ),
        (
            api.Figure(
                "search_name", "/search, a name", get("/search", {"query": name}), page
            ),
            True,
        ),
        (
            api.Figure(
                "search_misspelt",
                "/search, misspelt",
                get("/search", {"query": name[:-2] + name[-1] + name[-2]}),
                page,
            ),
            True,
        ),
        (
            api.Figure(
                "search_words",
                "/search, two words",
                get("/search", {"query": "service team"}),
                page,
            ),
            True,
        ),
    ]


def change_to_visible(results: dict[str, Any], server: api.Server, token: str) -> None:
    """A location's descriptor changes and is applied (the crawl's apply path, as
    a worker would, here in this process); seconds until the API shows it."""
    from catalog.models import Location

    first = results["population"]["first_location"]
    client = api.Client(server.port, token)
    times = []
    count = Location.objects.filter(pk__gte=first).count()
    for attempt in range(20):
        number = (1000 + attempt * 37) % count
        # One entity's description changes; its 99 neighbours stay as they were.
        stored = 1 if number % round(1 / REVISED) == 0 else 0  # as populate left it
        docs = location_documents(number, revision=stored)
        docs[0]["metadata"]["description"] += f", revised ({100 + attempt})"
        name = docs[0]["metadata"]["name"]
        kind = docs[0]["kind"].lower()
        path = f"/api/catalog/entities/by-name/{kind}/default/{name}"
        start = time.perf_counter()
        apply_documents(Location.objects.get(pk=first + number), docs)
        while (
            f"revised ({100 + attempt})"
            not in client.send(api.Call("GET", path)).decode()
        ):
            time.sleep(0.005)
        times.append((time.perf_counter() - start) * 1000)
    client.connection.close()
    results["change_to_visible"] = api.percentiles(times)
    log(f"change to visible: {results['change_to_visible']}")


def run(
    args: argparse.Namespace, server: api.Server, token: str, results: dict[str, Any]
) -> None:
    pages = session_key()
    api.Client = SessionClient  # type: ignore[misc]  # run_single/_concurrent make them
    for figure, is_page in figures():
        credential = pages if is_page else token
        client = SessionClient(server.port, credential)
        body = client.send(figure.call)
        client.connection.close()
        answer = body.decode() if is_page else json.loads(body)
        if figure.key == "or_page_100" and not answer["items"]:
            # Fewer than 5,000 matches: a small catalog has no page 100.
            results["skipped"] = "OR page 100: fewer than 5,000 matches"
            log(results["skipped"])
            continue
        found: dict[str, Any] = {
            "label": figure.label,
            "call": str(figure.call),
            "answer": figure.check(answer),
        }
        found["single"] = api.run_single(figure, server, credential, args)
        found["concurrent"] = api.run_concurrent(figure, server, credential, args)
        log(
            f"{figure.label}: {api.brief(found['single'])}; "
            f"{args.concurrency} clients: {api.brief(found['concurrent'])}"
        )
        results["figures"][figure.key] = found
    change_to_visible(results, server, token)


def table(results: dict[str, Any]) -> str:
    config = results["config"]
    rps = f"req/s @{config['concurrency']}"
    lines = [
        f"{results['population'].get('entities', 0):,} entities "
        f"({config['database']}), gunicorn {config['workers']} x "
        f"{config['worker_class']}, {config['threads']} thread(s); "
        f"{config['requests']:,} requests per figure",
        f"{'figure':<36}{'p50 ms':>9}{'p95 ms':>9}{rps:>10}"
        f"{'Backstage@739k':>16}{'target p95':>12}",
    ]
    for key, figure in results["figures"].items():
        reference, target = REFERENCE[key]
        single, many = figure["single"], figure["concurrent"]
        verdict = "ok" if single["p95_ms"] <= target else "MISSED"
        lines.append(
            f"{figure['label']:<36}{single['p50_ms']:>9.2f}{single['p95_ms']:>9.2f}"
            f"{many['rps']:>10.0f}{reference:>16}{'<= ' + str(target):>12}  {verdict}"
        )
    if change := results.get("change_to_visible"):
        verdict = "ok" if change["p95_ms"] <= 1000 else "MISSED"
        lines.append(
            f"{'a change applied -> in the API':<36}{change['p50_ms']:>9.1f}"
            f"{change['p95_ms']:>9.1f}{'':>10}{'-':>16}{'<= 1000':>12}  {verdict}"
        )
    if "bytes_per_entity" in results:
        lines.append(
            f"database {results['database_bytes'] / 2**30:.2f} GiB, "
            f"{results['bytes_per_entity']:,} bytes per entity (tables + indexes)"
        )
    if memory := results.get("memory"):
        lines.append(f"web worker RSS: max {memory['max_worker_rss_mb']} MB")
    if results.get("skipped"):
        lines.append(f"skipped: {results['skipped']}")
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--entities", type=int, default=1_000_000)
    add("--processes", type=int, default=2, help="processes filling the catalog")
    add("--rebuild", action="store_true", help="drop the database and fill it again")
    add("--requests", type=int, default=500, help="timed requests per figure and mode")
    add("--concurrency", type=int, default=8)
    add("--warmup", type=int, default=20)
    add("--workers", type=int, default=2, help="gunicorn worker processes")
    add("--worker-class", default="gthread", choices=["gthread", "sync"])
    add("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.entities < 20_000:
        parser.error("--entities: at least 20,000 (the organisation alone is 7,541)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = web.new_results("million", args)
    status, server = 0, None
    try:
        prepare(args, results)
        token = api.read_token()
        # Pages need the static files' manifest, as in production.
        os.environ["GREENROOM_STATIC_ROOT"] = tempfile.mkdtemp(prefix="bench-static-")
        web.run([sys.executable, "manage.py", "collectstatic", "--noinput"])
        log_path = Path(tempfile.gettempdir()) / f"bench-million-{os.getpid()}.log"
        server = api.start_server(args, log_path)
        run(args, server, token, results)
        results["memory"] = api.server_memory(server)
    except Exception as exc:
        status = 2 if isinstance(exc, BenchError) else 1
        results["error"] = str(exc) if status == 2 else traceback.format_exc(limit=8)
        log(f"ERROR: {results['error']}")
    finally:
        if server is not None:
            server.stop()
    results["finished"] = web.now()
    text = table(results)
    print(f"\n{text}")
    path = web.write_results(results, text, [])
    log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
