"""Reads from a real streaming replica (a second PostgreSQL cluster made with
pg_basebackup by the test), read-your-writes, and the primary when the replica
lags or stops."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections
from django.test import Client

from catalog.models import Location
from core import replicas
from core.tokens import issue_token
from tests.support.catalog import crawl_repo
from tests.support.descriptors import GOOD
from tests.support.replica import Replica, streaming_replica
from tests.support.users import make_user

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's"
)
ALIAS = "replica_0"


@pytest.fixture
def replica(transactional_db, settings) -> Iterator[Replica]:
    # After the database fixture: its checks of which aliases a test may use
    # are made before this alias exists.
    with streaming_replica() as replica:
        connections.settings[ALIAS] = {
            **connection.settings_dict,
            "PORT": replica.port,
            "OPTIONS": {"connect_timeout": 2},
            "CONN_MAX_AGE": 60,
        }
        # Connected here: the test case lets only its own aliases connect later.
        connections[ALIAS].connect()
        settings.DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
        settings.GREENROOM_REPLICA_MAX_LAG = 30
        replicas._down_until.clear()
        try:
            yield replica
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
            replicas._down_until.clear()


def caught_up(replica: Replica, ref: str) -> None:
    deadline = time.monotonic() + 30
    while not replica.sql(f"SELECT count(*) FROM catalog_entity WHERE ref = '{ref}'"):
        assert time.monotonic() < deadline, "the replica never caught up"
        time.sleep(0.1)


def reader(role: str = "viewer", name: str = "vera") -> tuple[Client, dict[str, str]]:
    user = make_user(name, role)
    token = issue_token(user, "t", write=True)[1]
    client = Client()
    client.force_login(user)
    return client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


GOOD_URL = "/api/catalog/entities/by-name/component/default/good"
OTHER = GOOD.replace("name: good", "name: other")
OTHER_URL = "/api/catalog/entities/by-name/component/default/other"


def test_reads_come_from_the_replica_and_writes_are_read_back(replica, repos):
    crawl_repo(repos, "good", {"catalog-info.yaml": GOOD})
    caught_up(replica, "component:default/good")
    _, auth = reader()
    # The token was just used for the first time (a write): a moment on the primary.
    Client().get(GOOD_URL, **auth)
    time.sleep(5.1)
    answer = Client().get(GOOD_URL, **auth)
    assert answer.status_code == 200
    assert answer["X-Greenroom-Read-From"] == "replica"

    # Replay paused: the replica is behind (within the allowed lag) and says so.
    replica.sql("SELECT pg_wal_replay_pause()")
    crawl_repo(repos, "other", {"catalog-info.yaml": OTHER})
    stale = Client().get(OTHER_URL, **auth)
    assert (stale.status_code, stale["X-Greenroom-Read-From"]) == (404, "replica")

    # Someone who just wrote reads from the primary, for a few seconds.
    writer, writer_auth = reader("editor", "eddie")
    time.sleep(5.1)  # eddie's token's first use is behind us
    made = Client().post(
        "/api/catalog/locations",
        {"type": "url", "target": repos.create("third", {}).url},
        content_type="application/json",
        **writer_auth,
    )
    assert made.status_code == 201, made.content
    location = made.json()["location"]["id"]
    again = Client().get(f"/api/catalog/locations/{location}", **writer_auth)
    assert (again.status_code, again["X-Greenroom-Read-From"]) == (200, "primary")
    fresh = Client().get(OTHER_URL, **writer_auth)
    assert fresh.status_code == 200
    # ... and a browser, through its cookie.
    pk = Location.objects.get(uid=location).pk
    assert writer.post(f"/locations/{pk}/refresh").status_code == 302
    assert writer.get(OTHER_URL)["X-Greenroom-Read-From"] == "primary"

    # Too far behind: everyone reads from the primary.
    time.sleep(1.5)
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "GREENROOM_REPLICA_MAX_LAG", 1)
        late = Client().get(OTHER_URL, **auth)
    assert (late.status_code, late["X-Greenroom-Read-From"]) == (200, "primary")
    replica.sql("SELECT pg_wal_replay_resume()")
    caught_up(replica, "component:default/other")
    assert Client().get(OTHER_URL, **auth)["X-Greenroom-Read-From"] == "replica"


def test_a_replica_that_stops_leaves_reads_to_the_primary(replica, repos):
    crawl_repo(repos, "good", {"catalog-info.yaml": GOOD})
    caught_up(replica, "component:default/good")
    client, auth = reader()
    Client().get(GOOD_URL, **auth)
    time.sleep(5.1)
    assert Client().get(GOOD_URL, **auth)["X-Greenroom-Read-From"] == "replica"
    page = client.get("/catalog")
    assert page.status_code == 200

    replica.stop()
    for _ in range(3):
        answer = Client().get(GOOD_URL, **auth)
        assert (answer.status_code, answer["X-Greenroom-Read-From"]) == (200, "primary")
        assert client.get("/catalog").status_code == 200
