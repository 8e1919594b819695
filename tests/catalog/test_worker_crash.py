"""A worker killed in the middle of a crawl: catalog intact, crawl runs again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import CrawlRun, Entity
from catalog.tasks import crawl_location_task
from portal.celery import app
from tests.support.descriptors import GOOD
from tests.support.worker import wait_for

ROOT = Path(__file__).resolve().parents[2]


class HangingProxy:
    """Forwards TCP to git daemon, except that it can swallow connections (a hang)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.hang = False
        self.hung = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.hang:
                self.held.append(client)
                self.hung.set()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def close(self) -> None:
        self.server.close()
        for sock in self.held:
            sock.close()


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_crawl_keeps_catalog_and_crawl_runs_again(repos, git_daemon):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    proxy = HangingProxy(git_daemon.port)
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [f"127.0.0.1:{proxy.port}"]
    url = f"git://127.0.0.1:{proxy.port}/{repo.path.relative_to(git_daemon.base)}"
    location, _ = register_location(url)
    crawl_location(location)
    repo.commit({"catalog-info.yaml": GOOD.replace("team-a", "team-b")})

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GREENROOM_ALLOWED_GIT_HOSTS": f"127.0.0.1:{proxy.port}",
        "GREENROOM_DATA_DIR": str(settings.DATA_DIR),
        "GREENROOM_GIT_TIMEOUT": "60",
    }
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proxy.hang = True
        app.conf.task_always_eager = False
        crawl_location_task.delay(location.pk)
        assert proxy.hung.wait(60), "the crawl never reached git"
        wait_for(lambda: bool(pool_children(worker.pid)))
        for child in pool_children(worker.pid):
            os.kill(child, signal.SIGKILL)
        proxy.hang = False
        # The catalog is as it was while the task waits for its second delivery.
        assert (
            Entity.objects.get(ref="component:default/good").owner_ref
            == "group:default/team-a"
        )
        wait_for(
            lambda: (
                Entity.objects.get(ref="component:default/good").owner_ref
                == "group:default/team-b"
            ),
            timeout=60,
        )
        # The crawl records its end just after its changes commit.
        wait_for(lambda: CrawlRun.objects.filter(status="succeeded").count() == 2)
        location.refresh_from_db()
        assert location.attempts == 0
        assert location.last_commit == repo.head()
        assert (
            CrawlRun.objects.filter(location=location, status="succeeded").count() == 2
        )
    finally:
        stop(worker)
        proxy.close()


def stop(worker: subprocess.Popen[bytes]) -> None:
    """A warm shutdown, then a cold one: what the test checked is already done.

    A warm shutdown waits for the tasks in hand, and billiard sometimes waits on
    the pool child this test killed; the worker and what it started are then
    killed outright, so no process outlives the test.
    """
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for child in pool_children(worker.pid):
            os.kill(child, signal.SIGKILL)
        worker.kill()
        worker.wait(timeout=30)
