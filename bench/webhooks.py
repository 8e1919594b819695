"""Webhook benchmark: push-to-visible latency, endpoint time, concurrent deliveries.

Serves bare repositories with ``git daemon``, registers them as locations (one
Component each) in a scratch PostgreSQL database, gives each a GitHub webhook, and
serves the portal with gunicorn (2 gthread workers) beside one real
``celery -A portal worker --pool=prefork --concurrency=2`` on Redis. Then:

* endpoint: ``--deliveries`` signed push deliveries for a branch the location does
  not track (accepted, recorded and queued, but no crawl), posted one after another
  over a keep-alive connection: the answer time, p50/p95/max;
* push-to-visible (``--pushes`` times): a commit changing the component's
  description, then the timer starts, the signed push delivery is posted, and the
  catalog API (by name) is polled every ~20 ms until it returns the new description;
  p50/p95/max, split with the Delivery, DeliveryCrawl and CrawlRun timestamps;
* ``--concurrent`` distinct deliveries at once (threads, one connection each), one
  push to each of as many repositories: all answered 202, all recorded, all
  processed and crawled; deliveries per second;
* ``--concurrent`` copies of one delivery (the same X-GitHub-Delivery) at once:
  exactly one 202, the rest 200 "duplicate", exactly one crawl.

    .venv/bin/python bench/webhooks.py                 # 100 pushes (about 90 s)
    .venv/bin/python bench/webhooks.py --pushes 10     # a quick check

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), Redis on
127.0.0.1:6379, git, and ../shared/fixtures/webhooks (a recorded GitHub push).
Drops and recreates ``greenroom_bench_webhooks`` and flushes Redis db 13; the rest
lives in a temp dir. Results: a printed table and
``bench/results/webhooks-<date>.json``, ``.txt``. Every wait is bounded
(``--timeout``); gunicorn, the worker and git daemon are stopped in ``finally``.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

# The repository root goes first: this file's own folder (bench/, first on the path
# when it runs as a script) must not make `webhooks` mean this file.
ROOT_DIR = str(Path(__file__).resolve().parent.parent)
if sys.path[0] != ROOT_DIR:
    sys.path.insert(0, ROOT_DIR)

import api  # noqa: E402  bench/api.py: gunicorn, HTTP client, /proc readings
import crawl  # noqa: E402  bench/crawl.py: git daemon, celery worker, waits, CPU split
import web  # noqa: E402  bench/web.py: database creation, results

ROOT, BenchError, log = web.ROOT, crawl.BenchError, crawl.log
HOST = api.HOST
DB_NAME = "greenroom_bench_webhooks"
PG_USER = "postgres"
BROKER_URL = "redis://127.0.0.1:6379/13"  # crawl.py uses 14
FIXTURE = (
    ROOT.parent
    / "shared"
    / "fixtures"
    / "webhooks"
    / "github"
    / "push-branch-added-modified.go-playground.json"
)
SERVER = argparse.Namespace(workers=2, worker_class="gthread", threads=2)
WORKER_CONCURRENCY = 2
LATENCY_REPO = "hooked-service"
UNTRACKED_REF = "refs/heads/bench-untracked"
CATALOG_FILE = "catalog-info.yaml"
POLL_S = 0.02  # the catalog API is asked every ~20 ms
PUSH_GAP_S = 0.3  # after a push is visible and its CrawlRun closed, before the next
ENDPOINT_WARMUP = 20
WARMUP_ROUNDS = 3  # of 2 x (gunicorn workers x threads) fresh connections at once
SETTLE_S = 2.0  # after the duplicates: time for a second crawl to show up

TARGETS = {
    "latency_p50_s": 1.0,
    "latency_p95_s": 2.0,
    "endpoint_p95_ms": 20.0,
}

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  description: {description}
spec:
  type: service
  lifecycle: production
  owner: group:default/bench-team
"""


# --------------------------------------------------------------------------
# repositories and deliveries
# --------------------------------------------------------------------------


@dataclass
class Repo:
    """A bare repository with one Component, its location and its webhook."""

    name: str
    path: Path
    url: str = ""
    location: Any = None
    webhook: Any = None
    secret: str = ""
    endpoint: str = ""  # the webhook's path on the portal

    def head(self) -> str:
        from demo.repos import run_git

        return run_git(["rev-parse", "HEAD"], self.path).strip()

    def change(self, description: str, message: str) -> tuple[str, str]:
        """Commit a new description; (previous head, new head)."""
        from demo import commit_file

        before = self.head()
        after = commit_file(
            self.path,
            CATALOG_FILE,
            COMPONENT.format(name=self.name, description=description),
            message,
        )
        return before, after


def make_repos(base: Path, names: list[str]) -> list[Repo]:
    from demo.repos import write_bare_repo

    stamp = int(time.time()) - 86400  # commit_file dates each commit a minute later
    repos = []
    for name in names:
        path = base / f"{name}.git"
        text = COMPONENT.format(name=name, description="First version")
        write_bare_repo(path, {CATALOG_FILE: text.encode()}, "First version", stamp)
        repos.append(Repo(name, path))
    return repos


class Payloads:
    """Real GitHub push bodies (a recorded delivery) pointed at our repositories."""

    def __init__(self) -> None:
        if not FIXTURE.is_file():
            raise BenchError(f"the recorded GitHub push is missing: {FIXTURE}")
        self.template = json.loads(FIXTURE.read_text())

    def push(self, repo: Repo, ref: str, before: str, after: str) -> bytes:
        payload = copy.deepcopy(self.template)
        payload["repository"] |= {
            "clone_url": repo.url,
            "ssh_url": repo.url,
            "html_url": repo.url,
            "git_url": repo.url,
            "name": repo.name,
            "full_name": f"bench/{repo.name}",
            "default_branch": "main",
            "master_branch": "main",
        }
        commit = {
            **payload["commits"][0],
            "id": after,
            "message": f"bench: change {repo.name}",
            "added": [],
            "removed": [],
            "modified": [CATALOG_FILE],
        }
        payload |= {
            "ref": ref,
            "before": before,
            "after": after,
            "created": False,
            "deleted": False,
            "forced": False,
            "commits": [commit],
            "head_commit": commit,
        }
        return json.dumps(payload).encode()


def signed_headers(secret: str, body: bytes, delivery: str) -> dict[str, str]:
    """What GitHub sends: X-Hub-Signature-256 is the hex HMAC-SHA256 of the body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/bench",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "1",
        "X-Hub-Signature-256": f"sha256={digest}",
    }


def new_delivery_id() -> str:
    return f"bench-{secrets.token_hex(12)}"


def fake_sha() -> str:
    return secrets.token_hex(20)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    start: float  # perf_counter
    end: float

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


class Host:
    """Posts deliveries over one keep-alive connection, as a git host does."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        return self.send("POST", path, body, headers)

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Answer:
        start = time.perf_counter()
        self.connection.request(method, path, body, headers)
        response = self.connection.getresponse()
        data = response.read()
        end = time.perf_counter()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = {"raw": data[:300].decode(errors="replace")}
        return Answer(response.status, parsed, start, end)

    def close(self) -> None:
        self.connection.close()


Request = tuple[str, bytes | None, dict[str, str]]  # path, body, headers


def post_at_once(
    port: int, requests: Sequence[Request], timeout: float, method: str = "POST"
) -> tuple[list[Answer | None], float]:
    """Send every request at the same moment, one thread and connection each.

    The connections are opened first; a barrier then releases all the threads.
    Returns the answers (None for a failed request) and time.time() at release.
    """
    n = len(requests)
    answers: list[Answer | None] = [None] * n
    errors: list[str] = []
    barrier = threading.Barrier(n + 1)

    def one(index: int) -> None:
        host = Host(port)
        try:
            host.connection.connect()
            barrier.wait(timeout=30)
            answers[index] = host.send(method, *requests[index])
        except Exception as exc:  # reported below: a lost delivery
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            host.close()

    threads = [
        threading.Thread(target=one, args=(i,), name=f"delivery-{i}", daemon=True)
        for i in range(n)
    ]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=30)
    except threading.BrokenBarrierError:
        raise BenchError(f"could not open {n} connections: {errors[:1]}") from None
    released = time.time()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise BenchError(f"some of the {n} concurrent deliveries did not finish")
    if errors:
        log(f"{len(errors)} requests failed, first: {errors[0]}")
    return answers, released


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def pct(values: list[float], digits: int = 3) -> dict[str, float | None]:
    """p50 / p95 / max (nearest rank, as api.py) of a list; None when empty."""
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), digits),
        "p95": round(ordered[round(0.95 * (len(ordered) - 1))], digits),
        "max": round(ordered[-1], digits),
    }


def since(moment: dt.datetime | None, wall: float) -> float | None:
    """Seconds from ``wall`` (time.time()) to a database timestamp (same clock)."""
    return None if moment is None else round(moment.timestamp() - wall, 4)


def wait_processed(ids: list[str], timeout: float, what: str) -> float:
    from webhooks.models import Delivery

    waiting = ["queued", "processing"]
    queued = Delivery.objects.filter(delivery_id__in=ids, verdict__in=waiting)
    return crawl.wait_for(lambda: not queued.exists(), timeout, what, interval=0.02)


def verdicts(ids: list[str]) -> dict[str, int]:
    from django.db.models import Count

    from webhooks.models import Delivery

    rows = (
        Delivery.objects.filter(delivery_id__in=ids)
        .values_list("verdict")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


class Cpu:
    """CPU seconds by process between two readings: crawl.py's split, plus the
    gunicorn workers (which crawl.py counts as "other")."""

    def __init__(self, worker_pid: int, daemon_pid: int, server: api.Server) -> None:
        self.worker_pid, self.daemon_pid, self.server = worker_pid, daemon_pid, server
        self.gunicorn_pids = server.workers()
        self.start = crawl.CpuSnapshot(worker_pid, daemon_pid)
        self.gunicorn = api.cpu_seconds(self.gunicorn_pids)
        self.children = self._children()

    @staticmethod
    def _children() -> float:
        """CPU of this script's finished children: the git commands of commits."""
        usage = os.times()
        return usage.children_user + usage.children_system

    def used(self) -> dict[str, float]:
        split = crawl.CpuSnapshot(self.worker_pid, self.daemon_pid).minus(self.start)
        gunicorn = api.cpu_used(self.gunicorn, api.cpu_seconds(self.gunicorn_pids))
        children = self._children() - self.children
        split["gunicorn_workers_s"] = round(gunicorn, 2)
        split["bench_git_commits_s"] = round(children, 2)
        split["other_s"] = round(split["other_s"] - gunicorn - children, 2)
        return split


# --------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------


def reset_broker() -> None:
    import redis

    client = redis.Redis.from_url(BROKER_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def register(repos: list[Repo], timeout: float) -> float:
    """Register every repository and wait for the first crawls; the seconds."""
    from catalog.locations import register_many, validate_target
    from catalog.models import Entity, Location

    start = time.monotonic()
    register_many([validate_target(repo.url) for repo in repos])
    by_url = {loc.url: loc for loc in Location.objects.all()}
    for repo in repos:
        repo.location = by_url[validate_target(repo.url).url]
    pending = Location.objects.filter(last_crawl_finished__isnull=True)
    crawl.wait_for(lambda: not pending.exists(), timeout, "the first crawls")
    bad = Location.objects.exclude(status=Location.Status.OK)
    if bad.exists():
        first = bad.first()
        raise BenchError(
            f"{bad.count()} locations not OK after the first crawl, e.g. "
            f"{first.url}: {first.status} {first.last_error}"
        )
    names = {f"component:default/{repo.name}" for repo in repos}
    found = Entity.objects.filter(ref__in=names).count()
    if found != len(repos):
        raise BenchError(f"{found} of {len(repos)} components after the first crawls")
    for repo in repos:
        repo.location = Location.objects.get(pk=repo.location.pk)
    return time.monotonic() - start


def add_webhooks(repos: list[Repo], port: int) -> None:
    from webhooks.registry import create_webhook, payload_url

    for repo in repos:
        created = create_webhook("github", location=repo.location)
        repo.webhook, repo.secret = created.webhook, created.secret
        address = payload_url(created.webhook, f"http://{HOST}:{port}")
        repo.endpoint = urlsplit(address).path


# --------------------------------------------------------------------------
# phases
# --------------------------------------------------------------------------


def count_queries(repo: Repo, payloads: Payloads) -> dict[str, Any]:
    """The queries of one untracked-branch delivery, in-process (Django's test
    client, through the middleware); the task it queues goes to the real worker."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    body = payloads.push(repo, UNTRACKED_REF, repo.head(), fake_sha())
    delivery = new_delivery_id()
    headers = signed_headers(repo.secret, body, delivery)
    client = Client(SERVER_NAME=HOST)
    # DEBUG off: no collected static files, which a JSON endpoint does not use.
    warnings.filterwarnings("ignore", message="No directory at")
    content_type = headers.pop("Content-Type")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            repo.endpoint, body, content_type=content_type, headers=headers
        )
    if response.status_code != 202:
        raise BenchError(f"in-process delivery: HTTP {response.status_code}")
    return {
        "delivery": delivery,
        "queries": len(captured),
        "sql": [q["sql"][:200] for q in captured],
    }


def warm_up(
    server: api.Server, repo: Repo, payloads: Payloads, token: str, timeout: float
) -> dict[str, Any]:
    """Deliveries and API reads on fresh connections, several at once, so that
    every gunicorn worker has served both before anything is timed. The first
    round shows what a worker's first delivery costs."""
    n = 2 * SERVER.workers * SERVER.threads
    api_path = f"/api/catalog/entities/by-name/component/default/{quote(repo.name)}"
    read = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    rounds, ids = [], []
    for _ in range(WARMUP_ROUNDS):
        requests: list[Request] = []
        for _ in range(n):
            body = payloads.push(repo, UNTRACKED_REF, repo.head(), fake_sha())
            delivery = new_delivery_id()
            ids.append(delivery)
            requests.append(
                (repo.endpoint, body, signed_headers(repo.secret, body, delivery))
            )
        answers, _ = post_at_once(server.port, requests, timeout)
        reads, _ = post_at_once(
            server.port, [(api_path, None, read)] * n, timeout, method="GET"
        )
        if any(a is None or a.status != 202 for a in answers) or any(
            a is None or a.status != 200 for a in reads
        ):
            raise BenchError("a warm-up request failed")
        rounds.append(
            {
                "deliveries_ms": pct([a.ms for a in answers if a], 1),
                "api_reads_ms": pct([a.ms for a in reads if a], 1),
            }
        )
    wait_processed(ids, timeout, "the warm-up deliveries")
    log(
        f"warm-up: {n} deliveries at once on fresh connections, max answer per "
        "round " + ", ".join(f"{r['deliveries_ms']['max']} ms" for r in rounds)
    )
    return {"at_once": n, "rounds": rounds}


def endpoint_phase(
    server: api.Server,
    repo: Repo,
    payloads: Payloads,
    count: int,
    cpu_args: tuple[int, int],
    timeout: float,
) -> dict[str, Any]:
    """``count`` signed deliveries for an untracked branch, one after another."""
    before = repo.head()
    planned = []
    for _ in range(ENDPOINT_WARMUP + count):
        body = payloads.push(repo, UNTRACKED_REF, before, fake_sha())
        delivery = new_delivery_id()
        planned.append((delivery, body, signed_headers(repo.secret, body, delivery)))
    host = Host(server.port)
    for _, body, headers in planned[:ENDPOINT_WARMUP]:
        answer = host.post(repo.endpoint, body, headers)
        if answer.status != 202:
            raise BenchError(f"warm-up delivery: HTTP {answer.status} {answer.body}")
    ids = [d for d, _, _ in planned]
    wait_processed(ids[:ENDPOINT_WARMUP], timeout, "the warm-up deliveries")
    queries = count_queries(repo, payloads)
    wait_processed([queries["delivery"]], timeout, "the in-process delivery")
    others = web.wait_quiet()
    backends = api.postgres_backends()
    pg_before = api.cpu_seconds(backends)
    cpu = Cpu(*cpu_args, server)
    client_cpu0 = time.process_time()
    times = []
    start = time.monotonic()
    for delivery, body, headers in planned[ENDPOINT_WARMUP:]:
        answer = host.post(repo.endpoint, body, headers)
        if answer.status != 202:
            raise BenchError(f"delivery {delivery}: HTTP {answer.status} {answer.body}")
        times.append(answer.ms)
    wall = time.monotonic() - start
    client_cpu = time.process_time() - client_cpu0
    host.close()
    answered = cpu.used()
    pg_answered = api.cpu_used(pg_before, api.cpu_seconds(backends))
    timed_ids = ids[ENDPOINT_WARMUP:]
    drained = wait_processed(timed_ids, timeout, "the endpoint deliveries")
    found = verdicts(timed_ids)
    if found.get("ignored") != count:
        raise BenchError(f"the untracked-branch deliveries were decided {found}")
    result = {
        "deliveries": count,
        "ref": UNTRACKED_REF,
        "body_bytes": len(planned[-1][1]),
        **api.percentiles(times),
        "per_s": round(count / wall, 1),
        "wall_s": round(wall, 2),
        "worker_drained_after_s": round(drained, 2),
        "verdicts": found,
        "others_cores_before": others,
        "gunicorn_cpu_ms_per_delivery": round(
            answered["gunicorn_workers_s"] * 1000 / count, 2
        ),
        "postgres_backends_cpu_ms_per_delivery": round(pg_answered * 1000 / count, 2),
        "client_cpu_ms_per_delivery": round(client_cpu * 1000 / count, 2),
        "queries_per_delivery": queries["queries"],
        "queries": queries["sql"],
        "cpu_while_answering": answered,
    }
    log(
        f"endpoint: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max "
        f"{result['max_ms']} ms; {result['queries_per_delivery']} queries; gunicorn "
        f"CPU {result['gunicorn_cpu_ms_per_delivery']} ms per delivery"
    )
    return result


def latency_phase(
    server: api.Server,
    repo: Repo,
    payloads: Payloads,
    token: str,
    pushes: int,
    cpu_args: tuple[int, int],
    timeout: float,
) -> dict[str, Any]:
    """Commit, post the push, poll the catalog API until the change is there."""
    from catalog.models import CrawlRun
    from webhooks.models import Delivery, DeliveryCrawl

    wait = min(timeout, 60.0)
    reader = api.Client(server.port, token)
    path = f"/api/catalog/entities/by-name/component/default/{quote(repo.name)}"
    call = api.Call("GET", path)
    first = json.loads(reader.send(call))
    if first["metadata"]["name"] != repo.name:
        raise BenchError(f"the catalog API returned {first['metadata']['name']}")
    host = Host(server.port)
    tag = secrets.token_hex(3)
    samples = []
    others = web.wait_quiet()
    cpu = Cpu(*cpu_args, server)
    for i in range(pushes):
        description = f"Push {i} of run {tag}"
        before, after = repo.change(description, f"bench: push {i}")
        body = payloads.push(repo, "refs/heads/main", before, after)
        delivery_id = new_delivery_id()
        headers = signed_headers(repo.secret, body, delivery_id)
        wall0 = time.time()
        answer = host.post(repo.endpoint, body, headers)
        if answer.status != 202:
            raise BenchError(f"push {i}: HTTP {answer.status} {answer.body}")
        polls = 0
        deadline = answer.start + wait
        while True:
            polls += 1
            seen = json.loads(reader.send(call))["metadata"].get("description")
            now = time.perf_counter()
            if seen == description:
                break
            if now > deadline:
                delivery = Delivery.objects.filter(delivery_id=delivery_id).first()
                state = f"{delivery.verdict}: {delivery.detail}" if delivery else "?"
                raise BenchError(
                    f"push {i}: the change was not visible after {wait:.0f} s "
                    f"(delivery {state})"
                )
            time.sleep(POLL_S)
        visible = now - answer.start
        runs = CrawlRun.objects.filter(
            location=repo.location, commit=after, finished_at__isnull=False
        )
        crawl.wait_for(runs.exists, wait, f"push {i}: its CrawlRun", interval=0.02)
        wait_processed([delivery_id], wait, f"push {i}: its delivery")
        run = runs.order_by("started_at").first()
        delivery = Delivery.objects.get(delivery_id=delivery_id)
        queued = DeliveryCrawl.objects.filter(delivery=delivery).first()
        sample = {
            "commit": after,
            "visible_s": round(visible, 4),
            "answer_ms": round(answer.ms, 2),
            "polls": polls,
            "verdict": delivery.verdict,
            "received_s": since(delivery.received_at, wall0),
            "processed_s": since(delivery.processed_at, wall0),
            "crawl_queued_s": since(queued.queued_at if queued else None, wall0),
            "crawl_started_s": since(run.started_at, wall0),
            "crawl_finished_s": since(run.finished_at, wall0),
            "crawl_status": run.status,
            "crawl_changed": run.changed,
        }
        samples.append(sample)
        if (i + 1) % 10 == 0 or i + 1 == pushes:
            log(
                f"push {i + 1}/{pushes}: visible after {visible:.3f} s (answer "
                f"{answer.ms:.1f} ms, crawl {run.status} "
                f"{(run.finished_at - run.started_at).total_seconds():.3f} s)"
            )
        time.sleep(PUSH_GAP_S)
    used = cpu.used()
    host.close()
    reader.connection.close()

    def stage(key: str, minus: str | None = None, ms: bool = False) -> Any:
        values = [
            s[key] - (s[minus] if minus else 0)
            for s in samples
            if s[key] is not None and (minus is None or s[minus] is not None)
        ]
        return pct([v * 1000 for v in values] if ms else values, 1 if ms else 3)

    result = {
        "pushes": pushes,
        "poll_interval_s": POLL_S,
        "others_cores_before": others,
        "visible_s": stage("visible_s"),
        "mean_s": round(statistics.fmean(s["visible_s"] for s in samples), 3),
        "split_ms": {
            "endpoint_answer": pct([s["answer_ms"] for s in samples], 1),
            "answered_to_processed": pct(
                [
                    s["processed_s"] * 1000 - s["answer_ms"]
                    for s in samples
                    if s["processed_s"] is not None
                ],
                1,
            ),
            "processed_to_crawl_started": stage(
                "crawl_started_s", "processed_s", ms=True
            ),
            "crawl_run": stage("crawl_finished_s", "crawl_started_s", ms=True),
            "crawl_finished_to_seen": stage("visible_s", "crawl_finished_s", ms=True),
        },
        "verdicts": dict(collections.Counter(s["verdict"] for s in samples)),
        "crawl_statuses": dict(collections.Counter(s["crawl_status"] for s in samples)),
        "cpu": used,
        "cpu_ms_per_push": {
            key: round(value * 1000 / pushes, 1)
            for key, value in used.items()
            if key.endswith("_s") and key != "wall_s"
        },
        "samples": samples,
    }
    log(
        f"push-to-visible over {pushes} pushes: p50 {result['visible_s']['p50']} s, "
        f"p95 {result['visible_s']['p95']} s, max {result['visible_s']['max']} s"
    )
    return result


def concurrent_phase(
    server: api.Server, repos: list[Repo], payloads: Payloads, timeout: float
) -> dict[str, Any]:
    """One push to each repository, all delivered at the same moment."""
    from catalog.models import CrawlRun, Entity
    from webhooks.models import Delivery, DeliveryCrawl

    tag = secrets.token_hex(3)
    requests, ids, commits = [], [], []
    for repo in repos:
        before, after = repo.change(f"Burst {tag} {repo.name}", "bench: burst")
        body = payloads.push(repo, "refs/heads/main", before, after)
        delivery = new_delivery_id()
        requests.append(
            (repo.endpoint, body, signed_headers(repo.secret, body, delivery))
        )
        ids.append(delivery)
        commits.append(after)
    n = len(requests)
    others = web.wait_quiet()
    log(f"concurrent: posting {n} distinct deliveries at once")
    answers, released = post_at_once(server.port, requests, timeout)
    done = [a for a in answers if a is not None]
    first = min((a.start for a in done), default=0.0)
    last = max((a.end for a in done), default=0.0)
    statuses = collections.Counter(a.status for a in done)
    recorded = Delivery.objects.filter(delivery_id__in=ids).count()
    processed_after = wait_processed(ids, timeout, "the concurrent deliveries")
    changed = Entity.objects.filter(
        descriptor__metadata__description__startswith=f"Burst {tag} "
    )
    crawl.wait_for(
        lambda: changed.count() >= n, timeout, "the concurrent changes", interval=0.05
    )
    visible_after = time.time() - released
    rows = Delivery.objects.filter(delivery_id__in=ids)
    last_processed = max(d.processed_at for d in rows)
    runs = CrawlRun.objects.filter(commit__in=commits, finished_at__isnull=False)
    crawl.wait_for(lambda: runs.count() >= n, timeout, "the concurrent CrawlRuns")
    last_run = max(r.finished_at for r in runs)
    found = verdicts(ids)
    unprocessed = sum(v for k, v in found.items() if k in ("queued", "processing"))
    lost = n - recorded + unprocessed
    result = {
        "deliveries": n,
        "others_cores_before": others,
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "failed_requests": n - len(done),
        "recorded": recorded,
        "verdicts": found,
        "crawls_queued": DeliveryCrawl.objects.filter(delivery__in=rows).count(),
        "crawl_runs": runs.count(),
        "visible": changed.count(),
        "answers_ms": pct([a.ms for a in done], 1),
        "all_answered_s": round(last - first, 3),
        "answered_per_s": round(n / (last - first), 1) if last > first else None,
        "all_processed_s": round(last_processed.timestamp() - released, 3),
        "processed_per_s": round(n / (last_processed.timestamp() - released), 1),
        "all_crawled_s": round(last_run.timestamp() - released, 3),
        "all_visible_s_polled": round(visible_after, 3),
        "processed_wait_s": round(processed_after, 3),
        "nothing_lost": statuses.get(202, 0) == n
        and recorded == n
        and lost == 0
        and found.get("crawled", 0) == n
        and changed.count() == n,
    }
    log(
        f"concurrent: {statuses.get(202, 0)}/{n} answered 202 in "
        f"{result['all_answered_s']} s ({result['answered_per_s']}/s), processed "
        f"after {result['all_processed_s']} s, crawled after "
        f"{result['all_crawled_s']} s, verdicts {found}"
    )
    return result


def duplicate_phase(
    server: api.Server, repo: Repo, payloads: Payloads, n: int, timeout: float
) -> dict[str, Any]:
    """The same delivery ``n`` times at once: one accepted, one crawl."""
    from catalog.models import CrawlRun, Entity
    from webhooks.models import Delivery, DeliveryCrawl

    description = f"Duplicated {secrets.token_hex(3)}"
    before, after = repo.change(description, "bench: duplicated delivery")
    body = payloads.push(repo, "refs/heads/main", before, after)
    delivery = new_delivery_id()
    headers = signed_headers(repo.secret, body, delivery)
    web.wait_quiet()
    log(f"duplicates: posting the same delivery {n} times at once")
    answers, released = post_at_once(
        server.port, [(repo.endpoint, body, headers)] * n, timeout
    )
    done = [a for a in answers if a is not None]
    statuses = collections.Counter(a.status for a in done)
    said = collections.Counter(str(a.body.get("status")) for a in done)
    wait_processed([delivery], timeout, "the duplicated delivery")
    visible = Entity.objects.filter(
        ref=f"component:default/{repo.name}",
        descriptor__metadata__description=description,
    )
    crawl.wait_for(visible.exists, timeout, "the duplicated delivery's change")
    runs = CrawlRun.objects.filter(location=repo.location, commit=after)
    crawl.wait_for(
        lambda: runs.filter(finished_at__isnull=False).exists(),
        timeout,
        "the duplicated delivery's CrawlRun",
    )
    time.sleep(SETTLE_S)  # a second crawl would have started by now
    rows = Delivery.objects.filter(delivery_id=delivery)
    crawls = DeliveryCrawl.objects.filter(delivery__in=rows).count()
    result = {
        "copies": n,
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "answer_status_field": dict(said),
        "failed_requests": n - len(done),
        "recorded": rows.count(),
        "verdicts": verdicts([delivery]),
        "crawls_queued": crawls,
        "crawl_runs": runs.count(),
        "answers_ms": pct([a.ms for a in done], 1),
        "all_answered_s": round(
            max(a.end for a in done) - min(a.start for a in done), 3
        )
        if done
        else None,
        "exactly_once": statuses.get(202, 0) == 1
        and statuses.get(200, 0) == n - 1
        and said.get("duplicate", 0) == n - 1
        and crawls == 1
        and runs.count() == 1,
    }
    log(
        f"duplicates: answers {result['answers']} ({dict(said)}), "
        f"{crawls} crawl queued, {runs.count()} crawl run(s)"
    )
    return result


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def _f(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _ok(good: bool | None) -> str:
    return "" if good is None else ("ok" if good else "MISSED")


def format_table(results: dict[str, Any]) -> str:
    config = results["config"]
    latency = results.get("latency") or {}
    visible = latency.get("visible_s") or {}
    split = latency.get("split_ms") or {}
    endpoint = results.get("endpoint") or {}
    burst = results.get("concurrent") or {}
    same = results.get("duplicate") or {}

    def below(value: Any, target: float) -> bool | None:
        return None if value is None else value <= target

    def split_row(label: str, key: str) -> tuple[str, str, str, str]:
        found = split.get(key) or {}
        return (
            f"  {label}",
            f"{_f(found.get('p50'), digits=1)} / {_f(found.get('p95'), ' ms', 1)}",
            "",
            "",
        )

    rows: list[tuple[str, str, str, str]] = [
        (
            f"push-to-visible p50 ({latency.get('pushes', '-')} pushes)",
            _f(visible.get("p50"), " s", 3),
            f"<= {TARGETS['latency_p50_s']:g} s",
            _ok(below(visible.get("p50"), TARGETS["latency_p50_s"])),
        ),
        (
            "push-to-visible p95",
            _f(visible.get("p95"), " s", 3),
            f"<= {TARGETS['latency_p95_s']:g} s",
            _ok(below(visible.get("p95"), TARGETS["latency_p95_s"])),
        ),
        ("push-to-visible max", _f(visible.get("max"), " s", 3), "-", ""),
        ("  split, p50 / p95:", "", "", ""),
        split_row("endpoint answer", "endpoint_answer"),
        split_row("answered -> delivery processed", "answered_to_processed"),
        split_row("processed -> crawl started", "processed_to_crawl_started"),
        split_row("crawl run (started -> finished)", "crawl_run"),
        split_row("crawl finished -> seen by the API poll", "crawl_finished_to_seen"),
        (
            f"endpoint answer, {endpoint.get('deliveries', '-')} one by one, "
            "p50/p95/max",
            f"{_f(endpoint.get('p50_ms'))} / {_f(endpoint.get('p95_ms'))} / "
            f"{_f(endpoint.get('max_ms'), ' ms')}",
            f"p95 <= {TARGETS['endpoint_p95_ms']:g} ms",
            _ok(below(endpoint.get("p95_ms"), TARGETS["endpoint_p95_ms"])),
        ),
        (
            f"{burst.get('deliveries', '-')} distinct at once: 202 / recorded / "
            "crawled / visible",
            f"{(burst.get('answers') or {}).get('202', 0)} / "
            f"{burst.get('recorded', '-')} / "
            f"{(burst.get('verdicts') or {}).get('crawled', 0)} / "
            f"{burst.get('visible', '-')}",
            "all, nothing lost",
            _ok(burst.get("nothing_lost")) if burst else "",
        ),
        (
            "  deliveries/s answered (all answered after)",
            f"{_f(burst.get('answered_per_s'), '/s', 1)} "
            f"({_f(burst.get('all_answered_s'), ' s', 3)})",
            "",
            "",
        ),
        (
            "  answer time p50 / p95 / max",
            f"{_f((burst.get('answers_ms') or {}).get('p50'), digits=1)} / "
            f"{_f((burst.get('answers_ms') or {}).get('p95'), digits=1)} / "
            f"{_f((burst.get('answers_ms') or {}).get('max'), ' ms', 1)}",
            "",
            "",
        ),
        (
            "  all processed / all crawled after (deliveries/s)",
            f"{_f(burst.get('all_processed_s'), ' s', 2)} / "
            f"{_f(burst.get('all_crawled_s'), ' s', 2)} "
            f"({_f(burst.get('processed_per_s'), '/s', 1)})",
            "",
            "",
        ),
        (
            f"{same.get('copies', '-')} copies of one delivery: 202 / duplicate / "
            "crawls",
            f"{(same.get('answers') or {}).get('202', 0)} / "
            f"{(same.get('answer_status_field') or {}).get('duplicate', 0)} / "
            f"{same.get('crawl_runs', '-')}",
            f"1 / {config['concurrent'] - 1} / 1",
            _ok(same.get("exactly_once")) if same else "",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    header = ("figure", "measured", "target", "")
    lines = [
        f"Webhooks: gunicorn {SERVER.workers} x {SERVER.worker_class} "
        f"({SERVER.threads} threads), celery prefork x {WORKER_CONCURRENCY}, "
        f"git daemon, PostgreSQL {DB_NAME}, Redis",
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if per_push := latency.get("cpu_ms_per_push"):
        lines.append(
            "\nCPU ms per push (latency phase, incl. ~"
            f"{statistics.fmean(s['polls'] for s in latency['samples']):.0f} API polls "
            "and the gap between pushes): "
            + ", ".join(
                f"{k.removesuffix('_s')} {v}"
                for k, v in per_push.items()
                if k not in ("busy_cpu_s",)
            )
        )
    if endpoint:
        e = endpoint
        lines.append(
            f"Endpoint: {e.get('queries_per_delivery')} queries per delivery; CPU "
            f"per delivery: gunicorn {e.get('gunicorn_cpu_ms_per_delivery')} ms, "
            f"PostgreSQL backends {e.get('postgres_backends_cpu_ms_per_delivery')} ms, "
            f"client {e.get('client_cpu_ms_per_delivery')} ms; {e.get('per_s')} "
            f"deliveries/s one after another; body {e.get('body_bytes')} bytes"
        )
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], table: str) -> Path:
    web.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    base = web.RESULTS_DIR / f"webhooks-{stamp}"
    base.with_suffix(".json").write_text(
        json.dumps(results, indent=2, default=str) + "\n"
    )
    base.with_suffix(".txt").write_text(table)
    return base.with_suffix(".json")


def log_problems(path: Path, name: str) -> int:
    """Lines of a log that say ERROR or Traceback; the first few are logged."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return 0
    bad = [line for line in lines if "ERROR" in line or "Traceback" in line]
    for line in bad[:5]:
        log(f"{name}: {line[:300]}")
    return len(bad)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--pushes", type=int, default=100, help="pushes timed to visible")
    add("--deliveries", type=int, default=300, help="sequential endpoint deliveries")
    add("--concurrent", type=int, default=50, help="deliveries posted at once")
    add("--timeout", type=float, default=600, help="bound on every wait, seconds")
    add("--keep", action="store_true", help="keep the temp dir (repos, logs)")
    args = parser.parse_args(argv)
    if min(args.pushes, args.deliveries) < 1 or args.concurrent < 2:
        parser.error("need --pushes >= 1, --deliveries >= 1, --concurrent >= 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, crawl._on_sigterm)
    tmp = Path(tempfile.mkdtemp(prefix="greenroom-bench-webhooks-"))
    data_dir, repos_dir = tmp / "data", tmp / "repos"
    data_dir.mkdir()
    repos_dir.mkdir()
    worker_log, daemon_log = tmp / "worker.log", tmp / "git-daemon.log"
    gunicorn_log = tmp / "gunicorn.log"
    git = ["git", "-C", str(ROOT)]
    results: dict[str, Any] = {
        "bench": "webhooks",
        "started": web.now(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "code": {
            "head": web.run([*git, "rev-parse", "--short", "HEAD"]).strip(),
            "uncommitted_files_in_webhooks_catalog_portal": len(
                web.run(
                    [*git, "status", "--porcelain", "webhooks", "catalog", "portal"]
                ).splitlines()
            ),
        },
        "config": {
            **vars(args),
            "database": f"postgresql://127.0.0.1:5432/{DB_NAME}",
            "broker": BROKER_URL,
            "gunicorn": vars(SERVER),
            "worker": f"prefork x {WORKER_CONCURRENCY}",
        },
        "targets": TARGETS,
        "setup": {},
    }
    worker = daemon = server = None
    status = 0
    try:
        payloads = Payloads()
        names = [LATENCY_REPO] + [f"burst-{i:03d}" for i in range(args.concurrent)]
        start = time.monotonic()
        repos = make_repos(repos_dir, names)
        results["setup"]["repos_s"] = round(time.monotonic() - start, 2)
        daemon, port = crawl.start_git_daemon(repos_dir, daemon_log)
        git_host = f"{HOST}:{port}"
        for repo in repos:
            repo.url = f"git://{git_host}/{repo.path.name}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"postgres://{PG_USER}@127.0.0.1:5432/{DB_NAME}",
            "CELERY_BROKER_URL": BROKER_URL,
            "SECRET_KEY": "greenroom-bench-only-not-a-secret",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": HOST,
            "LOG_LEVEL": "WARNING",
            "GREENROOM_DATA_DIR": str(data_dir),
            "GREENROOM_ALLOWED_GIT_HOSTS": git_host,
            "GREENROOM_ALLOW_LOCAL_REPOS": "0",
            "GREENROOM_PUBLIC_URL": "",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        log(f"git daemon on {git_host}; recreating database {DB_NAME}")
        start = time.monotonic()
        web.ensure_database(DB_NAME, env, rebuild=True)
        results["setup"]["database_s"] = round(time.monotonic() - start, 2)
        reset_broker()
        crawl.setup_django(env)

        worker = crawl.start_worker(env, WORKER_CONCURRENCY, worker_log)
        results["setup"]["worker_ready_s"] = round(crawl.wait_worker_ready(60), 2)
        server = api.start_server(SERVER, gunicorn_log)
        crawl.wait_for(
            lambda: len(server.workers()) >= SERVER.workers, 30, "gunicorn's workers"
        )
        results["server"] = {"command": server.command, "port": server.port}
        log(
            f"worker pid {worker.pid}, gunicorn on port {server.port} "
            f"({len(server.workers())} workers)"
        )
        registered = register(repos, args.timeout)
        results["setup"]["first_crawls_s"] = round(registered, 2)
        add_webhooks(repos, server.port)
        token = api.read_token()
        log(f"{len(repos)} locations crawled in {registered:.1f} s, webhooks made")
        cpu_args = (worker.pid, daemon.pid)
        hooked, burst = repos[0], repos[1:]

        results["warm_up"] = warm_up(server, hooked, payloads, token, args.timeout)
        results["endpoint"] = endpoint_phase(
            server, hooked, payloads, args.deliveries, cpu_args, args.timeout
        )
        results["latency"] = latency_phase(
            server, hooked, payloads, token, args.pushes, cpu_args, args.timeout
        )
        results["concurrent"] = concurrent_phase(server, burst, payloads, args.timeout)
        results["duplicate"] = duplicate_phase(
            server, hooked, payloads, args.concurrent, args.timeout
        )
    except BenchError as exc:
        results["error"] = str(exc)
        log(f"ERROR: {exc}")
        status = 2
    except KeyboardInterrupt:
        results["error"] = "interrupted"
        log("interrupted; cleaning up")
        status = 130
    except Exception:
        results["error"] = traceback.format_exc(limit=8)
        traceback.print_exc()
        status = 1
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                server.stop()
        crawl.stop_process(worker, "celery worker")
        crawl.stop_process(daemon, "git daemon")
        with contextlib.suppress(Exception):  # Django may never have been set up
            from django.db import connections

            connections.close_all()
        results["log_problems"] = {
            "worker": log_problems(worker_log, "worker log"),
            "gunicorn": log_problems(gunicorn_log, "gunicorn log"),
        }
        if status not in (0, 130):
            for name, path in (("worker", worker_log), ("gunicorn", gunicorn_log)):
                if tail := crawl._tail(path, 20):
                    log(f"last lines of the {name} log:\n{tail}")
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["finished"] = web.now()
    table = format_table(results)
    print(f"\n{table}")
    if status != 130:
        path = write_results(results, table)
        log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
