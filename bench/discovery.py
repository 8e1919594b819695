"""Discovery benchmark: an organisation of 5,000 repositories on a git host.

A fake GitHub (tests/support/fakehost: the host's REST routes and answer shapes,
real git over http behind the token) holds ``--repos`` repositories, of which
``--descriptors`` have a catalog-info.yaml; it pages at 100, as GitHub does. A
scratch PostgreSQL database, one real Celery worker (prefork, ``--workers``) on
Redis, and this process as the scheduler. Then:

* first discovery: the run (listing, a descriptor read per repository, bulk
  registration; the uncatalogued list is complete when it ends), then until every
  registered location is crawled (everything catalogued);
* rediscovery with nothing changed: the run's time and the requests it made
  (target: at most 30 s, no file read: the host's push times say nothing moved);
* ``--events`` repository-created events: a new repository with a descriptor, its
  signed GitHub `repository` delivery given to the webhook endpoint's code
  (webhooks/receive.py, in this process), then the delivery's processing, the
  discovery check and the crawl on the worker, until the component is in the
  catalog: p50/p95/max (target p50 at most 2 s).

    .venv/bin/python bench/discovery.py                          # 5,000 / 3,000
    .venv/bin/python bench/discovery.py --repos 500 --descriptors 300 --events 5

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), Redis on
127.0.0.1:6379 and git. Drops and recreates ``greenroom_bench_discovery`` and
flushes Redis db 12. Results: a printed table and
``bench/results/discovery-<date>.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
DB_NAME = "greenroom_bench_discovery"
BROKER_URL = "redis://127.0.0.1:6379/12"
DESCRIPTOR = (
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
    "spec: {{type: service, lifecycle: production, owner: team-a}}\n"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(
    condition: Any, timeout: float, what: str, interval: float = 0.05
) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--descriptors", type=int, default=3000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()

    from tests.support.fakehost import FakeHost, FakeRepo

    work = Path(tempfile.mkdtemp(prefix="greenroom-bench-discovery-"))
    host = FakeHost("github", work / "host", page_max=100).start()
    address = host.web_url.removeprefix("http://")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "CELERY_BROKER_URL": BROKER_URL,
        "SECRET_KEY": "bench-only-not-a-secret",
        "GREENROOM_ALLOWED_GIT_HOSTS": address,
        "GREENROOM_DATA_DIR": str(work / "data"),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    results: dict[str, Any] = {
        "bench": "discovery",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "repos": args.repos,
        "descriptors": args.descriptors,
        "workers": args.workers,
    }
    worker = None
    try:
        log(f"creating {args.repos} repositories on the fake host")
        started = time.monotonic()
        for i in range(args.repos):
            files = (
                {"catalog-info.yaml": DESCRIPTOR.format(name=f"svc-{i:05}")}
                if i < args.descriptors
                else {"README.md": f"repository {i}\n"}
            )
            host.add(FakeRepo("acme", f"repo-{i:05}", files, private=i % 3 == 0))
        results["populate_s"] = round(time.monotonic() - started, 1)

        log("database and worker")
        conn = ["-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(["dropdb", *conn, "--if-exists", "--force", DB_NAME], check=True)
        subprocess.run(["createdb", *conn, DB_NAME], check=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT,
                       env=env, check=True)  # fmt: skip
        os.environ.update(env)
        import django

        django.setup()
        import redis

        redis.Redis.from_url(BROKER_URL).flushdb()
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker",
             f"--concurrency={args.workers}", "--pool=prefork", "--loglevel=WARNING",
             "-n", "bench-discovery@%h"],
            cwd=ROOT, env=env, stdout=(work / "worker.log").open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        from portal.celery import app

        wait_for(lambda: bool(app.control.ping(timeout=0.5)), 120, "the worker")

        from catalog.models import Entity, Location
        from discovery import connections, runs, sources
        from webhooks import receive
        from webhooks.registry import create_webhook

        connection = connections.add_connection(
            "acme", "github", api_url=host.api_url, git_url=host.web_url,
            token=host.token,
        )  # fmt: skip
        source = sources.add_source("acme", connection, "orgs/acme")

        log("first discovery")
        before = len(host.requests)
        started = time.monotonic()
        run = runs.run_discovery(runs.start_run(source).pk)
        listed = time.monotonic() - started
        assert run.status == "ok", run.message

        def crawled() -> bool:
            pending = Location.objects.filter(status="pending").count()
            return pending == 0

        wait_for(crawled, args.timeout, "every location crawled", interval=0.5)
        catalogued = time.monotonic() - started
        components = Entity.objects.filter(kind="Component").count()
        results["first"] = {
            "run_s": round(listed, 1),
            "to_everything_catalogued_s": round(catalogued, 1),
            "seen": run.seen,
            "registered": run.registered,
            "uncatalogued": run.uncatalogued,
            "errors": run.errors,
            "components": components,
            "failed_locations": Location.objects.filter(status="failed").count(),
            "api_requests": len(host.requests[before:]) - _git(host, before),
        }
        log(f"first: {results['first']}")

        log("rediscovery, nothing changed")
        before = len(host.requests)
        started = time.monotonic()
        again = runs.run_discovery(runs.start_run(source).pk)
        seconds = time.monotonic() - started
        asked = [r.path for r in host.requests[before:] if not r.git]
        results["rediscovery"] = {
            "run_s": round(seconds, 2),
            "target_s": 30,
            "seen": again.seen,
            "registered": again.registered,
            "api_requests": len(asked),
            "file_reads": sum("/contents/" in path for path in asked),
        }
        log(f"rediscovery: {results['rediscovery']}")

        # The crawls queued follow-up tasks (scores, docs checks): let the worker
        # drain them, so an event does not wait behind the first run's backlog.
        queue = redis.Redis.from_url(BROKER_URL)

        def idle() -> bool:
            active = app.control.inspect(timeout=1).active() or {}
            return queue.llen("celery") == 0 and not any(active.values())

        results["drain_s"] = round(wait_for(idle, args.timeout, "an idle worker", 1), 1)
        log(f"{args.events} repository-created events")
        hook = create_webhook("github", owner_url=f"{host.web_url}/acme")
        payload = json.loads(
            (ROOT / "tests/support/hostevents/github/repository.created.json")
            .read_text()
        )  # fmt: skip
        times: list[float] = []
        for i in range(args.events):
            name = f"new-{i:03}"
            repo = host.add(
                FakeRepo(
                    "acme", name, {"catalog-info.yaml": DESCRIPTOR.format(name=name)}
                )
            )
            body = dict(payload)
            body["repository"] = {
                **payload["repository"], "id": repo.id, "name": name,
                "full_name": f"acme/{name}", "clone_url": host.clone_url(repo),
                "html_url": f"{host.web_url}/acme/{name}",
            }  # fmt: skip
            raw = json.dumps(body).encode()
            digest = hmac.new(hook.secret.encode(), raw, hashlib.sha256).hexdigest()
            headers = {
                "X-GitHub-Event": "repository", "X-GitHub-Delivery": f"bench-{i}",
                "X-Hub-Signature-256": f"sha256={digest}",
                "Content-Type": "application/json",
            }  # fmt: skip
            started = time.monotonic()
            chunks = iter([raw])
            answer = receive.receive(
                "github", str(hook.webhook.uid), headers,
                lambda size=-1, chunks=chunks: next(chunks, b""), len(raw),
            )  # fmt: skip
            assert answer.status == 202, answer.body
            wait_for(
                lambda name=name: Entity.objects.filter(
                    kind="Component", name=name
                ).exists(),
                120,
                f"{name} in the catalog",
                interval=0.02,
            )
            times.append(time.monotonic() - started)
        results["event_to_visible"] = {
            "events": len(times),
            "p50_s": round(statistics.median(times), 3),
            "p95_s": round(percentile(times, 0.95), 3),
            "max_s": round(max(times), 3),
            "target_p50_s": 2,
        }
        log(f"events: {results['event_to_visible']}")
    finally:
        if worker is not None:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=30)
        host.stop()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"discovery-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    log(f"results in {out.relative_to(ROOT)}")
    return 0


def _git(host: Any, before: int) -> int:
    return sum(1 for r in host.requests[before:] if r.git)


if __name__ == "__main__":
    sys.exit(main())
