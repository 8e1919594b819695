"""Structured logs: one JSON object a line (LOG_FORMAT=json), carrying what the
line is about (request, user or token, task, location) and never a secret.

The context lives in one ContextVar, so each request (a thread under gunicorn)
and each task sees its own: the middleware binds the request id and the user,
BearerTokenAuthentication the token, Celery's signals the task id and the crawl
the location id. ContextFilter copies it onto every record the handler writes.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

# The only context a line may carry: ids, never names, values or secrets.
FIELDS = ("request_id", "user_id", "token_id", "task_id", "location_id")
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is kept (to follow a request across services) only if it
# is short and plain: anything else could forge or break a log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Defence in depth: a token or Authorization header that slips into a message.
# Greenroom's tokens are "gr_" + token_urlsafe(32) (core/tokens.py).
SECRETS = (
    (re.compile(r"\bgr_[A-Za-z0-9_-]{20,}"), "gr_[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
)

# Immutable: bind() makes a new mapping, so a token restores the one before.
EMPTY: Mapping[str, str | int] = MappingProxyType({})
_context: ContextVar[Mapping[str, str | int]] = ContextVar("log_context", default=EMPTY)


def context() -> Mapping[str, str | int]:
    return _context.get()


def bind(**fields: str | int | None) -> Token[Mapping[str, str | int]]:
    """Add fields to the current context (None leaves a field out); returns the
    token to restore the previous context with `unbind`."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a log context field: {sorted(unknown)}")
    added = {name: value for name, value in fields.items() if value is not None}
    return _context.set({**_context.get(), **added})


def unbind(token: Token[Mapping[str, str | int]]) -> None:
    _context.reset(token)


@contextmanager
def bound(**fields: str | int | None) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def redact(text: str) -> str:
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record (as attributes the formatters
    may name); a field the caller passed in `extra` is left as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message,
    exception, and the context fields that are set. Other `extra` keys are not
    written: they could hold anything."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str | int) and not isinstance(value, bool):
                line[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def request_id_for(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds the request id (the caller's if safe, else a new one) and echoes it
    in the response. It is not unbound here: Django logs 4xx/5xx responses after
    the middleware chain returns, so request_finished clears the context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        bind(request_id=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class UserContextMiddleware:
    """Binds the signed-in user's id, placed after authentication (the session's
    user is loaded by then, or by the request anyway)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bind(user_id=user.pk)
        return self.get_response(request)


def _clear(**kwargs: object) -> None:
    # A worker thread serves one request after another: none inherits the last.
    _context.set(EMPTY)


request_started.connect(_clear, dispatch_uid="core.logs.clear_started")
request_finished.connect(_clear, dispatch_uid="core.logs.clear_finished")

# Eager tasks run inside a request or another task: postrun restores that
# context instead of clearing it. Keyed by task id, which both signals carry.
_task_tokens: dict[str, Token[Mapping[str, str | int]]] = {}


@task_prerun.connect(dispatch_uid="core.logs.task_prerun")
def _bind_task(task_id: str | None = None, **kwargs: object) -> None:
    if task_id:
        _task_tokens[task_id] = bind(task_id=task_id)


@task_postrun.connect(dispatch_uid="core.logs.task_postrun")
def _unbind_task(task_id: str | None = None, **kwargs: object) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            unbind(token)
        except ValueError:
            # Set in another context (prerun and postrun in different threads):
            # nothing of ours to restore there; start clean instead.
            _context.set(EMPTY)
