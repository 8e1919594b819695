"""Web addresses of files on git hosts, for provenance annotations and links."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

_SCP_LIKE_KEY = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")
_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!//).+)$")


def web_base(repo_url: str) -> str:
    """The browsable address of a repository (https for ssh and scp-like URLs)."""
    url = repo_url.rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    if url.startswith("ssh://"):
        rest = url[len("ssh://") :]
        host_part, _, path = rest.partition("/")
        host = host_part.rsplit("@", 1)[-1].split(":", 1)[0]
        return f"https://{host}/{path}"
    match = _SCP.match(url)
    if match and "://" not in url and not url.startswith("/"):
        return f"https://{match['host']}/{match['path']}"
    if url.startswith("/"):
        return f"file://{url}"
    return url


def file_url(repo_url: str, branch: str, path: str, *, folder: bool = False) -> str:
    """A file (or folder) on a branch, in its host's URL style: the host's page when
    `host_kind` knows the host, else an identifier in GitHub's style (which names
    the location of a file, as `backstage.io/managed-by-location` must, but is no
    page: links use `web_file_url`)."""
    return _page(repo_url, branch, path, "tree" if folder else "blob", folder)


def host_kind(repo_url: str) -> str:
    """The kind of host whose pages we know how to address: github, gitlab or
    bitbucket (as Backstage knows the hosts it has an integration for); "" for
    git://, file://, and http(s) or ssh to any other host."""
    base = web_base(repo_url)
    if not base.startswith(("https://", "http://")):
        return ""
    host = (urlsplit(base).hostname or "").lower()
    if host == "github.com" or host.startswith("github."):
        return "github"
    if host == "bitbucket.org":
        return "bitbucket"
    return "gitlab" if "gitlab" in host else ""


def web_file_url(repo_url: str, branch: str, path: str, *, folder: bool = False) -> str:
    """The host's page for a file (or folder, ending in '/'), or "" when the host
    kind is unknown: a `/blob/<branch>/` address there would be invented."""
    return (
        file_url(repo_url, branch, path, folder=folder) if host_kind(repo_url) else ""
    )


def web_repository_url(repo_url: str) -> str:
    """The repository's web page: its host's for a known host kind, the URL
    itself when it is http(s); "" otherwise (git://, file://, ssh elsewhere)."""
    if host_kind(repo_url):
        return web_base(repo_url)
    return repo_url if repo_url.startswith(("https://", "http://")) else ""


def edit_url(repo_url: str, branch: str, path: str) -> str:
    """The host's page for editing a file, as Backstage's integrations make it;
    "" for an unknown host kind or a branch that is a commit (nothing to edit)."""
    kind = host_kind(repo_url)
    if not kind or _COMMIT.search(branch):
        return ""
    if kind == "bitbucket":
        view = file_url(repo_url, branch, path)
        return f"{view}?mode=edit&at={quote(branch, safe='')}"
    return _page(repo_url, branch, path, "edit", folder=False)


def _base(repo_url: str) -> str:
    """web_base for a known host kind; otherwise the URL as registered (a local
    path as file://): an ssh URL to another host says nothing of https pages."""
    if host_kind(repo_url):
        return web_base(repo_url)
    url = repo_url.rstrip("/").removesuffix(".git")
    return f"file://{url}" if url.startswith("/") else url


# Backstage's test for a location pinned to a commit (AnnotateLocationEntityProcessor).
_COMMIT = re.compile(r"\b[0-9a-f]{40,}\b")


def _page(repo_url: str, branch: str, path: str, word: str, folder: bool) -> str:
    base = _base(repo_url)
    branch_q = quote(branch, safe="/")
    path_q = quote(path.strip("/"), safe="/")
    host = base.split("://", 1)[-1].split("/", 1)[0].lower()
    if "gitlab" in host:
        prefix = f"{base}/-/{word}/{branch_q}"
    elif host == "bitbucket.org":
        prefix = f"{base}/src/{branch_q}"
    else:
        prefix = f"{base}/{word}/{branch_q}"
    joined = f"{prefix}/{path_q}" if path_q else prefix
    return f"{joined}/" if folder else joined


def repository_key(url: str) -> str:
    """`host/owner/repo` for any spelling of a repository's URL ("" if none)."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host, path = (parts.hostname or ""), unquote(parts.path)
        if parts.scheme == "file":
            host = "file"
    elif match := _SCP_LIKE_KEY.match(url):
        host, path = match["host"], match["path"]
    else:
        return ""
    path = path.strip("/").removesuffix(".git").rstrip("/")
    if path.startswith("scm/"):  # Bitbucket Data Center's http clone path
        path = path[len("scm/") :]
    return f"{host.lower()}/{path.lower()}" if host and path else ""


def same_repository(one: str, other: str) -> bool:
    """One repository, whatever the spelling of its URL (see repository_key)."""
    return (repository_key(one) or one) == (repository_key(other) or other)
