"""Structured logs: JSON lines with the request, user, token, task and location
ids, and never a token."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from catalog.locations import register_location
from catalog.tasks import crawl_location_task
from core import logs
from core.tokens import issue_token

Lines = Callable[[], list[dict[str, object]]]
ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """The JSON formatter and context filter on a root handler, as LOG_FORMAT=json
    configures them; returns a reader of the lines written so far, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        # Each line must be one JSON object on its own.
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_line_fields_and_no_extra_keys(json_lines: Lines) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("greenroom.test").exception(
            "went %s", "wrong", extra={"password": "hunter2", "request_id": "r-1"}
        )
    (line,) = json_lines()
    assert line["level"] == "ERROR"
    assert line["logger"] == "greenroom.test"
    assert line["message"] == "went wrong"
    assert str(line["time"]).endswith("+00:00")
    assert "RuntimeError: boom" in str(line["exception"])
    assert line["request_id"] == "r-1"  # a whitelisted field passed as extra
    assert "hunter2" not in json.dumps(line)


def test_tokens_in_messages_are_redacted(json_lines: Lines) -> None:
    secret = "gr_" + "A1b2-C3d4_" * 4
    logging.getLogger("greenroom.test").warning(
        "used %s with Authorization: Bearer abc.DEF-123_xyz", secret
    )
    (line,) = json_lines()
    assert secret not in str(line["message"])
    assert "abc.DEF-123_xyz" not in str(line["message"])
    assert "gr_[redacted]" in str(line["message"])
    assert "Bearer [redacted]" in str(line["message"])


@pytest.mark.django_db
def test_request_line_carries_request_id_and_user(
    viewer_client, viewer, json_lines: Lines
) -> None:
    response = viewer_client.get("/no-such-page", HTTP_X_REQUEST_ID="req-42.a_b")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42.a_b"
    # Django logs the 404 after the middleware chain has returned.
    (line,) = [ln for ln in json_lines() if ln["logger"] == "django.request"]
    assert line["request_id"] == "req-42.a_b"
    assert line["user_id"] == viewer.pk
    # The next line, outside any request, carries none of it.
    logging.getLogger("greenroom.test").warning("after")
    assert "request_id" not in json_lines()[-1]


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["", "a b", "x" * 65, "id\nforged", "é"])
def test_junk_request_id_is_replaced(client, given: str) -> None:
    response = client.get("/", HTTP_X_REQUEST_ID=given)
    request_id = response["X-Request-ID"]
    assert request_id != given
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0


@pytest.mark.django_db
def test_api_line_carries_token_id_never_the_token(
    client, viewer, json_lines: Lines
) -> None:
    token, text = issue_token(viewer, "ci")
    response = client.get(
        "/api/catalog/entities/by-name/component/default/nope",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )
    assert response.status_code == 404
    (line,) = [ln for ln in json_lines() if ln["logger"] == "django.request"]
    assert line["token_id"] == token.pk
    assert line["user_id"] == viewer.pk
    assert line["request_id"] == response["X-Request-ID"]
    assert text not in json.dumps(json_lines())


@pytest.mark.django_db
def test_task_and_crawl_lines_carry_task_and_location_ids(
    repos, json_lines: Lines
) -> None:
    repo = repos.create("repo", {"catalog-info.yaml": "kind: Component\n"})
    location, _ = register_location(repo.url, branch="no-such-branch")
    result = crawl_location_task.apply(args=(location.pk,))
    (line,) = [
        ln
        for ln in json_lines()
        if ln["logger"] == "catalog.ingest.sync" and ln["level"] == "WARNING"
    ]
    assert "failed" in str(line["message"])
    assert line["location_id"] == location.pk
    assert line["task_id"] == result.id
    # Both are unbound once the task is over.
    assert logs.context() == {}


def run_manage(*args: str, log_format: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOG_FORMAT": log_format}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_with_json_logs() -> None:
    assert run_manage("check", log_format="json").returncode == 0
    shell = run_manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('greenroom.x').warning('hello %s', 1)",
        log_format="json",
    )
    assert shell.returncode == 0, shell.stderr
    line = json.loads(shell.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello 1"
    assert line["logger"] == "greenroom.x"


def test_junk_log_format_is_refused() -> None:
    result = run_manage("check", log_format="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr
