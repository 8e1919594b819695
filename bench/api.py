"""API benchmark: Backstage's catalog API (/api/catalog/) behind gunicorn on loopback.

Fills (once) the database ``greenroom_bench_api_<N>`` the way ``bench/web.py`` fills
its own (the crawler's ``read_location`` and ``apply_read`` over the synthetic
organisation), starts ``gunicorn portal.wsgi`` on 127.0.0.1 with production
settings, and times five requests, each with one client and then with
``--concurrency`` clients (separate processes, keep-alive connections, a read
token): an entity by name, a filtered list of 50 components by ``spec.type``,
by-query with a full-text term, facets of ``spec.type`` and by-refs with 100 refs.

    .venv/bin/python bench/api.py                  # 10,000 entities, 2,000 requests
    .venv/bin/python bench/api.py --requests 500 --only by_name,facets
    .venv/bin/python bench/api.py --workers 3 --threads 1 [--worker-class sync]
    .venv/bin/python bench/api.py --entities 10000 --rebuild

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth). Results: a printed
table and ``bench/results/api-<N>-<date>.json``, ``.txt``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import web  # bench/web.py, beside this script (bench/ is not a package)

ROOT, BenchError, log, sql = web.ROOT, web.BenchError, web.log, web.sql
HOST = "127.0.0.1"
PREFIX = "/api/catalog"
USER = "bench-api-viewer"
# The throttle counts per token; 1200/min would refuse the bench within a second.
# Per second, DRF's history of request times stays as short as it is in production.
API_RATE = "1000000/s"
KEEP_ALIVE_S = 300  # idle connections outlive the wait for a quiet machine
# Persistent connections are the default (60 s); an hour keeps the same PostgreSQL
# backends through a run, so that their CPU can be read from /proc.
CONN_MAX_AGE_S = "3600"
START_TIMEOUT_S = 60
REFERENCE_NOTE = "Backstage catalog backend 4.x, SQLite, 2 cores, 10,000 entities"
RSS_TARGET_MB = 150.0


@dataclass(frozen=True)
class Reference:
    """Backstage's own figures: single-client p95 and req/s at 8 concurrent."""

    p95_ms: float
    rps: float
    slack: float = 1.0  # the target allows this factor on both figures

    @property
    def target_p95_ms(self) -> float:
        return self.p95_ms * self.slack

    @property
    def target_rps(self) -> float:
        return self.rps / self.slack


REFERENCES = {
    "by_name": Reference(1.3, 2056, slack=2.0),
    "list": Reference(9.4, 129),
    "list_by_query": Reference(9.4, 129),  # the same list, cursor-paged
    "full_text": Reference(17.8, 91),
    "facets": Reference(4.0, 781),
    "by_refs": Reference(7.7, 384),
}


@dataclass(frozen=True)
class Call:
    """One HTTP request, sent as is every time."""

    method: str
    path: str
    body: bytes | None = None

    def __str__(self) -> str:
        text = f"{self.method} {self.path}"
        return f"{text} ({len(self.body):,} bytes of JSON)" if self.body else text


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    call: Call
    check: Callable[[Any], str]  # the parsed answer -> a summary; raises if wrong


class Client:
    """One keep-alive connection that sends calls with the bearer token."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    def send(self, call: Call) -> bytes:
        """The body of a 200 answer; anything else stops the run."""
        try:
            status, body = self._send(call)
        except ConnectionError:  # the server closed an idle connection: once more
            self.connection.close()
            status, body = self._send(call)
        if status != 200:
            raise BenchError(f"{call}: HTTP {status}: {body[:300]!r}")
        return body

    def _send(self, call: Call) -> tuple[int, bytes]:
        self.connection.request(call.method, call.path, call.body, self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def timed(self, call: Call, count: int) -> list[float]:
        """Milliseconds of ``count`` calls, one after another."""
        times = []
        for _ in range(count):
            start = time.perf_counter()
            self.send(call)
            times.append((time.perf_counter() - start) * 1000)
        return times


# --- the server --------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    command: list[str]
    log_path: Path

    def workers(self) -> list[int]:
        """The pids of the master's children (its workers)."""
        return [pid for pid in all_pids() if parent_of(pid) == self.process.pid]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_env(django_env: dict[str, str]) -> dict[str, str]:
    """``web.setup_django``'s environment, for a server answering on 127.0.0.1."""
    return {
        **django_env,
        "ALLOWED_HOSTS": HOST,
        "GREENROOM_API_RATE": API_RATE,
        "DATABASE_CONN_MAX_AGE": CONN_MAX_AGE_S,
        "PYTHONUNBUFFERED": "1",
    }


def start_server(args: argparse.Namespace, log_path: Path) -> Server:
    """gunicorn on a free loopback port, in its own process group, answering."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "portal.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--threads={args.threads}",
        f"--keep-alive={KEEP_ALIVE_S}",
        "--log-level=warning",
    ]
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_env(dict(os.environ)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, command, log_path)
    wait_listening(server)
    return server


def wait_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"gunicorn exited:\n{server.log_path.read_text()[-2000:]}")
        try:
            socket.create_connection((HOST, server.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"gunicorn did not listen within {START_TIMEOUT_S} s")


# --- /proc -------------------------------------------------------------------


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, ... (empty if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()
    except OSError:
        return []


def parent_of(pid: int) -> int:
    fields = stat_fields(pid)
    return int(fields[1]) if fields else 0


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU of each of these processes so far (the living ones)."""
    found = {}
    for pid in pids:
        if fields := stat_fields(pid):
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings, of the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of a process, in MB."""
    found = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = round(int(value.split()[0]) / 1024, 1)
    return found


def postgres_backends() -> list[int]:
    """The server processes of other sessions on the bench database (gunicorn's)."""
    rows = sql(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    return [int(pid) for (pid,) in rows]


# --- the catalog: a token and real values ------------------------------------


def read_token() -> str:
    """A fresh read token for a viewer; the user's older tokens are deleted."""
    from django.contrib.auth import get_user_model

    from catalog.models import ApiToken
    from core.roles import grant_role
    from core.tokens import issue_token

    user, _ = get_user_model().objects.get_or_create(username=USER)
    grant_role(user, "viewer")
    ApiToken.objects.filter(user=user).delete()
    return str(issue_token(user, "bench/api.py")[1])


def pick_values() -> dict[str, Any]:
    """A typical component, the components' commonest type, a term, 100 refs."""
    from django.db.models import Count

    from catalog.models import Entity, EntityField

    components = Entity.objects.filter(ref__startswith="component:").order_by("ref")
    names = list(components.values_list("name", flat=True))
    types = (
        EntityField.objects.filter(
            key="spec.type", entity__ref__startswith="component:"
        )
        .values("value")
        .annotate(n=Count("id"))
        .order_by("-n", "value")
    )
    refs = list(Entity.objects.order_by("ref").values_list("ref", flat=True))
    if not names or not types or len(refs) < 100:
        raise BenchError("the catalog has no components, no spec.type or < 100 refs")
    name = names[len(names) // 2]
    return {
        "name": name,
        "type": types[0]["value"],
        "type_count": types[0]["n"],
        # svc-00497-003 -> "0049": the names of ten repositories, about 1%.
        "term": name.split("-")[1][:4],
        "refs": refs[:: len(refs) // 100][:100],
    }


# --- the five requests, and what a right answer looks like --------------------


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise BenchError(f"unexpected answer: {what}")


def build_figures(values: dict[str, Any]) -> list[Figure]:
    name, type_, term, refs = (values[k] for k in ("name", "type", "term", "refs"))
    filter_ = f"kind=component,spec.type={type_}"

    def by_name(answer: Any) -> str:
        expect(answer["metadata"]["name"] == name, f"metadata.name is not {name}")
        return f"{len(answer['relations'])} relations"

    def list_(answer: Any) -> str:
        items = answer if isinstance(answer, list) else answer["items"]
        expect(len(items) == 50, f"{len(items)} items, not 50")
        wrong = [e for e in items if e["spec"]["type"].lower() != type_]
        expect(not wrong and items[0]["kind"] == "Component", "another kind or type")
        total = f", totalItems {answer['totalItems']}" if "items" in answer else ""
        return f"50 components of type {type_}{total}"

    def full_text(answer: Any) -> str:
        names = [e["metadata"]["name"] for e in answer["items"]]
        expect(bool(names), f"no entity's name contains {term!r}")
        expect(all(term in n for n in names), f"a name without {term!r}")
        return f"{len(names)} items, totalItems {answer['totalItems']}"

    def facets(answer: Any) -> str:
        counts = {f["value"].lower(): f["count"] for f in answer["facets"]["spec.type"]}
        expect(counts.get(type_, 0) >= 50, f"{type_} counted {counts.get(type_)}")
        return f"{len(counts)} values, {type_}: {counts[type_]}"

    def by_refs(answer: Any) -> str:
        items = answer["items"]
        expect(len(items) == len(refs) and None not in items, "missing entities")
        return f"{len(items)} entities"

    def get(path: str, query: dict[str, Any]) -> Call:
        return Call("GET", f"{PREFIX}/{path}?{urlencode(query)}")

    by_ref = f"{PREFIX}/entities/by-name/component/default/{quote(name)}"
    full = {"fullTextFilterTerm": term, "fullTextFilterFields": "metadata.name"}
    body = json.dumps({"entityRefs": refs}).encode()
    return [
        Figure("by_name", "entity by name", Call("GET", by_ref), by_name),
        Figure("list", "list, 50 by spec.type", get("entities", _list(filter_)), list_),
        Figure(
            "list_by_query",
            "by-query, 50 by spec.type",
            get("entities/by-query", _list(filter_)),
            list_,
        ),
        Figure(
            "full_text",
            "by-query, full text",
            get("entities/by-query", full),
            full_text,
        ),
        Figure(
            "facets",
            "facets of spec.type",
            get("entity-facets", {"facet": "spec.type"}),
            facets,
        ),
        Figure(
            "by_refs",
            "by-refs, 100 refs",
            Call("POST", f"{PREFIX}/entities/by-refs", body),
            by_refs,
        ),
    ]


def _list(filter_: str) -> dict[str, Any]:
    return {"filter": filter_, "limit": 50}


def count_queries(call: Call, token: str) -> dict[str, Any]:
    """How many queries the call makes, in this process through Django's test client."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    client, auth = TestClient(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body, json_type = call.body or b"", "application/json"
    with CaptureQueriesContext(connection) as captured:
        response = client.generic(call.method, call.path, body, json_type, **auth)
    if response.status_code != 200:
        raise BenchError(f"{call} in-process: HTTP {response.status_code}")
    return {"queries": len(captured)}


# --- timing ------------------------------------------------------------------


def calibrate() -> float:
    """Milliseconds of a fixed piece of pure Python, taken just before each timing.

    The same requests cost up to 1.6x more CPU in one run than in another on this
    VM. This figure shows whether the core itself was slower. It does not see
    contention for caches or memory.
    """
    start = time.perf_counter()
    sum(i * i for i in range(300_000))
    return round((time.perf_counter() - start) * 1000, 1)


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(q: float) -> float:
        return round(ordered[round(q * (len(ordered) - 1))], 2)

    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2),
    }


@dataclass
class CpuMeter:
    """CPU used by the server's workers and their PostgreSQL backends."""

    workers: list[int]
    backends: list[int]

    def read(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(self.workers), cpu_seconds(self.backends)


def summary(
    times: list[float],
    wall: float,
    client_cpu: float,
    meter: CpuMeter,
    before: tuple[dict[int, float], dict[int, float]],
) -> dict[str, Any]:
    after = meter.read()
    server, postgres = (cpu_used(b, a) for b, a in zip(before, after, strict=True))
    alive = [pid for pid in meter.workers if pid in before[0] and pid in after[0]]
    by_worker = [round(after[0][pid] - before[0][pid], 2) for pid in alive]
    n = len(times)

    def per_request(seconds: float) -> float:
        return round(seconds * 1000 / n, 2)

    return {
        "n": n,
        **percentiles(times),
        "rps": round(n / wall, 1),
        "wall_s": round(wall, 2),
        "server_cpu_ms": per_request(server),
        "worker_cpu_s": by_worker,  # kept-alive connections stay with one worker
        "postgres_cpu_ms": per_request(postgres),
        "client_cpu_ms": per_request(client_cpu),
        "bench_cores": round((server + postgres + client_cpu) / wall, 2),
    }


def run_single(
    figure: Figure, server: Server, token: str, args: argparse.Namespace
) -> dict[str, Any]:
    client = Client(server.port, token)
    client.timed(figure.call, args.warmup)
    meter = CpuMeter(server.workers(), postgres_backends())
    quiet, speed = web.wait_quiet(), calibrate()
    before = meter.read()
    cpu0, start = time.process_time(), time.perf_counter()
    times = client.timed(figure.call, args.requests)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    client.connection.close()
    found = summary(times, wall, cpu, meter, before)
    return {**found, "others_cores_before": quiet, "calibration_ms": speed}


def client_process(
    port: int,
    token: str,
    call: Call,
    counts: tuple[int, int],
    barriers: tuple[Any, Any],
    results: Any,
) -> None:
    """One concurrent client: warm up, wait for the start, time its share."""
    client = Client(port, token)
    warmup, count = counts
    client.timed(call, warmup)
    barriers[0].wait()  # warmed up
    barriers[1].wait()  # go
    cpu0, start = time.process_time(), time.perf_counter()
    times = client.timed(call, count)
    results.put((start, time.perf_counter(), time.process_time() - cpu0, times))


def run_concurrent(
    figure: Figure, server: Server, token: str, args: argparse.Namespace
) -> dict[str, Any]:
    """``--concurrency`` client processes share ``--requests`` calls."""
    from django.db import connections

    connections.close_all()  # forked children must not share this connection
    context = multiprocessing.get_context("fork")
    n = args.concurrency
    barriers = (context.Barrier(n + 1), context.Barrier(n + 1))
    results: Any = context.Queue()
    shares = [args.requests // n + (i < args.requests % n) for i in range(n)]
    warmup = max(10, args.warmup // n)
    clients = [
        context.Process(
            target=client_process,
            args=(server.port, token, figure.call, (warmup, share), barriers, results),
            daemon=True,
        )
        for share in shares
    ]
    for process in clients:
        process.start()
    try:
        barriers[0].wait(timeout=120)
        meter = CpuMeter(server.workers(), postgres_backends())
        quiet, speed = web.wait_quiet(), calibrate()
        before = meter.read()
        barriers[1].wait(timeout=30)
        answers = collect(results, clients)
    finally:
        for process in clients:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    wall = max(a[1] for a in answers) - min(a[0] for a in answers)
    times = [t for a in answers for t in a[3]]
    cpu = sum(a[2] for a in answers)
    found = summary(times, wall, cpu, meter, before)
    return {**found, "others_cores_before": quiet, "calibration_ms": speed}


def collect(results: Any, clients: list[Any]) -> list[Any]:
    """Each client's answer; stops as soon as one of them has failed."""
    answers: list[Any] = []
    while len(answers) < len(clients):
        try:
            answers.append(results.get(timeout=1))
        except queue.Empty:
            if any(process.exitcode for process in clients):
                raise BenchError(
                    "a client process failed (see its traceback)"
                ) from None
    return answers


def run_figures(
    args: argparse.Namespace, server: Server, token: str, results: dict[str, Any]
) -> None:
    values = pick_values()
    results["values"] = {**values, "refs": f"{len(values['refs'])} refs"}
    client = Client(server.port, token)
    for figure in build_figures(values):
        if args.only and figure.key not in args.only:
            continue
        answer = json.loads(client.send(figure.call))
        found: dict[str, Any] = {
            "label": figure.label,
            "call": str(figure.call),
            "answer": figure.check(answer),
            **count_queries(figure.call, token),
        }
        log(f"{figure.label}: {found['answer']}; {found['queries']} queries")
        found["single"] = run_single(figure, server, token, args)
        log(f"  single: {brief(found['single'])}")
        found["concurrent"] = run_concurrent(figure, server, token, args)
        log(f"  {args.concurrency} concurrent: {brief(found['concurrent'])}")
        results["figures"][figure.key] = found
    client.connection.close()


def brief(mode: dict[str, Any]) -> str:
    return (
        f"p50 {mode['p50_ms']} ms, p95 {mode['p95_ms']} ms, p99 {mode['p99_ms']} ms, "
        f"{mode['rps']} req/s"
    )


def server_memory(server: Server) -> dict[str, Any]:
    workers = {pid: memory_mb(pid) for pid in server.workers()}
    rss = [m["VmRSS"] for m in workers.values()]
    return {
        "workers": {str(pid): m for pid, m in workers.items()},
        "max_worker_rss_mb": max(rss),
        "max_worker_peak_rss_mb": max(m["VmHWM"] for m in workers.values()),
        "master": memory_mb(server.process.pid),
        "target_mb": RSS_TARGET_MB,
    }


# --- the report --------------------------------------------------------------


def verdicts(key: str, figure: dict[str, Any]) -> tuple[str, str]:
    """ok / MISSED for the single client's p95 and the concurrent req/s."""
    reference = REFERENCES[key]
    p95_ok = figure["single"]["p95_ms"] <= reference.target_p95_ms
    rps_ok = figure["concurrent"]["rps"] >= reference.target_rps
    return ("ok" if p95_ok else "MISSED"), ("ok" if rps_ok else "MISSED")


HEAD = (
    f"{'figure':<28}{'clients':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>8}"
    f"{'srv CPU':>9}{'PG CPU':>8}{'cli CPU':>9}{'others':>8}{'calib':>7}"
    f"{'Backstage':>11}{'target':>10}"
)
ROW = (
    "{label:<28}{clients:>8}{p50_ms:>8.2f}{p95_ms:>8.2f}{p99_ms:>8.2f}{rps:>8.0f}"
    "{server_cpu_ms:>9.2f}{postgres_cpu_ms:>8.2f}{client_cpu_ms:>9.2f}"
    "{others_cores_before:>8.2f}{calibration_ms:>7.1f}{reference:>11}{target:>10}"
    "  {verdict}"
)


def figure_rows(key: str, figure: dict[str, Any], concurrency: int) -> list[str]:
    """Two rows: one client (p95 against Backstage's), then N (req/s against its)."""
    reference, (p95_verdict, rps_verdict) = REFERENCES[key], verdicts(key, figure)
    single = ROW.format(
        **figure["single"],
        label=figure["label"],
        clients=1,
        reference=f"p95 {reference.p95_ms:g}",
        target=f"<= {reference.target_p95_ms:g}",
        verdict=p95_verdict,
    )
    many = ROW.format(
        **figure["concurrent"],
        label="",
        clients=concurrency,
        reference=f"{reference.rps:g}/s",
        target=f">= {reference.target_rps:g}",
        verdict=rps_verdict,
    )
    return [single, many]


def figure_note(figure: dict[str, Any], concurrency: int) -> str:
    """The request, its answer, its queries and how the workers shared the load."""
    split = "/".join(f"{s:.1f}" for s in figure["concurrent"]["worker_cpu_s"])
    return (
        f"{figure['label']}: {figure['call']} -> {figure['answer']}, "
        f"{figure['queries']} queries; CPU-s per worker at {concurrency} clients: "
        f"{split}"
    )


def format_table(results: dict[str, Any]) -> str:
    config = results["config"]
    lines = [
        f"Backstage catalog API with {config['entities']:,} entities "
        f"({config['database']}), gunicorn {server_line(results)}",
        HEAD,
        "-" * len(HEAD),
    ]
    for key, figure in results["figures"].items():
        lines += figure_rows(key, figure, config["concurrency"])
    lines.append(
        "(CPU columns: ms of CPU per request in the gunicorn workers, their PostgreSQL "
        "backends and the client processes; others: cores used by other processes "
        "just before timing; calib: ms of a fixed Python loop just before timing, "
        f"higher is a slower core. Backstage: {REFERENCE_NOTE}.)\n"
    )
    if memory := results.get("memory"):
        verdict = "ok" if memory["max_worker_rss_mb"] <= RSS_TARGET_MB else "MISSED"
        lines.append(
            f"Worker RSS after the run: max {memory['max_worker_rss_mb']} MB (peak "
            f"{memory['max_worker_peak_rss_mb']} MB); target <= {RSS_TARGET_MB:g} MB: "
            f"{verdict}"
        )
    lines += [
        figure_note(f, config["concurrency"]) for f in results["figures"].values()
    ]
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def server_line(results: dict[str, Any]) -> str:
    config = results["config"]
    return (
        f"{config['workers']} x {config['worker_class']} worker(s), "
        f"{config['threads']} thread(s); {config['requests']:,} requests per figure"
    )


# --- main --------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--entities", type=int, default=10_000, help="entities in the catalog")
    add("--rebuild", action="store_true", help="drop the database and fill it again")
    add("--requests", type=int, default=2000, help="timed requests per figure and mode")
    add("--concurrency", type=int, default=8, help="concurrent client processes")
    add("--warmup", type=int, default=100, help="untimed requests before timing")
    add("--workers", type=int, default=2, help="gunicorn worker processes")
    add("--worker-class", default="gthread", choices=["gthread", "sync"])
    add("--threads", type=int, default=2, help="threads per gthread worker")
    keys = ",".join(REFERENCES)
    add("--only", type=lambda text: text.split(","), default=[], help=f"of {keys}")
    args = parser.parse_args(argv)
    if args.entities % web.PER_REPO or args.entities < 1000:
        parser.error(f"--entities: a multiple of {web.PER_REPO}, at least 1000")
    if min(args.requests, args.concurrency, args.workers, args.threads) < 1:
        parser.error("--requests, --concurrency, --workers, --threads: at least 1")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("sync workers have one thread: use --threads 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so that gunicorn is stopped in `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = web.new_results("api", args)
    status, server = 0, None
    try:
        web.prepare(args.entities, args.rebuild, results)
        web.describe_database(results)
        token = read_token()
        log_path = Path(tempfile.gettempdir()) / f"bench-api-gunicorn-{os.getpid()}.log"
        server = start_server(args, log_path)
        results["server"] = {"command": server.command, "env": server_env({})}
        log(f"gunicorn on port {server.port}: {len(server.workers())} workers")
        run_figures(args, server, token, results)
        results["memory"] = server_memory(server)
    except Exception as exc:
        status = 2 if isinstance(exc, BenchError) else 1
        results["error"] = str(exc) if status == 2 else traceback.format_exc(limit=8)
        log(f"ERROR: {results['error']}")
    finally:
        if server is not None:
            server.stop()
            if status == 0:
                server.log_path.unlink()
            else:
                log(f"gunicorn's log: {server.log_path}")
    results["finished"] = web.now()
    table = format_table(results)
    print(f"\n{table}")
    path = web.write_results(results, table, [])
    log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
