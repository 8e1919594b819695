"""A real PostgreSQL streaming replica of the test server, made by the tests:
`pg_basebackup` of the running cluster into a folder of its own, started as a hot
standby on a free port (as the `postgres` account, from Debian's binaries)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.support.gitrepos import free_port


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip(f"no PostgreSQL {name} here")
    return found[-1]


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=300, check=False
    )


@dataclass
class Replica:
    port: int
    folder: Path

    def stop(self) -> None:
        _as_postgres(_binary("pg_ctl"), "-D", str(self.folder), "-m", "immediate",
                     "-w", "stop")  # fmt: skip

    def sql(self, statement: str) -> object:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres",
            dbname=connection.settings_dict["NAME"], autocommit=True,
        ) as replica:  # fmt: skip
            row = replica.execute(statement).fetchone()
            return row[0] if row else None


@contextmanager
def streaming_replica() -> Iterator[Replica]:
    params = connection.settings_dict
    folder = Path(tempfile.mkdtemp(prefix="greenroom-replica-"))
    shutil.chown(folder, "postgres", "postgres")
    folder.chmod(0o700)
    port = free_port()
    made = _as_postgres(
        _binary("pg_basebackup"), "-h", params["HOST"] or "127.0.0.1",
        "-p", str(params["PORT"] or 5432), "-U", params["USER"] or "postgres",
        "-D", str(folder / "data"), "-R", "-X", "stream", "-c", "fast",
    )  # fmt: skip
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(
            "pg_basebackup failed (the server must allow replication connections "
            f"from 127.0.0.1: .ci/run adds it): {made.stderr[-2000:]}"
        )
    data = folder / "data"
    (data / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{folder}'\nhot_standby = on\nfsync = off\n"
        "max_standby_streaming_delay = -1\n"
    )
    (data / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n"
    )
    for name in ("postgresql.conf", "pg_hba.conf"):
        shutil.chown(data / name, "postgres", "postgres")
    started = _as_postgres(
        _binary("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "start"
    )
    replica = Replica(port, data)
    try:
        if started.returncode != 0:
            log = (folder / "log").read_text() if (folder / "log").exists() else ""
            pytest.fail(f"the replica did not start: {started.stderr}{log[-2000:]}")
        yield replica
    finally:
        replica.stop()
        shutil.rmtree(folder, ignore_errors=True)
