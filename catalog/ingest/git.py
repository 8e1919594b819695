"""Git access for the crawler: cheap head checks, shallow fetches, safe blob reads.

Files are read from the commit's tree objects, never from a checkout, so a symlink is
seen as a symlink (and refused) and nothing in the repository is ever executed.

Every command that talks to a remote runs through :func:`_remote_git`: no redirects,
connections pinned to the addresses the URL policy vetted, nothing inherited from
the worker's environment or git config, and errors classified (git's own words go
to the log only).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import git

from catalog.urlpolicy import DEFAULT_PORTS, RepoUrl, git_allow_protocol
from core import credentials

logger = logging.getLogger(__name__)

SYMLINK_MODE = 0o120000
SUBMODULE_MODE = 0o160000
_BRANCH_BAD = re.compile(
    r"(^[-/.])|(\.\.)|([\x00-\x20~^:?*\[\\\x7f])|(@\{)|(/$)|(\.lock$)|(\.$)|(//)"
)

# Every way a remote can fail to be read gets this one message: git's own text
# tells a closed port from an open one that speaks another protocol, which would
# turn last_error into a port scanner of whatever the policy lets us reach.
UNREADABLE = (
    "no git repository could be read at this address: the host did not answer "
    "(in time or at all), is not a git server, has no such repository, or asks "
    "for credentials"
)
LOCAL_FAILURE = "git could not write the local mirror; it is made afresh next time"
# stderr fragments of failures of our own disk, not of the remote.
_LOCAL = (
    "not a git repository (or any",
    "unable to create",
    "could not lock",
    "cannot lock",
    "no space left on device",
    "read-only file system",
    "disk quota exceeded",
)
_STDERR_LOGGED = 2000  # characters of git's stderr kept in the log


class _Options(TypedDict):
    timeout: int
    allow_local: bool


class GitError(Exception):
    """A git operation failed for a reason that retrying will not fix."""


class TransientGitError(GitError):
    """A git operation failed for a reason that may pass (network, timeout)."""


class _MissingBranch(GitError):
    """The remote answered as a git server, without the branch asked for."""


class RefusedFile(ValueError):
    """A repository path we will not read: symlink, submodule, directory, too large."""


def is_valid_branch(name: str) -> bool:
    return bool(name) and len(name) <= 255 and not _BRANCH_BAD.search(name)


def pinned_addresses(repo: RepoUrl) -> tuple[str, ...]:
    """The addresses the policy vetted for a host name, which git must connect to
    instead of asking DNS again; () when there is no name to resolve."""
    if repo.scheme == "file" or _is_ip(repo.host):
        return ()
    return repo.addresses


def network_options(repo: RepoUrl) -> list[str]:
    """The ``-c`` options of every git command that talks to ``repo``.

    Redirects are refused: the policy vetted this URL, not wherever it points
    (with redirects off git also ignores http-alternates). curl connects to the
    vetted addresses only. Over git:// protocol v2 sends each request as several
    small writes and waits about 40 ms for the reply (measured: ls-remote 52 ms
    against 8 ms with v0); git daemons rarely hold the thousands of refs v2's
    filtering is for.
    """
    options = ["http.followRedirects=false", "credential.helper="]
    pinned = pinned_addresses(repo)
    if repo.scheme in ("http", "https") and pinned:
        port = repo.port or DEFAULT_PORTS[repo.scheme]
        addresses = ",".join(_url_host(a) for a in pinned)
        options.append(f"http.curloptResolve={repo.host}:{port}:{addresses}")
    if repo.scheme == "git":
        options.append("protocol.version=0")
    return [arg for option in options for arg in ("-c", option)]


def network_env(repo: RepoUrl, *, allow_local: bool) -> dict[str, str]:
    """The whole environment of a git process that talks to ``repo``.

    Nothing is inherited but PATH, HOME (ssh keys) and TMPDIR: no proxy, no
    GIT_* variable, no system or global git config (url.insteadOf, credential
    helpers), and only the URL's own transport.
    """
    if repo.scheme not in git_allow_protocol(allow_local).split(":"):
        raise GitError(f"the {repo.scheme} transport is not allowed")
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    return {
        **keep,
        "LC_ALL": "C",  # English messages, as _failure reads them
        "LANGUAGE": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_ALLOW_PROTOCOL": repo.scheme,
        "GIT_SSH_COMMAND": _ssh_command(repo),
        **_credential_config(repo),
    }


def _credential_config(repo: RepoUrl) -> dict[str, str]:
    """A host connection's credential for this URL (core/credentials.py), as git
    config in the environment: not in the URL, the arguments or any message."""
    if repo.scheme not in ("http", "https"):
        return {}
    header = credentials.authorization(repo.scheme, repo.host, repo.port, repo.path)
    if not header:
        return {}
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: {header}",
    }


def _ssh_command(repo: RepoUrl) -> str:
    # ssh connects to the vetted address and checks the host key under the name.
    command = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"]
    pinned = pinned_addresses(repo)
    if repo.scheme == "ssh" and pinned:
        command += ["-o", f"HostName={pinned[0]}", "-o", f"HostKeyAlias={repo.host}"]
        command += ["-o", "CheckHostIP=no"]
    return shlex.join(command)


def transport_url(repo: RepoUrl) -> str:
    """The URL handed to git.

    A plain local path would make git copy objects and ignore --depth. git://
    has no curl to pin through, and neither TLS nor virtual hosting to lose, so
    its URL names the vetted address itself.
    """
    if repo.scheme == "file" and not repo.url.startswith("file://"):
        return "file://" + repo.url
    pinned = pinned_addresses(repo)
    if repo.scheme == "git" and pinned:
        port = f":{repo.port}" if repo.port else ""
        return f"git://{_url_host(pinned[0])}{port}{repo.path}"
    return repo.url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _remote_git(
    repo: RepoUrl, args: list[str], *, timeout: int, allow_local: bool,
    cwd: Path | None = None,
) -> str:  # fmt: skip
    """Run one git command that talks to ``repo``: the only way this module does.

    It runs from ``/`` unless told otherwise, so no repository around the
    worker's directory lends it its config.
    """
    env = network_env(repo, allow_local=allow_local)
    command = ["git", *network_options(repo), *args]
    process = subprocess.Popen(  # noqa: S603 - git, with arguments we built
        command,
        cwd=cwd or "/",
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its helpers (git-remote-https, ssh) die with it
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        err += f"\n(killed after {timeout} seconds)".encode()
    if process.returncode != 0:
        raise _failure(repo, args, process.returncode, err.decode(errors="replace"))
    return out.decode(errors="replace")


def _failure(repo: RepoUrl, args: list[str], status: int, stderr: str) -> GitError:
    """The classified error for a failed git command; its own words go to the log."""
    verb = next((a for a in args if not a.startswith("-")), "git")
    logger.warning(
        "git %s of %s failed with status %s: %s",
        verb,
        repo.url,
        status,
        stderr.strip()[-_STDERR_LOGGED:],
    )
    # Lines from the remote ("remote: ...") say nothing about our own disk.
    ours = "\n".join(
        line for line in stderr.lower().splitlines() if not line.startswith("remote:")
    )
    if "not found in upstream" in ours or "couldn't find remote ref" in ours:
        return _MissingBranch("branch not found")
    if any(fragment in ours for fragment in _LOCAL):
        return GitError(LOCAL_FAILURE)
    return TransientGitError(UNREADABLE)


@dataclass(frozen=True, slots=True)
class RemoteHead:
    branch: str
    commit: str


def remote_head(
    repo: RepoUrl, branch: str, *, timeout: int, allow_local: bool
) -> RemoteHead:
    """The tracked branch's head, asked of the remote without fetching objects."""
    url = transport_url(repo)
    options: _Options = {"timeout": timeout, "allow_local": allow_local}
    if branch:
        args = ["ls-remote", "--", url, f"refs/heads/{branch}"]
        out = _remote_git(repo, args, **options)
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return RemoteHead(branch, sha)
        raise _not_there(repo, _no_branch(branch), **options)
    default, sha = _head(repo, **options)
    if not default or not sha:
        raise _not_there(repo, _NO_DEFAULT_BRANCH, checked=True, **options)
    return RemoteHead(default, sha)


_NO_DEFAULT_BRANCH = "the repository has no default branch (is it empty?)"
_NO_COMMITS = "the repository has no commits on its default branch (is it empty?)"


def _no_branch(branch: str) -> str:
    return f"branch {branch!r} not found in the repository"


def _head(repo: RepoUrl, *, timeout: int, allow_local: bool) -> tuple[str, str]:
    """The remote's default branch and its commit ("" for either it lacks)."""
    args = ["ls-remote", "--symref", "--", transport_url(repo), "HEAD"]
    out = _remote_git(repo, args, timeout=timeout, allow_local=allow_local)
    default, sha = "", ""
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            default = line[len("ref: refs/heads/") : -len("\tHEAD")]
        elif line.endswith("\tHEAD"):
            sha = line.split("\t", 1)[0]
    return default, sha


def _not_there(
    repo: RepoUrl, message: str, *, timeout: int, allow_local: bool,
    checked: bool = False,
) -> GitError:  # fmt: skip
    """The error for a remote without the branch (or any commit) asked for.

    Over http(s) any web server that is not git reads as a repository without
    refs, so "no such branch" or "empty" would tell an open port from a closed
    one: it is said only when the remote shows a HEAD, i.e. speaks git.
    ``checked`` says the caller has just asked for HEAD and found none.
    """
    if repo.scheme not in ("http", "https"):
        return GitError(message)
    if checked or not all(_head_or_nothing(repo, timeout, allow_local)):
        return TransientGitError(UNREADABLE)
    return GitError(message)


def _head_or_nothing(repo: RepoUrl, timeout: int, allow_local: bool) -> tuple[str, str]:
    try:
        return _head(repo, timeout=timeout, allow_local=allow_local)
    except GitError:
        return "", ""


# Written into every mirror: no hooks, no submodules, no background maintenance.
MIRROR_CONFIG = [
    "core.hooksPath=/dev/null",
    "fetch.recurseSubmodules=false",
    "fetch.writeCommitGraph=false",
    "gc.auto=0",
    "maintenance.auto=false",
]


def has_mirror(mirror: Path) -> bool:
    return (mirror / "HEAD").is_file()


def clone(
    mirror: Path, repo: RepoUrl, branch: str, *, timeout: int, allow_local: bool
) -> tuple[git.Repo, RemoteHead]:
    """First crawl: one shallow, single-branch bare clone.

    One connection learns the default branch and fetches it, where ls-remote, init
    and fetch would take three processes and two connections.
    """
    mirror = mirror.absolute()  # git runs from "/"
    mirror.parent.mkdir(parents=True, exist_ok=True)
    args = ["clone", "--bare", "--depth=1", "--single-branch"]
    args += ["--no-tags", "--quiet", "--template="]
    args += [f"--config={option}" for option in MIRROR_CONFIG]
    if branch:
        args += ["--branch", branch]
    args += ["--", transport_url(repo), str(mirror)]
    options: _Options = {"timeout": timeout, "allow_local": allow_local}
    try:
        _remote_git(repo, args, **options)
    except _MissingBranch:
        raise _not_there(repo, _no_branch(branch), **options) from None
    head = (mirror / "HEAD").read_text().strip()
    branch = branch or head.removeprefix("ref: refs/heads/")
    commit = read_ref(mirror, f"refs/heads/{branch}")
    if not commit:
        raise _not_there(repo, _NO_COMMITS, **options)
    return git.Repo(mirror), RemoteHead(branch, commit)


def fetch(
    mirror: Path, repo: RepoUrl, branch: str, *, timeout: int, allow_local: bool
) -> tuple[git.Repo, RemoteHead]:
    """Later crawls: shallow-fetch the tracked branch into the kept mirror."""
    ref = f"refs/heads/{branch}"
    args = [
        "fetch",
        "--depth=1",
        "--no-tags",
        "--no-recurse-submodules",
        "--force",
        "--quiet",
        "--",
        transport_url(repo),
        f"+{ref}:{ref}",
    ]
    options: _Options = {"timeout": timeout, "allow_local": allow_local}
    try:
        _remote_git(repo, args, cwd=mirror, **options)
    except _MissingBranch:
        raise _not_there(repo, _no_branch(branch), **options) from None
    return git.Repo(mirror), RemoteHead(branch, read_ref(mirror, ref))


def fetch_commit(
    mirror: Path,
    repo: RepoUrl,
    commit: str,
    ref: str,
    *,
    timeout: int,
    allow_local: bool,
) -> None:
    """Shallow-fetch one commit (a full id) into `ref` of the kept mirror. Hosts
    serve a commit no branch points at over protocol v2 only (not git://)."""
    args = ["fetch", "--depth=1", "--no-tags", "--no-recurse-submodules", "--quiet"]
    args += ["--", transport_url(repo), f"{commit}:{ref}"]
    _remote_git(repo, args, cwd=mirror, timeout=timeout, allow_local=allow_local)


def read_ref(git_dir: Path, ref: str) -> str:
    """A ref's commit from the loose file or packed-refs (no git process)."""
    loose = git_dir / ref
    if loose.is_file():
        return loose.read_text().strip()
    packed = git_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return ""


class CommitTree:
    """Read-only view of one commit's files, through git's object database."""

    def __init__(self, repo: git.Repo, commit: str, max_bytes: int) -> None:
        self.repo = repo
        self.commit = repo.commit(commit)
        self.max_bytes = max_bytes

    def read(self, path: str) -> bytes:
        obj = self._lookup(path)
        if obj.mode == SYMLINK_MODE:
            raise RefusedFile(f"{path} is a symbolic link; links are never followed")
        if obj.mode == SUBMODULE_MODE or obj.type != "blob":
            raise RefusedFile(f"{path} is not a regular file")
        if obj.size > self.max_bytes:
            raise RefusedFile(
                f"{path} is {obj.size} bytes, over the limit of {self.max_bytes}"
            )
        data: bytes = obj.data_stream.read()
        return data

    def files(self) -> list[tuple[str, int]]:
        """Every path in the commit with its mode (one git process, no recursion)."""
        out = self.repo.git.ls_tree("-r", "-z", "--full-tree", self.commit.hexsha)
        entries = []
        for record in out.split("\0"):
            if record:
                meta, _, path = record.partition("\t")
                entries.append((path, int(meta.split(" ", 1)[0], 8)))
        return entries

    def _lookup(self, path: str) -> git.objects.base.Object:
        node: git.objects.base.Object = self.commit.tree
        parts = [p for p in path.split("/") if p]
        for depth, part in enumerate(parts):
            if not isinstance(node, git.Tree):
                if node.mode == SYMLINK_MODE:
                    raise RefusedFile(
                        f"{'/'.join(parts[:depth])} is a symbolic link; "
                        "links are never followed"
                    )
                raise FileNotFoundError(f"{path} not found")
            try:
                node = node[part]
            except KeyError:
                raise FileNotFoundError(f"{path} not found") from None
        return node
