"""Providers benchmark: an LDAP organisation of 10,000 people on a real slapd.

A real OpenLDAP server (tests/support/slapd.py) starts with ``--users``
inetOrgPerson users and ``--teams`` groupOfNames groups nested three levels deep
(departments > teams > sub-teams, every user in one or two teams:
tests/support/ldif.py's ``nested_organisation``). An LDAP provider reads it into a
scratch PostgreSQL database, in this process (tasks run eagerly, as with no
broker). Then:

* ``people.sources.ldap.read(provider)`` alone, ``--reads`` times;
* the first run (``people.runs.run_provider``: everything added), its read and its
  apply timed apart;
* a second run with nothing changed: status unchanged, nothing written but the
  run's own record;
* a run after 1% of the users are deleted (and taken out of their groups, as
  OpenLDAP's refint overlay would) and 1% of the memberships moved to another
  team: its removed and changed counts against the expected ones, and the SQL
  queries its apply made (``CaptureQueriesContext``);
* the process's peak RSS after each step (``getrusage``) and the database size of
  the catalog's tables, which hold only the provider's entities here.

    .venv/bin/python bench/providers.py                           # 10,000 / 500
    .venv/bin/python bench/providers.py --users 1000 --teams 50

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Debian's slapd.
Drops and recreates ``greenroom_bench_providers``. Results: a printed table and
``bench/results/providers-<date>.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
DB_NAME = "greenroom_bench_providers"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def process_peak_mb(pid: int) -> float | None:
    """Another process's peak resident set (VmHWM), if /proc shows it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


class Probe:
    """Times the read and the apply inside `run_provider`, and counts the SQL
    statements each run sends by kind. It wraps the two calls a run makes
    (people.sources.ldap.read, people.runs.apply_provided) without changing what
    they do; `capture_apply` also records the apply's queries with Django's
    CaptureQueriesContext."""

    def __init__(self) -> None:
        self.read_s = 0.0
        self.apply_s = 0.0
        self.apply_peak_rss_mb = 0.0
        self.capture_apply = False
        self.apply_queries: list[dict[str, Any]] = []
        self.statements: Counter[str] = Counter()

    def install(self) -> Callable[[Any], Any]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from catalog.ingest.provided import apply_provided
        from people import runs
        from people.sources import ldap

        real_read: Callable[[Any], Any] = ldap.read
        real_apply = apply_provided  # what people.runs calls by that name

        def read(provider: Any) -> Any:
            started = time.monotonic()
            try:
                return real_read(provider)
            finally:
                self.read_s = time.monotonic() - started

        def apply(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                if not self.capture_apply:
                    return real_apply(*args, **kwargs)
                with CaptureQueriesContext(connection) as captured:
                    result = real_apply(*args, **kwargs)
                self.apply_queries = list(captured.captured_queries)
                return result
            finally:
                self.apply_s = time.monotonic() - started
                self.apply_peak_rss_mb = peak_rss_mb()

        # run_provider finds its reader by name (people.runs.reader) on each run.
        ldap.read = read
        setattr(runs, "apply_provided", apply)  # noqa: B010 (mypy: not re-exported)
        return real_read

    def reset(self) -> None:
        self.read_s = self.apply_s = 0.0
        self.apply_queries = []
        self.statements = Counter()

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Count every statement sent (by its first word), storing none."""
        from django.db import connection

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            self.statements[statement_kind(sql)] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            yield


def statement_kind(sql: str) -> str:
    words = sql.lstrip().split(None, 1)
    return words[0].upper() if words else "?"


def by_kind(queries: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(statement_kind(query["sql"]) for query in queries))


def tables_written(queries: list[dict[str, Any]]) -> dict[str, int]:
    """The tables that INSERT, UPDATE and DELETE statements name, with counts."""
    written: Counter[str] = Counter()
    for query in queries:
        words = query["sql"].replace('"', " ").split()
        kind = words[0].upper() if words else ""
        target = {"INSERT": 2, "UPDATE": 1, "DELETE": 2}.get(kind)
        if target is not None and len(words) > target:
            written[f"{kind} {words[target]}"] += 1
    return dict(written)


def memberships(entries: list[Any]) -> dict[str, set[str]]:
    """Each group's user members (DNs), from the generated entries."""
    from tests.support.ldif import PEOPLE

    found: dict[str, set[str]] = {}
    for entry in entries:
        if "groupOfNames" in entry.attributes.get("objectClass", []):
            found[entry.dn] = {
                str(member)
                for member in entry.attributes["member"]
                if str(member).endswith(PEOPLE)
            }
    return found


def change_directory(
    slapd: Any, entries: list[Any], share: float, seed: int
) -> dict[str, Any]:
    """Delete `share` of the users (and take them out of their groups), move
    `share` of the memberships to a team the user is not in; what should change."""
    import ldap3

    from tests.support.ldif import PEOPLE

    rng = random.Random(seed)
    groups = memberships(entries)
    users = sorted(
        entry.dn for entry in entries if entry.dn.endswith(f",{PEOPLE}")
    )  # fmt: skip
    total = sum(len(members) for members in groups.values())
    deleted = set(rng.sample(users, max(1, round(len(users) * share))))
    removes: dict[str, set[str]] = {dn: set() for dn in groups}
    adds: dict[str, set[str]] = {dn: set() for dn in groups}
    for group, members in groups.items():
        removes[group] |= members & deleted
    moved: set[str] = set()
    wanted = max(1, round(total * share))
    pairs = sorted(
        (group, member)
        for group, members in groups.items()
        for member in members
        if member not in deleted
    )
    rng.shuffle(pairs)
    # Moved into a team or sub-team, never into a department (which has no people).
    team_dns = sorted(dn for dn, members in groups.items() if members)
    for group, member in pairs:
        if len(moved) == wanted:
            break
        left = groups[group] - removes[group] | adds[group]
        if member in moved or len(left) <= 1:
            continue  # a groupOfNames keeps at least one member
        targets = [dn for dn in team_dns if dn != group and member not in groups[dn]]
        if not targets:
            continue
        target = rng.choice(targets)
        removes[group].add(member)
        adds[target].add(member)
        moved.add(member)
    touched = sorted(dn for dn in groups if removes[dn] or adds[dn])
    for dn in touched:
        changes: list[tuple[str, list[str]]] = []
        if removes[dn]:
            changes.append((ldap3.MODIFY_DELETE, sorted(removes[dn])))
        if adds[dn]:
            changes.append((ldap3.MODIFY_ADD, sorted(adds[dn])))
        slapd.modify(dn, {"member": changes})
    slapd.delete(*sorted(deleted))
    return {
        "users_deleted": len(deleted),
        "memberships": total,
        "memberships_of_deleted_users": sum(
            len(members & deleted) for members in groups.values()
        ),
        "memberships_moved": len(moved),
        "groups_touched": len(touched),
        # Each moved user's memberOf changes, and each touched group's members.
        "expected_changed": len(moved) + len(touched),
        "expected_removed": len(deleted),
    }


def database_sizes() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "ORDER BY 2 DESC"
        )
        sizes = cursor.fetchall()
        cursor.execute("SELECT pg_database_size(current_database())")
        (database,) = cursor.fetchone()
    mib = 1024 * 1024
    catalog = sum(size for name, size in sizes if name.startswith("catalog_"))
    return {
        "catalog_tables_mb": round(catalog / mib, 1),
        "all_tables_mb": round(sum(size for _, size in sizes) / mib, 1),
        "database_mb": round(database / mib, 1),
        "largest_tables_mb": {name: round(size / mib, 1) for name, size in sizes[:8]},
    }


def row_counts() -> dict[str, int]:
    from catalog.models import Entity, EntityField, EntityRevision, Relation

    return {
        "users": Entity.objects.filter(kind="User").count(),
        "groups": Entity.objects.filter(kind="Group").count(),
        "revisions": EntityRevision.objects.count(),
        "relations": Relation.objects.count(),
        "fields": EntityField.objects.count(),
    }


def run_figures(run: Any, probe: Probe, total: float) -> dict[str, Any]:
    return {
        "status": str(run.status),
        "total_s": round(total, 2),
        "read_s": round(probe.read_s, 2),
        "apply_s": round(probe.apply_s, 2),
        # The fingerprint, the run's record and the work queued on commit (eager).
        "rest_s": round(total - probe.read_s - probe.apply_s, 2),
        "people": run.people,
        "teams": run.teams,
        "added": run.added,
        "changed": run.changed,
        "removed": run.removed,
        "unchanged": run.unchanged,
        "errors": run.errors,
        "notes": len(run.notes),
        "statements": dict(probe.statements),
        "peak_rss_mb_after_apply": probe.apply_peak_rss_mb,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--reads", type=int, default=3, help="reads timed alone")
    parser.add_argument("--change", type=float, default=0.01, help="share changed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-providers-"))
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "SECRET_KEY": "bench-only-not-a-secret",
        "GREENROOM_DATA_DIR": str(work / "data"),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    os.environ.pop("CELERY_BROKER_URL", None)  # no broker: tasks run eagerly here
    os.environ.update(env)
    results: dict[str, Any] = {
        "bench": "providers",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "users": args.users,
        "teams": args.teams,
        "change_share": args.change,
        "seed": args.seed,
    }
    slapd = None
    try:
        log("database")
        conn = ["-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(["dropdb", *conn, "--if-exists", "--force", DB_NAME], check=True)
        subprocess.run(["createdb", *conn, DB_NAME], check=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT,
                       env=os.environ, check=True)  # fmt: skip
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from catalog.models import EntityRevision
        from people.providers import create_provider
        from people.runs import run_provider
        from tests.support.ldif import READER_PASSWORD, nested_organisation
        from tests.support.slapd import Slapd

        probe = Probe()
        real_read = probe.install()
        results["peak_rss_mb_after_setup"] = peak_rss_mb()

        log(f"slapd with {args.users} users and {args.teams} groups")
        started = time.monotonic()
        entries = nested_organisation(args.users, args.teams, seed=args.seed)
        groups = memberships(entries)
        slapd = Slapd(entries)
        results["directory"] = {
            "entries": len(entries),
            "memberships": sum(len(members) for members in groups.values()),
            "load_s": round(time.monotonic() - started, 1),
        }
        provider = create_provider(
            name="bench-ldap",
            kind="ldap",
            scope=slapd.url,
            settings=slapd.settings(
                group_attributes={"type": "businessCategory"}, timeout=60
            ),
            secret=READER_PASSWORD,
        )

        log(f"people.sources.ldap.read alone, {args.reads} times")
        reads: list[float] = []
        for _ in range(args.reads):
            started = time.monotonic()
            directory = real_read(provider)
            reads.append(time.monotonic() - started)
        results["read_alone"] = {
            "reads": len(reads),
            "first_s": round(reads[0], 2),
            "median_s": round(statistics.median(reads), 2),
            "min_s": round(min(reads), 2),
            "people": len(directory.people),
            "teams": len(directory.teams),
            "notes": len(directory.problems),
            "peak_rss_mb": peak_rss_mb(),
        }
        del directory
        log(f"read alone: {results['read_alone']}")

        def one_run(name: str) -> Any:
            probe.reset()
            started = time.monotonic()
            with probe.counting():
                run = run_provider(provider.pk, trigger="bench")
            total = time.monotonic() - started
            assert run is not None, "another run holds the provider"
            assert not run.error, run.error
            results[name] = run_figures(run, probe, total)
            log(f"{name}: {results[name]}")
            return run

        log("first run")
        first = one_run("first_run")
        assert first.added == args.users + args.teams, first.added
        results["rows_after_first_run"] = row_counts()
        results["size_after_first_run"] = database_sizes()

        log("second run, nothing changed")
        revisions = EntityRevision.objects.count()
        with CaptureQueriesContext(connection) as whole:
            one_run("second_run")
        results["second_run"]["queries"] = len(whole.captured_queries)
        results["second_run"]["writes"] = tables_written(whole.captured_queries)
        results["second_run"]["revisions_written"] = (
            EntityRevision.objects.count() - revisions
        )

        log(f"changing {args.change:.0%} of the users and of the memberships")
        started = time.monotonic()
        results["change"] = change_directory(slapd, entries, args.change, args.seed)
        results["change"]["seconds"] = round(time.monotonic() - started, 1)
        log(f"change: {results['change']}")

        log("third run, after the change")
        connection.queries_log.clear()
        connection.queries_log = type(connection.queries_log)(maxlen=10_000_000)
        probe.capture_apply = True
        third = one_run("third_run")
        probe.capture_apply = False
        results["third_run"]["apply_queries"] = len(probe.apply_queries)
        results["third_run"]["apply_queries_by_kind"] = by_kind(probe.apply_queries)
        results["third_run"]["apply_writes"] = tables_written(probe.apply_queries)
        results["rows_after_third_run"] = row_counts()
        results["size_after_third_run"] = database_sizes()
        results["peak_rss_mb"] = peak_rss_mb()
        results["slapd_peak_rss_mb"] = (
            process_peak_mb(slapd.process.pid) if slapd.process else None
        )
        expected = results["change"]
        results["third_run_as_expected"] = (
            third.removed == expected["expected_removed"]
            and third.changed == expected["expected_changed"]
            and third.added == 0
        )
    finally:
        if slapd is not None:
            slapd.stop()
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"providers-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    log(f"results in {out.relative_to(ROOT)}")
    return 0


def print_table(results: dict[str, Any]) -> None:
    first, second, third = (
        results["first_run"], results["second_run"], results["third_run"]
    )  # fmt: skip
    change, alone = results["change"], results["read_alone"]
    size = results["size_after_third_run"]
    rows = [
        ("directory", f"{results['users']} users, {results['teams']} groups, "
         f"{results['directory']['memberships']} user memberships"),
        ("ldap.read alone (first / median)",
         f"{alone['first_s']} / {alone['median_s']} s"),
        ("first run: total", f"{first['total_s']} s ({first['status']}, "
         f"{first['added']} added, {first['errors']} errors)"),
        ("  read / apply / rest", f"{first['read_s']} / {first['apply_s']} / "
         f"{first['rest_s']} s"),
        ("second run, nothing changed", f"{second['total_s']} s ({second['status']}, "
         f"{second['revisions_written']} revisions, {second['queries']} queries)"),
        ("change in slapd", f"{change['users_deleted']} users deleted, "
         f"{change['memberships_moved']} memberships moved"),
        ("third run: total", f"{third['total_s']} s ({third['status']}, "
         f"{third['removed']} removed, {third['changed']} changed; expected "
         f"{change['expected_removed']} / {change['expected_changed']})"),
        ("  read / apply / rest", f"{third['read_s']} / {third['apply_s']} / "
         f"{third['rest_s']} s"),
        ("  apply's SQL queries", f"{third['apply_queries']} "
         f"{third['apply_queries_by_kind']}"),
        ("peak RSS (bench / slapd)",
         f"{results['peak_rss_mb']} / {results['slapd_peak_rss_mb']} MB"),
        ("catalog tables / database", f"{size['catalog_tables_mb']} / "
         f"{size['database_mb']} MB"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print()


if __name__ == "__main__":
    sys.exit(main())
