"""The HTTP side of FakeHost: REST API dispatch, failure modes, git over http."""

from __future__ import annotations

import contextlib
import json
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from tests.support.fakehost import git
from tests.support.fakehost.credentials import git_token
from tests.support.fakehost.model import FakeRequest
from tests.support.fakehost.routes import Answer, Call, as_json, as_text

if TYPE_CHECKING:
    from tests.support.fakehost.host import FakeHost

GARBAGE = b"<<not json>> {'half': [1, 2"
ERROR_PAGE = b"<html><body><h1>500 Internal Server Error</h1></body></html>\n"
LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    b"<body><form action='/login' method='post'><input name='password'></form>"
    b"</body></html>\n"
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for held ("timeout") connections

    def __init__(self, host: FakeHost) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.host = host


def bind(host: FakeHost) -> _Server:
    return _Server(host)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = dispatch(
            self.server.host, self.command, self.path, headers, self._body()
        )
        if answer is None:
            self.close_connection = True  # held, then dropped without an answer
            return
        status, answer_headers, data = answer
        self.send_response(status)
        for name, value in answer_headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def dispatch(
    host: FakeHost, method: str, target: str, headers: dict[str, str], body: bytes
) -> Answer | None:
    path, _, query = target.partition("?")
    prefix = host.flavor.api_prefix
    if path == prefix or path.startswith(prefix + "/"):
        return _api(
            host, method, target, path[len(prefix) :] or "/", query, headers, body
        )
    git_path = path
    if host.flavor.git_prefix:
        if not path.startswith(host.flavor.git_prefix + "/"):
            return as_text(404, "Not Found\n")
        git_path = path[len(host.flavor.git_prefix) :]
    if ".git/" in git_path:
        return _git(host, method, target, git_path, query, headers, body)
    return as_text(
        404, "<html><body>Not Found</body></html>\n", "text/html; charset=utf-8"
    )


def _api(
    host: FakeHost,
    method: str,
    target: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> Answer | None:
    flavor = host.flavor
    token = flavor.token(headers)
    check = flavor.authenticate or (lambda host, path, token: host.token_valid(token))
    authed = check(host, path, token)
    host.record(FakeRequest(method, target, authed))
    until = host.rate_check()
    if until is not None:
        answer = flavor.limited(host, until)
    else:
        failure = host.next_failure()
        if failure == "timeout":
            host.stopping.wait(30)
            return None
        if failure == "garbage":
            answer = as_text(200, GARBAGE, "application/json; charset=utf-8")
        elif failure == "500":
            answer = as_text(500, ERROR_PAGE, "text/html; charset=utf-8")
        elif failure == "html":
            answer = as_text(200, LOGIN_PAGE, "text/html; charset=utf-8")
        else:
            answer = _route(host, method, path, query, headers, body, authed, token)
            answer = _rewritten(host, path, answer)
    status, answer_headers, data = answer
    return status, {**flavor.answer_headers(host, authed), **answer_headers}, data


def _rewritten(host: FakeHost, path: str, answer: Answer) -> Answer:
    """The answer with its JSON body rewritten, when the test asked for it."""
    rewrite = host.rewrites.get(path)
    status, headers, data = answer
    if rewrite is None or not 200 <= status < 300:
        return answer
    return status, headers, json.dumps(rewrite(json.loads(data))).encode()


def _route(
    host: FakeHost,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    authed: bool,
    token: str | None,
) -> Answer:
    found = host.flavor.router.find(method, path)
    if found is None:
        return host.flavor.not_found(host)
    handler, params = found
    call = Call(
        host=host,
        method=method,
        path=path,
        query=dict(parse_qsl(query)),
        headers=headers,
        body=body,
        authed=authed,
        token=token,
        params=params,
    )
    try:
        with host.lock:
            return handler(call)
    except Exception:  # a bug in the fake: say so plainly to the test
        return as_json(
            500, {"message": "fake host error", "trace": traceback.format_exc()}
        )


def _git(
    host: FakeHost,
    method: str,
    target: str,
    git_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> Answer:
    before, _, rest = git_path.partition(".git/")
    owner, _, name = unquote(before).strip("/").rpartition("/")
    authed = host.token_valid(git_token(headers))
    host.record(FakeRequest(method, target, authed, git=True))
    if rest.endswith("git-receive-pack") or "service=git-receive-pack" in query:
        return as_text(403, "Pushing is not supported by the fake host\n")
    with host.lock:
        repo = host.find(owner, name) if owner else None
        if repo is not None and host.visible(repo, authed):
            relative = f"{repo.owner}/{repo.name}.git"
        elif not authed:
            answer = as_text(401, "Authentication required\n")
            answer[1]["WWW-Authenticate"] = 'Basic realm="fake"'
            return answer
        else:
            return as_text(404, "Repository not found\n")
    return git.http_backend(
        host.root, method, f"/{relative}/{rest}", query, headers, body
    )
