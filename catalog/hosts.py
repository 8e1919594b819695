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
    """The host's page for a file (or folder) on a branch, in each host's URL style."""
    base = web_base(repo_url)
    branch_q = quote(branch, safe="/")
    path_q = quote(path.strip("/"), safe="/")
    host = base.split("://", 1)[-1].split("/", 1)[0].lower()
    word = "tree" if folder else "blob"
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
