"""Whatever a descriptor puts in a placeholder's URL, the mapping to a git host's
(repository, ref, path) and the policy for plain URLs answer cleanly: a mapping
or None, a checked URL or UrlRefused, never another exception. And the file URLs
Greenroom writes itself (catalog/hosts.py, file_url) map back to what made them.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import example, given, seed, settings
from hypothesis import strategies as st

from catalog.hosts import file_url
from catalog.ingest.reader import clean_relative
from catalog.ingest.remotefiles import RemoteFileError, RemoteFiles
from catalog.urlpolicy import HostFileUrl, UrlRefused, check_read_url, split_file_url

HOSTS = [
    "github.com",
    "raw.githubusercontent.com",
    "gitlab.com",
    "bitbucket.org",
    "gitea.example.com",
    "GitHub.COM",
    "[::1",
    "127.0.0.1:8080",
    "example.com:99999",
    "user@github.com",
    "",
]
SEGMENTS = ["-", "blob", "raw", "src", "tree", "branch", "commit", "refs", "heads"]
SEGMENTS += ["..", ".", "", "%2E%2E", "%2F", "main", "a" * 40, "?x=1", "#L1"]
segment = st.one_of(st.sampled_from(SEGMENTS), st.text(max_size=12))
urlish = st.builds(
    lambda scheme, host, parts: f"{scheme}://{host}/" + "/".join(parts),
    st.sampled_from(["https", "http", "HTTPS", "ssh", "file", "git"]),
    st.sampled_from(HOSTS),
    st.lists(segment, max_size=8),
)
anything = st.one_of(urlish, st.text(max_size=80))

name = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,15}\Z")
branch = st.text(min_size=1, max_size=20).filter(
    lambda b: "/" not in b and b not in (".", "..", "refs")
)
file_path = st.lists(
    st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s),
    min_size=1,
    max_size=4,
).map("/".join)


@seed(20261207)
@settings(max_examples=600, deadline=None)
@given(anything)
def test_any_text_maps_to_a_file_or_to_nothing(url: str) -> None:
    split = split_file_url(url)
    if split is not None:
        assert split.branch
        assert split.path
        assert split.repo_url.startswith(("http://", "https://"))


@seed(20261207)
@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["github.com", "gitlab.com", "bitbucket.org"]),
    name,
    name,
    branch,
    file_path,
)
@example("github.com", "acme", "billing", "main", "-/blob/x.yaml")  # not GitLab's
def test_the_file_urls_greenroom_writes_map_back(
    host: str, owner: str, repo: str, ref: str, path: str
) -> None:
    base = f"https://{host}/{owner}/{repo}"
    assert split_file_url(file_url(base, ref, path)) == HostFileUrl(base, ref, path)
    raw = (
        f"https://raw.githubusercontent.com/{owner}/{repo}/"
        f"{quote(ref, safe='')}/{quote(path)}"
    )
    assert split_file_url(raw) == HostFileUrl(
        f"https://github.com/{owner}/{repo}", ref, path
    )


def public(host: str, port: int | None) -> list[str]:
    return ["93.184.215.14"]


@seed(20261207)
@settings(max_examples=600, deadline=None)
@given(anything)
def test_any_text_is_a_checked_url_or_refused(url: str) -> None:
    allowed = ["example.com", "*.example.org", "127.0.0.1:8080", "github.com"]
    try:
        checked = check_read_url(url, allowed_hosts=allowed, resolve=public)
    except UrlRefused:
        return
    assert checked.scheme in ("http", "https")
    assert checked.addresses


@seed(20261207)
@settings(max_examples=600, deadline=None)
@given(anything)
def test_any_text_is_a_path_of_the_crawled_repository_or_not(url: str) -> None:
    files = RemoteFiles(
        "https://github.com/acme/billing", max_bytes=1000, read_hosts=[]
    )
    try:
        path = files.own_path(url)
    except RemoteFileError:
        return
    assert path is None or clean_relative(path) == path
