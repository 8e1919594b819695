"""HTTP connections pinned to the addresses the URL policy vetted.

Shared by everything that calls a host over HTTP (webhooks/hostapi.py creating
hooks, catalog/ingest/remotefiles.py reading placeholder files): the Host
header, TLS SNI and the certificate check keep the host's name; only the TCP
connection goes to the vetted address, so DNS is not asked again (rebinding).
No proxies are used, and nothing here follows a redirect.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable

from catalog.ingest.git import pinned_addresses
from catalog.urlpolicy import DEFAULT_PORTS, RepoUrl

Dial = Callable[[str, int, tuple[str, ...], float], socket.socket]


def dial(
    host: str, port: int, addresses: tuple[str, ...], timeout: float
) -> socket.socket:
    """A TCP connection to the first vetted address that answers."""
    if not addresses:  # an allowlisted name: the operator's DNS is trusted
        return socket.create_connection((host, port), timeout)
    error: OSError = OSError(f"no address to connect to for {host}")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error


def connection(
    repo: RepoUrl, timeout: float, context: ssl.SSLContext | None = None,
    dial: Dial = dial,
) -> http.client.HTTPConnection:  # fmt: skip
    """A connection to the host, pinned to the addresses the URL policy vetted.

    `timeout` bounds each connect and each read; `dial` opens the TCP
    connection (a caller may count or restrict them).
    """
    port = repo.port or DEFAULT_PORTS[repo.scheme]
    addresses = pinned_addresses(repo)
    if repo.scheme == "https":
        return _PinnedHTTPSConnection(
            repo.host, port, addresses, timeout,
            context or ssl.create_default_context(), dial,
        )  # fmt: skip
    return _PinnedHTTPConnection(repo.host, port, addresses, timeout, dial)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(
        self, host: str, port: int, addresses: tuple[str, ...], timeout: float,
        dial: Dial,
    ) -> None:  # fmt: skip
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses
        self.seconds = timeout
        self.dial = dial

    def connect(self) -> None:
        self.sock = self.dial(self.host, self.port, self.addresses, self.seconds)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, addresses: tuple[str, ...], timeout: float,
        context: ssl.SSLContext, dial: Dial,
    ) -> None:  # fmt: skip
        super().__init__(host, port, timeout=timeout, context=context)
        self.addresses = addresses
        self.seconds = timeout
        self.tls = context
        self.dial = dial

    def connect(self) -> None:
        sock = self.dial(self.host, self.port, self.addresses, self.seconds)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
