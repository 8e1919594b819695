"""Calls to a git host's REST API: one request, its answer, and every way it fails.

Every address goes through the URL policy and the connection is pinned to the
addresses it vetted (catalog/pinnedhttp.py). Redirects are answers, never
followed: one could carry the credential elsewhere. Answers are read up to a
limit, and each failure becomes a `HostApiError` whose message is safe to show
on a page: the host's status, never its words, the credential or git's output.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from catalog import pinnedhttp
from catalog.urlpolicy import UrlRefused, check_url

logger = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 16 * 1024 * 1024
MAX_WAIT = timedelta(hours=1)  # a longer Retry-After is read as an hour
UNREACHABLE = "the host's API could not be reached, or did not answer over HTTP"


class HostApiError(Exception):
    """The host refused, failed or could not be reached; the message is safe to show."""


class NotFound(HostApiError):
    """404: no such repository, file or organisation (or not visible to us)."""


class RateLimited(HostApiError):
    """The host asked us to wait: nothing more until `retry_at`."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    url: str = ""  # the address asked

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise HostApiError("the host's answer is not JSON") from None

    def header_int(self, name: str) -> int | None:
        value = self.headers.get(name, "").strip()
        return int(value) if value.isdigit() and len(value) < 19 else None


def request(
    method: str, url: str, headers: dict[str, str], *, body: bytes | None = None,
    content_type: str = "application/json",
) -> Answer:  # fmt: skip
    """One API call; a 2xx answer, or the HostApiError that says what went wrong."""
    try:
        repo = check_url(url)
    except UrlRefused as exc:
        raise HostApiError(f"the host's API address is refused: {exc}") from None
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"User-Agent": "Greenroom", "Accept": "application/json", **headers}
    if body is not None:
        sent["Content-Type"] = content_type
    connection = pinnedhttp.connection(repo, settings.GREENROOM_HOST_API_TIMEOUT)
    try:
        try:
            connection.request(method, target, body=body, headers=sent)
        except (ValueError, http.client.InvalidURL):  # never quote the request
            raise HostApiError("the request to the host could not be sent") from None
        response = connection.getresponse()
        data = response.read(MAX_ANSWER_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        # One message for a closed port, a silent one and one that is not HTTP:
        # the difference would make this a port scanner. The reason is logged.
        logger.warning("the API of %s could not be called: %r", repo.host, exc)
        raise HostApiError(UNREACHABLE) from None
    finally:
        connection.close()
    if len(data) > MAX_ANSWER_BYTES:
        raise HostApiError(f"the host's answer is over {MAX_ANSWER_BYTES} bytes")
    received = {k.lower(): v for k, v in response.getheaders()}
    answer = Answer(response.status, received, data, url)
    _raise_for_status(answer)
    return answer


def _raise_for_status(answer: Answer) -> None:
    status = answer.status
    if 200 <= status < 300:
        return
    said = f"the host answered {status} {_phrase(status)}".rstrip()
    if retry_at := retry_at_of(answer):
        until = f"{said}: rate limited until {retry_at:%H:%M:%S} UTC"
        raise RateLimited(until, retry_at)
    if 300 <= status < 400:
        raise HostApiError(f"{said} (a redirect, which is not followed)")
    if status in (401, 403):
        raise HostApiError(f"{said}: the credential was refused or lacks a right")
    if status == 404:
        raise NotFound(said)
    raise HostApiError(said)


def retry_at_of(answer: Answer) -> datetime | None:
    """When a rate-limited answer says to come back (None: not rate limited).

    429 always is; GitHub says 403 with no requests remaining."""
    remaining = answer.headers.get("x-ratelimit-remaining", "").strip()
    if answer.status != 429 and not (answer.status == 403 and remaining == "0"):
        return None
    now = datetime.now(UTC)
    seconds = 60.0
    retry = answer.headers.get("retry-after", "").strip()
    reset = answer.header_int("x-ratelimit-reset") or answer.header_int(
        "ratelimit-reset"
    )
    if retry.isdigit() and len(retry) < 10:
        seconds = int(retry)
    elif retry and (when := _http_date(retry)):
        seconds = (when - now).total_seconds()
    elif reset is not None:
        # An epoch time (GitHub, GitLab), or seconds to wait (the IETF draft).
        seconds = reset - time.time() if reset > 10**9 else reset
    bounded = min(max(seconds, 1.0), MAX_WAIT.total_seconds())
    return now + timedelta(seconds=bounded)


def _http_date(text: str) -> datetime | None:
    try:
        found = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _phrase(status: int) -> str:
    # The standard phrase, not the host's own words.
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


_LINK = re.compile(r'<([^>]*)>\s*;[^,]*?\brel="?([^",]*)"?', re.IGNORECASE)


def next_link(answer: Answer) -> str:
    """The `rel="next"` address of a Link header (GitHub, GitLab, Gitea), or ""."""
    for url, rel in _LINK.findall(answer.headers.get("link", "")):
        if "next" in rel.split():
            return url
    return ""
