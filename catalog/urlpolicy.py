"""The single policy for every URL that reaches git or an HTTP client.

Catalog locations come from users, so a URL is untrusted input that can point
git at internal services (SSRF), smuggle git options or transport helpers, or
leak credentials into logs. Everything that clones, fetches or downloads goes
through :func:`check_repo_url` first. The policy takes its settings as
arguments, so it is tested without Django; :func:`check_url` is the one place
that reads them from the project's settings.

A name is resolved once, here: the addresses checked come back in
``RepoUrl.addresses`` and every connection is pinned to them (git through
``catalog.ingest.git``, host APIs through ``webhooks.hostapi``), so DNS cannot
answer differently when the connection is made (DNS rebinding). Names in the
allowlist are the operator's and are trusted as names: nothing is pinned.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeAlias
from urllib.parse import unquote, urlsplit

from django.conf import settings  # type: ignore[import-untyped]

__all__ = [
    "DEFAULT_PORTS",
    "MAX_URL_LENGTH",
    "HostFileUrl",
    "RepoUrl",
    "UrlRefused",
    "check_read_url",
    "check_repo_url",
    "check_url",
    "git_allow_protocol",
    "resolve_host",
    "split_file_url",
    "split_host_file_url",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str, int | None], list[str]]

MAX_URL_LENGTH = 2048
DEFAULT_PORTS: dict[str, int] = {"https": 443, "http": 80, "ssh": 22, "git": 9418}

_ALLOW_LOCAL_SETTING = "GREENROOM_ALLOW_LOCAL_REPOS"
_ALLOWED_HOSTS_SETTING = "GREENROOM_ALLOWED_GIT_HOSTS"
_READ_HOSTS_SETTING = "GREENROOM_READ_ALLOWED_HOSTS"

# Metadata endpoints hand out cloud credentials, so they are refused even when
# an operator lists them: no legitimate repository lives there.
_METADATA_NAMES = frozenset({"metadata.google.internal"})
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

# git treats "<name>::<address>" as a remote helper invocation (ext:: runs
# arbitrary commands), whatever the name; an empty name is refused too.
_HELPER_FORM = re.compile(r"[A-Za-z0-9+.-]*::")
_SCHEME_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)", re.S)
_SCHEME_LIKE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")
# git reads "x@y:z" as scp-like only when the colon comes before any slash.
_SCP_LIKE = re.compile(
    r"(?P<user>[^@/]*)@(?P<host>\[[^\]/]*\]|[^:/\[\]]*):(?P<path>.*)", re.S
)
_HOST_PORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:\[\]]*)(?::(?P<port>[^:]*))?")
_SSH_USER = re.compile(r"[A-Za-z0-9._~][A-Za-z0-9._~-]*")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# WHATWG URL rule: a host whose last label is numeric must be an IPv4 address,
# which closes the gap between our parser and inet_aton-style resolvers.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_IPV4_PART = re.compile(r"(?P<hex>0x[0-9a-f]+)|(?P<oct>0[0-7]+)|(?P<dec>0|[1-9][0-9]*)")


class UrlRefused(ValueError):
    """A URL that policy refuses; ``str()`` is safe to show to the user."""


@dataclass(frozen=True, slots=True)
class RepoUrl:
    url: str
    scheme: str
    host: str
    port: int | None
    path: str
    # The addresses the policy checked, to connect to and nowhere else; empty
    # for local paths and allowlisted hosts. Not part of the URL's identity.
    addresses: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class HostFileUrl:
    repo_url: str
    branch: str | None
    path: str | None


@dataclass(frozen=True, slots=True)
class _AllowEntry:
    host: str
    port: int | None


def check_repo_url(
    url: str,
    *,
    allowed_hosts: Sequence[str] = (),
    allow_local: bool = False,
    resolve: Resolver | None = None,
) -> RepoUrl:
    """Return the normalised form of ``url`` or raise :class:`UrlRefused`."""
    _check_shape(url)
    repo = _parse(url, allow_local)
    if repo.scheme == "file":
        return repo
    allowlist = _parse_allowlist(allowed_hosts)
    addresses = _check_host(repo, allowlist, resolve or resolve_host)
    return replace(repo, addresses=addresses)


def check_url(url: str) -> RepoUrl:
    """``check_repo_url`` under GREENROOM_ALLOWED_GIT_HOSTS and
    GREENROOM_ALLOW_LOCAL_REPOS: what every repository a location, a webhook,
    a preview or a docs source names goes through."""
    return check_repo_url(
        url,
        allowed_hosts=settings.GREENROOM_ALLOWED_GIT_HOSTS,
        allow_local=settings.GREENROOM_ALLOW_LOCAL_REPOS,
    )


def git_allow_protocol(allow_local: bool) -> str:
    """Value for GIT_ALLOW_PROTOCOL, so git itself enforces the scheme list.

    http stays in because allowlisted hosts may use it; check_repo_url keeps
    it away from every other host.
    """
    protocols = ["https", "ssh", "git", "http"]
    if allow_local:
        protocols.append("file")
    return ":".join(protocols)


def resolve_host(host: str, port: int | None) -> list[str]:
    """Resolve ``host`` with the system resolver into IP address strings."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"could not resolve host {host}") from exc
    return [str(info[4][0]) for info in infos]


# --- shape -----------------------------------------------------------------


def _check_shape(url: str) -> None:
    if not url:
        raise UrlRefused("the repository URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(
            f"the repository URL is longer than {MAX_URL_LENGTH} characters"
        )
    if any(_is_space_or_control(ch) for ch in url):
        raise UrlRefused("the URL must not contain whitespace or control characters")
    if url.startswith("-"):
        raise UrlRefused("the URL must not start with '-' (git would read an option)")
    if _HELPER_FORM.match(url):
        raise UrlRefused("git transport helper URLs ('<transport>::') are not allowed")


def _is_space_or_control(ch: str) -> bool:
    # Zero-width, bidi and no-break characters make a URL read differently on
    # screen than git reads it, so whole categories go, not just ASCII controls.
    return ch.isspace() or unicodedata.category(ch)[0] in "CZ"


# --- parsing ---------------------------------------------------------------


def _parse(url: str, allow_local: bool) -> RepoUrl:
    if url.startswith("/"):
        return _local_path(url, allow_local)
    if match := _SCHEME_URL.fullmatch(url):
        return _scheme_url(match["scheme"].lower(), match["rest"], allow_local)
    if match := _SCP_LIKE.fullmatch(url):
        return _scp_like(url, match["user"], match["host"], match["path"])
    if match := _SCHEME_LIKE.match(url):
        raise _unsupported_scheme(match["scheme"])
    raise UrlRefused(
        "not a recognised repository URL: use https://host/path, "
        "ssh://host/path, git://host/path or user@host:path "
        "(relative local paths are refused as ambiguous)"
    )


def _unsupported_scheme(scheme: str) -> UrlRefused:
    return UrlRefused(
        f"URL scheme {scheme[:32].lower()!r} is not allowed; "
        "use https://, ssh://, git:// or user@host:path"
    )


def _local_path(url: str, allow_local: bool) -> RepoUrl:
    _require_local(allow_local)
    path = os.path.normpath(url)
    return RepoUrl(url=path, scheme="file", host="", port=None, path=path)


def _require_local(allow_local: bool) -> None:
    if not allow_local:
        raise UrlRefused(
            "local repositories (file:// URLs and local paths) are disabled; "
            f"set {_ALLOW_LOCAL_SETTING} to enable them"
        )


def _file_url(rest: str, allow_local: bool) -> RepoUrl:
    _require_local(allow_local)
    if not rest.startswith("/"):
        raise UrlRefused("file:// URLs must be absolute and name no host")
    # git percent-decodes file:// URLs, so the local path is the decoded one.
    path = unquote(rest)
    return RepoUrl(url=f"file://{rest}", scheme="file", host="", port=None, path=path)


def _scheme_url(scheme: str, rest: str, allow_local: bool) -> RepoUrl:
    if scheme == "file":
        return _file_url(rest, allow_local)
    if scheme not in DEFAULT_PORTS:
        raise _unsupported_scheme(scheme)
    authority, slash, tail = rest.partition("/")
    path = slash + tail
    if path in ("", "/"):
        raise UrlRefused("the URL has no repository path")
    user, hostport = _split_userinfo(scheme, authority)
    host, port = _split_host_port(hostport)
    prefix = f"{scheme}://{user}@" if user else f"{scheme}://"
    url = prefix + _host_for_url(host) + (f":{port}" if port else "") + path
    return RepoUrl(url=url, scheme=scheme, host=host, port=port, path=path)


def _split_userinfo(scheme: str, authority: str) -> tuple[str, str]:
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return "", authority
    if scheme != "ssh":
        raise UrlRefused(
            f"{scheme}:// URLs must not contain credentials or a user name; "
            "configure access tokens for the host instead"
        )
    _check_ssh_user(userinfo)
    return userinfo, hostport


def _check_ssh_user(user: str) -> None:
    if ":" in user:
        raise UrlRefused("SSH URLs must not contain a password")
    if not _SSH_USER.fullmatch(user):
        raise UrlRefused("the SSH user name is missing or not allowed")


def _split_host_port(hostport: str) -> tuple[str, int | None]:
    match = _HOST_PORT.fullmatch(hostport)
    if not match:
        raise UrlRefused("the URL's host is malformed")
    port = match["port"]
    return _normalise_host(match["host"]), None if port is None else _port(port)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5):
        raise UrlRefused("the URL's port is not a number")
    port = int(text)
    if not 0 < port < 65536:
        raise UrlRefused(f"port {port} is out of range")
    return port


def _scp_like(url: str, user: str, raw_host: str, path: str) -> RepoUrl:
    _check_ssh_user(user)
    host = _normalise_host(raw_host)
    if not path:
        raise UrlRefused("the URL has no repository path")
    if path.startswith("-"):
        raise UrlRefused("the repository path must not start with '-'")
    return RepoUrl(url=url, scheme="ssh", host=host, port=None, path=path)


# --- hosts -----------------------------------------------------------------


def _normalise_host(raw: str) -> str:
    """Lower-case and canonicalise; IP literals come back in standard form."""
    if raw.startswith("["):
        return str(_ipv6_literal(raw[1:-1]))
    # Check ASCII before lower(): some non-ASCII letters lower-case to ASCII.
    if not raw.isascii():
        raise UrlRefused("the URL's host must be ASCII (use punycode)")
    host = raw.lower().removesuffix(".")
    if not host:
        raise UrlRefused("the URL has no host")
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise UrlRefused("the URL's host is not a valid host name")
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return str(_ipv4_literal(host))
    return host


def _ipv6_literal(text: str) -> ipaddress.IPv6Address:
    if "%" in text:
        raise UrlRefused("IPv6 zone identifiers are not allowed in URLs")
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        raise UrlRefused("the URL's IPv6 address is malformed") from None


def _ipv4_literal(host: str) -> ipaddress.IPv4Address:
    """Parse every inet_aton spelling: 127.1, 2130706433, 0x7f000001, 0177.0.0.1."""
    parts = host.split(".")
    numbers = [_ipv4_number(part) for part in parts]
    *head, last = numbers
    if len(parts) > 4 or any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise UrlRefused("the URL's IPv4 address is malformed")
    value = sum(n << (8 * (3 - i)) for i, n in enumerate(head)) + last
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int:
    match = _IPV4_PART.fullmatch(part)
    if not match:
        raise UrlRefused("the URL's IPv4 address is malformed")
    if match["hex"]:
        return int(part, 16)
    return int(part, 8) if match["oct"] else int(part)


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


# --- allowlist -------------------------------------------------------------


def _parse_allowlist(entries: Sequence[str]) -> list[_AllowEntry]:
    # Blank entries come from splitting an empty setting; they mean nothing.
    return [_parse_allow_entry(e) for e in entries if e.strip()]


def _parse_allow_entry(entry: str) -> _AllowEntry:
    text = entry.strip()
    if text.count(":") > 1 and not text.startswith("["):
        text = f"[{text}]"
    try:
        host, port = _split_host_port(text)
    except UrlRefused as exc:
        # A broken setting is an operator error, not a refusal of the user's URL.
        raise ValueError(f"invalid {_ALLOWED_HOSTS_SETTING} entry {entry!r}") from exc
    return _AllowEntry(host=host, port=port)


def _is_listed(repo: RepoUrl, allowlist: Sequence[_AllowEntry]) -> bool:
    port = repo.port or DEFAULT_PORTS[repo.scheme]
    return any(e.host == repo.host and e.port in (None, port) for e in allowlist)


# --- host policy -----------------------------------------------------------


def _check_host(
    repo: RepoUrl, allowlist: Sequence[_AllowEntry], resolve: Resolver
) -> tuple[str, ...]:
    """Refuse the host, or return the addresses to pin its connections to."""
    literal = _literal_ip(repo.host)
    if _is_metadata(repo.host, literal):
        raise UrlRefused(f"host {repo.host} is a cloud metadata endpoint")
    listed = _is_listed(repo, allowlist)
    if repo.scheme == "http" and not listed:
        raise UrlRefused(
            f"https is required: plain http:// is only allowed for hosts in "
            f"{_ALLOWED_HOSTS_SETTING}"
        )
    if allowlist and not listed:
        raise UrlRefused(f"host {repo.host} is not in {_ALLOWED_HOSTS_SETTING}")
    if listed:
        return ()
    if literal is not None:
        _check_address(repo.host, literal, resolved=False)
        return (str(literal),)
    return _check_hostname(repo, resolve)


def _is_metadata(host: str, literal: IPAddress | None) -> bool:
    if literal is None:
        return host in _METADATA_NAMES
    return any(a in _METADATA_ADDRESSES for a in _addresses_to_check(literal))


def _check_hostname(repo: RepoUrl, resolve: Resolver) -> tuple[str, ...]:
    # RFC 6761: these names are loopback whatever DNS says.
    if repo.host == "localhost" or repo.host.endswith(".localhost"):
        raise UrlRefused(
            f"host {repo.host} is a loopback name; only public hosts are crawled "
            f"unless listed in {_ALLOWED_HOSTS_SETTING}"
        )
    addresses = _resolve(repo.host, repo.port, resolve)
    for address in addresses:
        _check_address(repo.host, address, resolved=True)
    # Each address once, in the resolver's order (getaddrinfo repeats them).
    return tuple(dict.fromkeys(str(address) for address in addresses))


def _resolve(host: str, port: int | None, resolve: Resolver) -> list[IPAddress]:
    try:
        answers = [ipaddress.ip_address(a) for a in resolve(host, port)]
    except UrlRefused:
        raise
    except (OSError, ValueError) as exc:
        raise UrlRefused(f"could not resolve host {host}") from exc
    if not answers:
        raise UrlRefused(f"could not resolve host {host}")
    return answers


def _check_address(host: str, address: IPAddress, *, resolved: bool) -> None:
    kind = _forbidden_kind(address)
    if kind is None:
        return
    what = f"resolves to {address}," if resolved else "is"
    raise UrlRefused(
        f"host {host} {what} {kind} address; only public hosts are crawled "
        f"unless listed in {_ALLOWED_HOSTS_SETTING}"
    )


def _forbidden_kind(address: IPAddress) -> str | None:
    for candidate in _addresses_to_check(address):
        kind = _classify(candidate)
        if kind is not None:
            return kind
    return None


def _addresses_to_check(address: IPAddress) -> list[IPAddress]:
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    # Translation prefixes say nothing about the destination; only the
    # embedded IPv4 address does (the prefixes themselves count as reserved).
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    embedded: list[IPAddress] = [address]
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    return embedded


def _classify(address: IPAddress) -> str | None:
    checks = (
        (address in _METADATA_ADDRESSES, "a cloud metadata"),
        (address.is_loopback, "a loopback"),
        (address.is_unspecified, "an unspecified"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (address.is_private, "a private"),
        (address.is_reserved, "a reserved"),
        (not address.is_global, "a non-public"),
    )
    return next((kind for hit, kind in checks if hit), None)


# --- web URLs of files -----------------------------------------------------

_REF_TAIL = r"/(?P<branch>[^/]+)(?:/(?P<path>.*))?"
_GITLAB = re.compile(r"(?P<repo>/[^/]+(?:/[^/]+)+?)/-/(?:blob|tree)" + _REF_TAIL)
_GITEA = re.compile(r"(?P<repo>/[^/]+/[^/]+)/src/branch" + _REF_TAIL)
_GITHUB = re.compile(r"(?P<repo>/[^/]+/[^/]+)/(?:blob|tree)" + _REF_TAIL)
_BITBUCKET = re.compile(r"(?P<repo>/[^/]+/[^/]+)/src" + _REF_TAIL)


def split_host_file_url(url: str) -> HostFileUrl:
    """Split a git host's web URL of a file or folder into repo, branch, path.

    The branch is the single path segment after blob/tree/src[/branch], so
    branch names containing '/' come back truncated. GitLab ('/-/') and
    Gitea ('/src/branch/') markers are recognised on any host; the GitHub and
    Bitbucket forms are too generic for that and only apply to their hosts.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return HostFileUrl(repo_url=url, branch=None, path=None)
    match = _match_host_file(parts.scheme.lower(), (parts.hostname or ""), parts.path)
    if match is None:
        return HostFileUrl(repo_url=url, branch=None, path=None)
    path = unquote(match["path"] or "").strip("/")
    return HostFileUrl(
        repo_url=f"{parts.scheme}://{parts.netloc}{match['repo']}",
        branch=unquote(match["branch"]),
        path=path or None,
    )


def _match_host_file(scheme: str, host: str, path: str) -> re.Match[str] | None:
    if scheme not in ("https", "http"):
        return None
    if host == "bitbucket.org":
        return _BITBUCKET.fullmatch(path)
    if host == "github.com":  # a file named `-/blob/...` is still GitHub's
        return _GITHUB.fullmatch(path)
    return next((m for p in (_GITLAB, _GITEA) if (m := p.fullmatch(path))), None)


# Raw forms, which name a file only (the web forms above also name folders).
_GITLAB_RAW = re.compile(r"(?P<repo>/[^/]+(?:/[^/]+)+?)/-/raw" + _REF_TAIL)
_GITEA_FILE = re.compile(
    r"(?P<repo>/[^/]+/[^/]+)/(?:src|raw)/(?:branch|tag|commit)" + _REF_TAIL
)
_RAW = re.compile(r"(?P<repo>/[^/]+/[^/]+)/raw" + _REF_TAIL)
_RAW_GITHUB = re.compile(r"(?P<repo>/[^/]+/[^/]+)(?:/refs/(?:heads|tags))?" + _REF_TAIL)
_RAW_GITHUB_HOST = "raw.githubusercontent.com"


def split_file_url(url: str) -> HostFileUrl | None:
    """The repository, ref and path of a git host's URL of one file, or None.

    Every form of :func:`split_host_file_url`, plus the raw ones:
    raw.githubusercontent.com, `/raw/<ref>/` on github.com and bitbucket.org,
    GitLab's `/-/raw/` and Gitea's `/raw/branch/` (both on any host). None when
    the URL names no ref or no file, so the caller treats it as a plain URL.
    Never raises: this reads untrusted text.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return None
    if host == _RAW_GITHUB_HOST:
        match = _RAW_GITHUB.fullmatch(parts.path)
        base = "https://github.com"
    else:
        match = _match_raw_file(host, parts.path)
        base = f"{parts.scheme}://{parts.netloc}"
    if match is None:
        split = split_host_file_url(url)
        if split.branch is None or split.path is None:
            return None
        return split
    path = unquote(match["path"] or "").strip("/")
    if not path:
        return None
    return HostFileUrl(
        repo_url=base + match["repo"], branch=unquote(match["branch"]), path=path
    )


def _match_raw_file(host: str, path: str) -> re.Match[str] | None:
    if host in ("github.com", "bitbucket.org"):
        return _RAW.fullmatch(path)
    return next(
        (m for p in (_GITLAB_RAW, _GITEA_FILE) if (m := p.fullmatch(path))), None
    )


# --- plain URLs read over http(s) -------------------------------------------


@dataclass(frozen=True, slots=True)
class _ReadEntry:
    host: str  # without the "*." of a wildcard
    port: int | None
    wildcard: bool

    def matches(self, repo: RepoUrl) -> bool:
        default = DEFAULT_PORTS[repo.scheme]
        if (self.port or default) != (repo.port or default):
            return False
        if self.wildcard:
            return repo.host.endswith(f".{self.host}")
        return repo.host == self.host


def check_read_url(
    url: str, *, allowed_hosts: Sequence[str], resolve: Resolver | None = None
) -> RepoUrl:
    """A plain http(s) URL a file may be downloaded from, or :class:`UrlRefused`.

    Only hosts an operator listed are read, as in Backstage's
    `backend.reading.allow`: `example.com` (that host, on the scheme's default
    port unless one is given) or `*.example.com` (any name under it). The name
    is resolved once here and the download is pinned to the addresses returned.
    Cloud metadata is refused always; private, loopback and other non-public
    addresses only when the entry names the host itself: a wildcard covers
    names whose DNS the operator may not control.
    """
    _check_shape(url)
    match = _SCHEME_URL.fullmatch(url)
    scheme = match["scheme"].lower() if match else ""
    if match is None or scheme not in ("http", "https"):
        raise UrlRefused("only http:// and https:// URLs are read")
    repo = _scheme_url(scheme, match["rest"], allow_local=False)
    entry = next(
        (e for e in _parse_read_allowlist(allowed_hosts) if e.matches(repo)), None
    )
    if entry is None:
        raise UrlRefused(f"host {repo.host} is not in {_READ_HOSTS_SETTING}")
    literal = _literal_ip(repo.host)
    if _is_metadata(repo.host, literal):
        raise UrlRefused(f"host {repo.host} is a cloud metadata endpoint")
    if literal is not None:
        return replace(repo, addresses=(str(literal),))
    addresses = _resolve(repo.host, repo.port, resolve or resolve_host)
    for address in addresses:
        _check_read_address(repo.host, address, trusted=not entry.wildcard)
    return replace(repo, addresses=tuple(dict.fromkeys(map(str, addresses))))


def _check_read_address(host: str, address: IPAddress, *, trusted: bool) -> None:
    if _is_metadata(str(address), address):
        raise UrlRefused(f"host {host} resolves to a cloud metadata address")
    kind = None if trusted else _forbidden_kind(address)
    if kind is not None:
        raise UrlRefused(
            f"host {host} resolves to {address}, {kind} address; a wildcard "
            f"entry of {_READ_HOSTS_SETTING} reaches public addresses only "
            "(list the host itself to read from it)"
        )


def _parse_read_allowlist(entries: Sequence[str]) -> list[_ReadEntry]:
    return [_parse_read_entry(e) for e in entries if e.strip()]


def _parse_read_entry(entry: str) -> _ReadEntry:
    text = entry.strip()
    wildcard = text.startswith("*.")
    if text.count(":") > 1 and not text.startswith("["):
        text = f"[{text}]"
    try:
        host, port = _split_host_port(text.removeprefix("*."))
    except UrlRefused as exc:
        raise ValueError(f"invalid {_READ_HOSTS_SETTING} entry {entry!r}") from exc
    if wildcard and _literal_ip(host) is not None:
        raise ValueError(f"invalid {_READ_HOSTS_SETTING} entry {entry!r}")
    return _ReadEntry(host=host, port=port, wildcard=wildcard)
