"""Web addresses of files on git hosts, for provenance annotations and links."""

from __future__ import annotations

import re
from urllib.parse import quote

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
