"""Credentials for git: which `Authorization` header a git URL is fetched with.

The catalog's git code asks here for every command that talks to a remote; the
app that keeps host connections (discovery) registers the one provider in its
`AppConfig.ready()`, as apps register entity tabs. No provider: no credential,
and every repository is read anonymously, as before.
"""

from __future__ import annotations

from collections.abc import Callable

# (scheme, host, port, path) of a vetted URL -> an Authorization header value, or "".
Provider = Callable[[str, str, int | None, str], str]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def authorization(scheme: str, host: str, port: int | None, path: str) -> str:
    """The header value to send with git requests to this URL, or ""."""
    for provider in _providers:
        if value := provider(scheme, host, port, path):
            return value
    return ""
