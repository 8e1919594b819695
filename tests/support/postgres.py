"""Whole PostgreSQL databases for tests that run the portal in other processes:
made on the test database's server, dropped afterwards, named by URL."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings


def pg_env() -> dict[str, str]:
    """libpq's variables for the test database's server (CI: root, trust auth)."""
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pg(*args: str) -> str:
    """A PostgreSQL client program (pg_dump, createdb...) on that server."""
    binary = shutil.which(args[0])
    assert binary, f"{args[0]} (PostgreSQL client) is needed for this test"
    done = subprocess.run(
        [binary, *args[1:]], env=pg_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def database_url(name: str) -> str:
    """DATABASE_URL for database `name` on the test database's server."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{name}"


def drop_database(name: str) -> None:
    """Drop `name`, ending its connections first (a portal may still hold some)."""
    pg("dropdb", "--if-exists", "--force", "--maintenance-db=postgres", name)


@contextmanager
def new_database(prefix: str, *, create: bool = True) -> Iterator[str]:
    """A new database's name (made empty unless `create` is false), dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if create:
        pg("createdb", "--maintenance-db=postgres", name)
    try:
        yield name
    finally:
        drop_database(name)
