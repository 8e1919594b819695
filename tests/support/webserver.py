"""Real HTTP servers for tests: any answer, and git's smart HTTP (http-backend).

The same shapes as tests/catalog/test_ssrf.py's, shared here for the tests that
came after it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    body: bytes


Answer = Callable[[Request], tuple[int, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(self.path)
        status, answer_headers, data = self.server.answer(
            Request(self.command, self.path, headers, body)
        )
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        if "Content-Length" not in answer_headers:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # A client that stopped reading (a body over its limit) is not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    do_POST = do_GET


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Answer, address: str) -> None:
        super().__init__((address, 0), _Handler)
        self.answer = answer
        self.seen: list[str] = []


class Server:
    """A real HTTP server on a loopback address, answering with ``answer``."""

    def __init__(self, answer: Answer, address: str = "127.0.0.1") -> None:
        self.httpd = _HttpServer(answer, address)
        self.address = address
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def seen(self) -> list[str]:
        """The request paths served, in order."""
        return self.httpd.seen

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def files(served: dict[str, bytes]) -> Answer:
    """200 with the bytes of a known path, 404 for any other."""

    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(request.path).path
        if path in served:
            return 200, {"Content-Type": "text/plain"}, served[path]
        return 404, {"Content-Type": "text/plain"}, b"not here"

    return answer


def redirect(location: str) -> Answer:
    """A 302 to ``location`` for every request."""

    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": location}, b""

    return answer


def http_backend(root: Path) -> Answer:
    """git's smart HTTP server (git http-backend, run as a CGI) for ``root``."""

    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.path)
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": request.method,
            "PATH_INFO": unquote(parts.path),
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(request.body)),
            "HTTP_CONTENT_ENCODING": request.headers.get("content-encoding", ""),
            "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        out = subprocess.run(
            ["git", "http-backend"], input=request.body, env=env,
            capture_output=True, check=False, timeout=30,
        ).stdout  # fmt: skip
        head, _, body = out.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name] = value
        return status, headers, body

    return answer
