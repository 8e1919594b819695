"""Crawl benchmark: ingest, no-op refresh and one changed repo on real infrastructure.

Runs a synthetic organisation (``demo.build_synthetic_org``) served by
``git daemon`` through one real ``celery -A portal worker --pool=prefork`` on Redis
into a scratch PostgreSQL database, and measures:

* phase A: register the first 100 repos, seconds until all their entities exist;
* phase B: the catalog emptied, register all N repos, seconds until all N x E
  entities exist (a full ingest from nothing);
* peak RSS of the worker's pool children (and its parent) in each phase, sampled
  every 0.2 s from /proc plus the kernel's high-water mark (VmHWM);
* no-op refresh: every location queued again with nothing changed, seconds until
  every location's ``last_crawl_finished`` is later than the start;
* one changed repo (5 times): a commit changing one description, seconds from
  enqueue until the new description is in the database, and the CrawlRun's
  ``finished_at - started_at`` (task start to committed).

Usage (from the repository root)::

    .venv/bin/python bench/crawl.py [--repos 1000] [--entities-per-repo 10] \
        [--workers 2] [--timeout 600] [--keep]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), Redis on
127.0.0.1:6379 and git. Drops and recreates the database ``greenroom_bench`` and
flushes Redis db 14; everything else lives in a temp dir removed at the end.
Figures are printed as a table and written to ``bench/results/crawl-<date>.json``.
Every wait is bounded (``--timeout``), and the worker and git daemon are stopped in
``finally`` on success, error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DB_NAME = "greenroom_bench"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
BROKER_URL = "redis://127.0.0.1:6379/14"
WORKER_NAME = "greenroom-bench@%h"
PHASE_A_REPOS = 100
CHANGED_REPEATS = 5

TARGETS = {
    "full_ingest_s": 60.0,  # 10,000 entities in 1,000 repos, 2 workers
    "noop_refresh_s": 15.0,
    "changed_task_s": 1.0,  # CrawlRun.started_at -> finished_at
    "child_rss_mb": 300.0,
}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class BenchError(RuntimeError):
    """A phase did not complete (timeout, failed setup); the run stops there."""


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1
) -> float:
    """Poll until ``condition()``; return the seconds it took or raise BenchError."""
    start = time.monotonic()
    deadline = start + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - start


# --------------------------------------------------------------------------
# processes: git daemon, celery worker, RSS sampling
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_git_daemon(base: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # Run git-daemon itself rather than through the `git` wrapper, which would
    # sit in between (hiding the daemon's CPU time and its pid from us).
    exec_path = subprocess.run(
        ["git", "--exec-path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    daemon = Path(exec_path) / "git-daemon"
    command = [str(daemon)] if daemon.is_file() else ["git", "daemon"]
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [
                *command,
                "--reuseaddr",
                "--export-all",
                "--listen=127.0.0.1",
                f"--port={port}",
                f"--base-path={base}",
                str(base),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Own process group: Ctrl-C in the terminal reaches only this script,
            # which then stops the daemon itself in `finally`.
            start_new_session=True,
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"git daemon exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    stop_process(proc, "git daemon")
    raise BenchError("git daemon did not start listening within 10 s")


def start_worker(
    env: dict[str, str], workers: int, log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                f"--concurrency={workers}",
                "--pool=prefork",
                "--loglevel=WARNING",
                "-n",
                WORKER_NAME,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen[bytes] | None, name: str) -> None:
    """SIGTERM (a warm shutdown for celery), then SIGKILL of its process group."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log(f"{name} ignored SIGTERM for 20 s; killing it")
    # The group holds pool children or forked connection handlers; it was
    # started by us with start_new_session, so its id is the leader's pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        log(f"{name} (pid {proc.pid}) did not exit")


def _proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM in kB and PPid from /proc/<pid>/status ({} if gone)."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM", "PPid"):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    return values


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``: /proc/<pid>/task/*/children, else a /proc scan."""
    task_dir = Path(f"/proc/{pid}/task")
    try:
        files = list(task_dir.glob("*/children"))
    except OSError:
        files = []
    if files:
        found: set[int] = set()
        for path in files:
            try:
                found.update(int(p) for p in path.read_text().split())
            except OSError:
                continue
        return sorted(found)
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # Field 4 is the ppid; the command name (field 2) may contain spaces.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1] == str(pid):
            kids.append(int(entry))
    return sorted(kids)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> tuple[float, float]:
    """(own, reaped children's) user+system CPU seconds of ``pid``; zeros if gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return 0.0, 0.0
    # After the command name: utime stime cutime cstime are fields 12-15 (from 0).
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime) / CLK_TCK, (cutime + cstime) / CLK_TCK


def _system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user
    return (total - idle) / CLK_TCK, total / CLK_TCK


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds of every process named postgres, with the children it reaped
    (the postmaster reaps backends, so those that exited are counted too)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as fh:
                if fh.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        found[int(entry)] = sum(_proc_cpu(int(entry)))
    return found


class CpuSnapshot:
    """CPU seconds so far, split by who spent them (see ``CpuSnapshot.minus``)."""

    def __init__(self, worker_pid: int, daemon_pid: int | None) -> None:
        self.busy, self.total = _system_cpu()
        self.parent = _proc_cpu(worker_pid)
        self.children = {pid: _proc_cpu(pid) for pid in child_pids(worker_pid)}
        self.daemon = _proc_cpu(daemon_pid) if daemon_pid else (0.0, 0.0)
        self.postgres = _postgres_cpu()
        usage = os.times()
        self.script = usage.user + usage.system
        self.time = time.monotonic()

    def minus(self, start: CpuSnapshot) -> dict[str, float]:
        # A process that exits hands its whole lifetime to its parent's reaped
        # time, so totals are taken over everything (end minus start); only the
        # python/git split is per surviving pool child.
        py = git = 0.0
        for pid, (own, reaped) in self.children.items():
            own0, reaped0 = start.children.get(pid, (0.0, 0.0))
            py += own - own0
            git += reaped - reaped0

        def tree(snap: CpuSnapshot) -> float:
            return sum(snap.parent) + sum(sum(c) for c in snap.children.values())

        worker = tree(self) - tree(start)
        daemon = sum(self.daemon) - sum(start.daemon)
        postgres = sum(self.postgres.values()) - sum(start.postgres.values())
        script = self.script - start.script
        busy = self.busy - start.busy
        wall = self.time - start.time
        return {
            "wall_s": round(wall, 2),
            "machine_busy_pct": round(100 * busy / max(self.total - start.total, 1e-9)),
            "busy_cpu_s": round(busy, 2),
            "pool_children_python_s": round(py, 2),
            "pool_children_git_subprocesses_s": round(git, 2),
            "celery_parent_and_replaced_children_s": round(worker - py - git, 2),
            "git_daemon_and_upload_pack_s": round(daemon, 2),
            "postgres_s": round(postgres, 2),
            "bench_script_s": round(script, 2),
            # Redis, the kernel, anything else on the machine.
            "other_s": round(busy - worker - daemon - postgres - script, 2),
        }


class RssSampler(threading.Thread):
    """Samples the worker parent's and pool children's RSS every ``interval`` s."""

    def __init__(
        self, pid: int, daemon_pid: int | None = None, interval: float = 0.2
    ) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.daemon_pid = daemon_pid
        self.cpu_start: dict[str, CpuSnapshot] = {}
        self.interval = interval
        self.phase = "startup"
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.peaks: dict[str, dict[str, float]] = {}
        self.children_seen: set[int] = set()
        self.samples = 0

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.interval)

    def sample(self) -> None:
        parent = _proc_status(self.pid)
        if not parent:
            return
        children = {pid: _proc_status(pid) for pid in child_pids(self.pid)}
        children = {pid: st for pid, st in children.items() if st}
        with self.lock:
            self.samples += 1
            self.children_seen.update(children)
            peak = self.peaks.setdefault(
                self.phase,
                {
                    "child_rss_mb": 0.0,
                    "child_hwm_mb": 0.0,
                    "parent_rss_mb": 0.0,
                    "total_rss_mb": 0.0,
                },
            )
            rss = [st.get("VmRSS", 0) / 1024 for st in children.values()]
            hwm = [st.get("VmHWM", 0) / 1024 for st in children.values()]
            parent_mb = parent.get("VmRSS", 0) / 1024
            peak["child_rss_mb"] = max(peak["child_rss_mb"], *rss, 0.0)
            peak["child_hwm_mb"] = max(peak["child_hwm_mb"], *hwm, 0.0)
            peak["parent_rss_mb"] = max(peak["parent_rss_mb"], parent_mb)
            peak["total_rss_mb"] = max(peak["total_rss_mb"], parent_mb + sum(rss))

    def set_phase(self, phase: str) -> None:
        self.sample()  # close the previous phase with a fresh sample
        with self.lock:
            self.phase = phase
        self.cpu_start[phase] = CpuSnapshot(self.pid, self.daemon_pid)
        self.sample()

    def phase_peaks(self, phase: str) -> dict[str, float]:
        self.sample()
        with self.lock:
            return {k: round(v, 1) for k, v in self.peaks.get(phase, {}).items()}

    def phase_cpu(self, phase: str) -> dict[str, float]:
        """CPU seconds spent since ``set_phase(phase)``, split by process."""
        if phase not in self.cpu_start:
            return {}
        return CpuSnapshot(self.pid, self.daemon_pid).minus(self.cpu_start[phase])

    def stop(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join(timeout=5)


# --------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------


def reset_database(env: dict[str, str]) -> None:
    conn = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    for cmd in (
        ["dropdb", *conn, "--if-exists", "--force", DB_NAME],
        ["createdb", *conn, DB_NAME],
    ):
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    proc = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"migrate failed:\n{proc.stdout}\n{proc.stderr}")


def purge_broker() -> None:
    import redis

    client = redis.Redis.from_url(BROKER_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def wait_worker_ready(timeout: float) -> float:
    from portal.celery import app

    def ready() -> bool:
        return bool(app.control.ping(timeout=0.5))

    return wait_for(ready, timeout, "the celery worker to answer ping", interval=0.2)


# --------------------------------------------------------------------------
# phases
# --------------------------------------------------------------------------


def truncate_catalog(data_dir: Path) -> None:
    """Empty every catalog table and the git mirrors, for a from-nothing ingest."""
    from django.db import connection

    from catalog.models import (
        CrawlRun,
        Entity,
        EntityRevision,
        Location,
        ProcessingError,
        Relation,
    )

    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (
            Relation,
            ProcessingError,
            EntityRevision,
            CrawlRun,
            Entity,
            Location,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    shutil.rmtree(data_dir / "mirrors", ignore_errors=True)


def _durations(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def ingest_phase(
    name: str,
    urls: list[str],
    expected: int,
    sampler: RssSampler,
    timeout: float,
) -> dict[str, Any]:
    from django.db.models import Count

    from catalog.locations import register_many, validate_target
    from catalog.models import CrawlRun, Entity, Location, ProcessingError

    sampler.set_phase(name)
    log(f"{name}: registering {len(urls)} repos, expecting {expected} entities")
    start = time.monotonic()
    created = register_many([validate_target(url) for url in urls])
    registered_s = time.monotonic() - start
    if len(created) != len(urls):
        raise BenchError(f"{name}: registered {len(created)} of {len(urls)} locations")
    deadline = start + timeout
    last_report = start
    count = 0
    while True:
        count = Entity.objects.count()
        now = time.monotonic()
        if count >= expected:
            break
        if now > deadline:
            raise BenchError(
                f"{name}: timed out after {timeout:.0f} s with {count}/{expected} "
                "entities"
            )
        # Everything crawled but entities are missing: waiting longer won't help.
        if not Location.objects.filter(last_crawl_finished__isnull=True).exists():
            time.sleep(2)
            count = Entity.objects.count()
            if count < expected:
                log(f"{name}: all locations crawled but only {count}/{expected}")
                break
        if now - last_report >= 10:
            log(f"{name}: {count}/{expected} entities after {now - start:.0f} s")
            last_report = now
        time.sleep(0.1)
    ingest_s = time.monotonic() - start
    # The last crawls save their CrawlRun just after committing the entities.
    wait_for(
        lambda: not Location.objects.filter(last_crawl_finished__isnull=True).exists(),
        max(10.0, deadline - time.monotonic()),
        f"{name}: every location to finish its crawl",
    )
    all_finished_s = time.monotonic() - start
    peaks = sampler.phase_peaks(name)
    cpu = sampler.phase_cpu(name)
    runs = CrawlRun.objects.exclude(finished_at=None).values_list(
        "started_at", "finished_at"
    )
    statuses = dict(
        Location.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    result = {
        "repos": len(urls),
        "expected_entities": expected,
        "entities": count,
        "register_s": round(registered_s, 3),
        "ingest_s": round(ingest_s, 3),
        "all_crawls_finished_s": round(all_finished_s, 3),
        "entities_per_s": round(count / ingest_s, 1) if ingest_s else None,
        "location_status": statuses,
        "processing_errors": ProcessingError.objects.count(),
        "crawl_run_s": _durations(
            [(end - begin).total_seconds() for begin, end in runs]
        ),
        "rss": peaks,
        "cpu": cpu,
    }
    log(
        f"{name}: {count}/{expected} entities in {ingest_s:.2f} s "
        f"(register {registered_s:.2f} s), peak child RSS "
        f"{peaks.get('child_rss_mb')} MB, machine CPU busy "
        f"{cpu.get('machine_busy_pct')}%, statuses {statuses}"
    )
    return result


def noop_refresh_phase(sampler: RssSampler, timeout: float) -> dict[str, Any]:
    from django.db.models import Q
    from django.utils import timezone

    from catalog.models import CrawlRun, Entity, Location
    from catalog.tasks import crawl_location_task

    sampler.set_phase("noop")
    pks = list(Location.objects.order_by("pk").values_list("pk", flat=True))
    runs_before = CrawlRun.objects.count()
    log(f"no-op refresh: queueing {len(pks)} crawls")
    started_at = timezone.now()
    start = time.monotonic()
    for pk in pks:
        crawl_location_task.delay(pk)
    enqueue_s = time.monotonic() - start
    stale = Location.objects.filter(
        Q(last_crawl_finished__isnull=True) | Q(last_crawl_finished__lte=started_at)
    )
    wait_for(lambda: not stale.exists(), timeout, "the no-op refresh", interval=0.05)
    elapsed = time.monotonic() - start
    cpu = sampler.phase_cpu("noop")
    result = {
        "locations": len(pks),
        "enqueue_s": round(enqueue_s, 3),
        "refresh_s": round(elapsed, 3),
        "crawl_runs_created": CrawlRun.objects.count() - runs_before,
        "entities_written": Entity.objects.filter(updated_at__gt=started_at).count(),
        "rss": sampler.phase_peaks("noop"),
        "cpu": cpu,
    }
    log(
        f"no-op refresh: {elapsed:.2f} s (enqueue {enqueue_s:.2f} s), "
        f"machine CPU busy {cpu.get('machine_busy_pct')}%"
    )
    return result


def _repo_indices(repos: int, count: int) -> list[int]:
    """Spread-out repos other than repo 0 (whose first slots are groups/systems)."""
    if repos < 2:
        raise BenchError("the changed-repo phase needs at least 2 repos")
    picks = [1 + (i * (repos - 1)) // count for i in range(count)]
    return [min(p, repos - 1) for p in picks]


def changed_repo_phase(
    paths: list[Path], urls: list[str], timeout: float
) -> dict[str, Any]:
    from django.utils import timezone

    from catalog.locations import validate_target
    from catalog.models import CrawlRun, Entity, Location
    from catalog.tasks import crawl_location_task
    from demo import commit_file

    samples = []
    for attempt, index in enumerate(_repo_indices(len(paths), CHANGED_REPEATS)):
        repo = paths[index]
        location = Location.objects.get(url=validate_target(urls[index]).url)
        # Any entity of that repo whose description line is unique in the file.
        current = subprocess.run(
            ["git", f"--git-dir={repo}", "show", "HEAD:catalog-info.yaml"],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        for entity in Entity.objects.filter(location=location).order_by("ref"):
            old = (entity.descriptor.get("metadata") or {}).get("description")
            old_line = f"description: {old}\n"
            if old and current.count(old_line) == 1:
                break
        else:
            raise BenchError(f"{repo}: no entity with a unique description line")
        ref = entity.ref
        description = f"Changed by bench run {attempt} at {time.time():.3f}"
        sha = commit_file(
            repo,
            "catalog-info.yaml",
            current.replace(old_line, f"description: {description}\n"),
            f"bench: change {ref}",
        )
        visible = Entity.objects.filter(
            ref=ref, descriptor__metadata__description=description
        )
        enqueued_at = timezone.now()
        start = time.monotonic()
        crawl_location_task.delay(location.pk)
        wait_for(visible.exists, timeout, f"the change to {ref}", interval=0.01)
        wall = time.monotonic() - start  # includes publishing the task
        run_query = CrawlRun.objects.filter(
            location=location, commit=sha, finished_at__isnull=False
        )
        wait_for(run_query.exists, 30, f"the CrawlRun of {ref}", interval=0.02)
        run = run_query.order_by("-started_at").first()
        if run is None or run.finished_at is None:
            raise BenchError(f"no finished CrawlRun for {ref}")
        sample = {
            "repo": repo.name,
            "ref": ref,
            "commit": sha,
            "wall_s": round(wall, 3),
            "task_s": round((run.finished_at - run.started_at).total_seconds(), 3),
            "queue_to_start_s": round(
                (run.started_at - enqueued_at).total_seconds(), 3
            ),
            "status": run.status,
            "changed": run.changed,
            "unchanged": run.unchanged,
        }
        samples.append(sample)
        log(
            f"changed repo {repo.name}: visible after {sample['wall_s']} s, "
            f"task {sample['task_s']} s ({run.status}, {run.changed} changed)"
        )
        time.sleep(0.5)  # let the worker finish bookkeeping before the next one
    wall = [s["wall_s"] for s in samples]
    task = [s["task_s"] for s in samples]
    return {
        "samples": samples,
        "wall_median_s": round(statistics.median(wall), 3),
        "wall_max_s": round(max(wall), 3),
        "task_median_s": round(statistics.median(task), 3),
        "task_max_s": round(max(task), 3),
    }


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def _verdict(value: Any, target: float) -> str:
    if value is None:
        return ""
    return "ok" if value <= target else "MISSED"


def print_table(results: dict[str, Any]) -> None:
    a = results.get("phase_a") or {}
    b = results.get("phase_b") or {}
    noop = results.get("noop_refresh") or {}
    changed = results.get("changed_repo") or {}
    n_b = b.get("repos", results["config"]["repos"])
    rss_a = (a.get("rss") or {}).get("child_rss_mb")
    rss_b = (b.get("rss") or {}).get("child_rss_mb")
    hwm_b = (b.get("rss") or {}).get("child_hwm_mb")
    config = results["config"]
    # The ingest and refresh targets are for 1,000 repos x 10 entities, 2 workers.
    at_scale = (config["repos"], config["entities_per_repo"], config["workers"]) == (
        1000,
        10,
        2,
    )

    def scaled(value: Any, target: float) -> str:
        return _verdict(value, target) if at_scale and value is not None else "n/a"

    rows: list[tuple[str, str, str, str]] = [
        (
            f"phase A ingest: {a.get('repos', '-')} repos, "
            f"{a.get('expected_entities', '-')} entities",
            _fmt(a.get("ingest_s"), " s"),
            "-",
            "",
        ),
        (
            f"phase B full ingest: {n_b} repos, {b.get('expected_entities', '-')} "
            "entities",
            _fmt(b.get("ingest_s"), " s"),
            f"<= {TARGETS['full_ingest_s']:.0f} s",
            scaled(b.get("ingest_s"), TARGETS["full_ingest_s"]),
        ),
        (
            "peak worker-child RSS, phase A",
            _fmt(rss_a, " MB"),
            f"<= {TARGETS['child_rss_mb']:.0f} MB",
            _verdict(rss_a, TARGETS["child_rss_mb"]),
        ),
        (
            "peak worker-child RSS, phase B",
            _fmt(rss_b, " MB"),
            f"<= {TARGETS['child_rss_mb']:.0f} MB, flat",
            _verdict(rss_b, TARGETS["child_rss_mb"]),
        ),
        (
            "  child VmHWM at end of B / growth B-A",
            f"{_fmt(hwm_b, ' MB')} / "
            + (
                _fmt(round(rss_b - rss_a, 1), " MB")
                if rss_a is not None and rss_b is not None
                else "-"
            ),
            "",
            "",
        ),
        (
            f"no-op refresh of {noop.get('locations', '-')} locations",
            _fmt(noop.get("refresh_s"), " s"),
            f"<= {TARGETS['noop_refresh_s']:.0f} s",
            scaled(noop.get("refresh_s"), TARGETS["noop_refresh_s"]),
        ),
        (
            "changed repo, task start->committed (median/max)",
            f"{_fmt(changed.get('task_median_s'))}/"
            f"{_fmt(changed.get('task_max_s'), ' s')}",
            f"<= {TARGETS['changed_task_s']:.0f} s",
            _verdict(changed.get("task_max_s"), TARGETS["changed_task_s"]),
        ),
        (
            "changed repo, enqueue->visible (median/max)",
            f"{_fmt(changed.get('wall_median_s'))}/"
            f"{_fmt(changed.get('wall_max_s'), ' s')}",
            "-",
            "",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("figure", "measured", "target", "")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    cpu_rows = [
        (label, (results.get(key) or {}).get("cpu"))
        for key, label in (
            ("phase_a", "phase A"),
            ("phase_b", "phase B"),
            ("noop_refresh", "no-op"),
        )
    ]
    cpu_rows = [(label, cpu) for label, cpu in cpu_rows if cpu]
    if cpu_rows:
        print("\nCPU seconds by process (2 cores = 2 CPU-s per wall second):")
        print(
            f"{'phase':8s} {'wall':>7s} {'busy':>5s} {'pool py':>8s} {'git cli':>8s} "
            f"{'celery':>7s} {'daemon':>7s} {'pg':>6s} {'bench':>6s} {'other':>6s}"
        )
        for label, cpu in cpu_rows:
            print(
                f"{label:8s} {cpu['wall_s']:7.1f} {cpu['machine_busy_pct']:4d}% "
                f"{cpu['pool_children_python_s']:8.1f} "
                f"{cpu['pool_children_git_subprocesses_s']:8.1f} "
                f"{cpu['celery_parent_and_replaced_children_s']:7.1f} "
                f"{cpu['git_daemon_and_upload_pack_s']:7.1f} {cpu['postgres_s']:6.1f} "
                f"{cpu['bench_script_s']:6.1f} {cpu['other_s']:6.1f}"
            )
        print(
            "(pool py: the worker's pool processes; git cli: their git "
            "subprocesses; daemon: git daemon and upload-pack; pg: PostgreSQL; "
            "bench: this script; other: Redis and the rest of the machine)"
        )
    if not at_scale:
        print(
            "\n(n/a: the ingest and refresh targets are for 1,000 repos x 10 "
            "entities with 2 workers)"
        )
    if results.get("error"):
        print(f"\nINCOMPLETE: {results['error']}")
    print()


def write_json(results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    path = RESULTS_DIR / f"crawl-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repos", type=int, default=1000, help="repos in phase B (phase A: 100)"
    )
    parser.add_argument(
        "--entities-per-repo", type=int, default=10, help="documents per repo"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="prefork concurrency of the worker"
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="bound on every wait, seconds"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp dir (repos, logs, mirrors)"
    )
    parser.add_argument(
        "--settings",
        default="portal.settings",
        help="Django settings module for the worker and this script, to try a "
        "setting without editing portal/ (put its folder on PYTHONPATH)",
    )
    parser.add_argument(
        "--transport",
        choices=["git", "file"],
        default="git",
        help="git: serve the repos with git daemon on 127.0.0.1 (default); file: "
        "file:// URLs, git's local transport (upload-pack over a pipe, no TCP)",
    )
    parser.add_argument(
        "--git-protocol-v0",
        action="store_true",
        help="diagnostic: give the worker a HOME whose .gitconfig sets "
        "protocol.version=0, to separate git:// round-trip stalls on loopback "
        "from Greenroom's own costs (not the figure to report)",
    )
    args = parser.parse_args(argv)
    if args.repos < 2 or args.entities_per_repo < 8 or args.workers < 1:
        # Below 8 entities repo 0 loses groups/systems and references dangle.
        parser.error("need --repos >= 2, --entities-per-repo >= 8, --workers >= 1")
    return args


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="greenroom-bench-"))
    data_dir, repos_dir = tmp / "data", tmp / "repos"
    data_dir.mkdir()
    worker_log, daemon_log = tmp / "worker.log", tmp / "git-daemon.log"
    results: dict[str, Any] = {
        "bench": "crawl",
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "config": {
            "repos": args.repos,
            "entities_per_repo": args.entities_per_repo,
            "workers": args.workers,
            "pool": "prefork",
            "database": f"postgresql://{PG_HOST}:{PG_PORT}/{DB_NAME}",
            "broker": BROKER_URL,
            "worker_max_memory_per_child_kb": os.environ.get(
                "CELERY_WORKER_MAX_MEMORY_PER_CHILD", "settings default"
            ),
            "git_protocol": "0 (diagnostic)" if args.git_protocol_v0 else "default",
            "transport": args.transport,
            "settings": args.settings,
        },
        "targets": TARGETS,
    }
    worker = daemon = None
    sampler: RssSampler | None = None
    status = 0
    try:
        from demo import build_synthetic_org

        log(f"building {args.repos} synthetic repos in {repos_dir}")
        start = time.monotonic()
        paths = build_synthetic_org(repos_dir, args.repos, args.entities_per_repo)
        results["setup"] = {"build_org_s": round(time.monotonic() - start, 2)}

        if args.transport == "git":
            daemon, port = start_git_daemon(repos_dir, daemon_log)
            host = f"127.0.0.1:{port}"
            urls = [f"git://{host}/{path.name}" for path in paths]
        else:
            host = ""
            urls = [f"file://{path}" for path in paths]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": args.settings,
            "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}",
            "CELERY_BROKER_URL": BROKER_URL,
            "SECRET_KEY": "greenroom-bench-only-not-a-secret",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "GREENROOM_DATA_DIR": str(data_dir),
            "GREENROOM_ALLOWED_GIT_HOSTS": host,
            "GREENROOM_ALLOW_LOCAL_REPOS": "1" if args.transport == "file" else "0",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        if args.git_protocol_v0:
            # The crawler's git keeps only PATH, LANG, LC_ALL, HOME and TMPDIR of
            # the environment, so a HOME of our own is the one way to configure it.
            home = tmp / "home"
            home.mkdir()
            (home / ".gitconfig").write_text("[protocol]\n\tversion = 0\n")
            env["HOME"] = str(home)
        log(f"transport {args.transport} {host}; recreating database {DB_NAME}")
        start = time.monotonic()
        reset_database(env)
        results["setup"]["database_s"] = round(time.monotonic() - start, 2)
        purge_broker()
        setup_django(env)

        worker = start_worker(env, args.workers, worker_log)
        sampler = RssSampler(worker.pid, daemon.pid if daemon else None)
        sampler.start()
        results["setup"]["worker_ready_s"] = round(wait_worker_ready(60), 2)
        time.sleep(1)  # let the pool children finish importing before phase A
        results["rss_idle"] = sampler.phase_peaks("startup")
        log(f"worker ready (pid {worker.pid}), idle RSS {results['rss_idle']}")

        epr = args.entities_per_repo
        n_a = min(PHASE_A_REPOS, args.repos)
        results["phase_a"] = ingest_phase(
            "phase_a", urls[:n_a], n_a * epr, sampler, args.timeout
        )
        truncate_catalog(data_dir)
        results["phase_b"] = ingest_phase(
            "phase_b", urls, args.repos * epr, sampler, args.timeout
        )
        results["noop_refresh"] = noop_refresh_phase(sampler, args.timeout)
        sampler.set_phase("changed")
        results["changed_repo"] = changed_repo_phase(
            paths, urls, min(args.timeout, 120)
        )
        results["changed_repo"]["rss"] = sampler.phase_peaks("changed")
    except BenchError as exc:
        results["error"] = str(exc)
        log(f"ERROR: {exc}")
        tail = _tail(worker_log)
        if tail:
            log(f"last lines of the worker log:\n{tail}")
        status = 2
    except KeyboardInterrupt:
        results["error"] = "interrupted"
        log("interrupted; cleaning up")
        status = 130
    except Exception:
        results["error"] = traceback.format_exc(limit=5)
        traceback.print_exc()
        status = 1
    finally:
        if sampler is not None:
            sampler.stop()
            results["worker_children_seen"] = len(sampler.children_seen)
            results["rss_samples"] = sampler.samples
        stop_process(worker, "celery worker")
        stop_process(daemon, "git daemon")
        with contextlib.suppress(Exception):  # Django may never have been set up
            from django.db import connections

            connections.close_all()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print_table(results)
    if status != 130:  # an interrupted run leaves no result file
        path = write_json(results)
        log(f"results written to {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
