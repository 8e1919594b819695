"""API tokens on the embedded default (SQLite): usable more than once.

pytest-django gives the whole run one database (PostgreSQL here), so the embedded
default is run as it ships: `manage.py` in a subprocess with no DATABASE_URL, and
the API called through Django's WSGI handler in another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DROPPED = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")

# Three calls with the same token: the first notes when it was used, the later
# ones read that time back through the token check's raw SQL.
CALLS = """
import json, sys
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost", raise_request_exception=False)
auth = {"Authorization": "Bearer " + sys.argv[1]}
url = "/api/catalog/entities"
codes = [client.get(url, headers=auth).status_code for _ in range(3)]
print(json.dumps(codes))
"""


def run(data_dir: Path, *args: str, stdin: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env |= {
        "GREENROOM_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_a_token_works_on_every_call_on_sqlite(tmp_path):
    data = tmp_path / "embedded"
    run(data, "manage.py", "migrate", "--noinput")
    assert (data / "greenroom.sqlite3").exists()
    run(
        data,
        *("manage.py", "adduser", "sam", "--role", "viewer", "--password-stdin"),
        stdin="a-long-enough-passphrase\n",
    )
    token = run(data, "manage.py", "create_token", "sam").strip()
    assert token.startswith("gr_")
    assert json.loads(run(data, "-c", CALLS, token).strip()) == [200, 200, 200]
