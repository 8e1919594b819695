"""Tests for catalog.urlpolicy.

Only DNS is simulated, by passing ``resolve``; IP literals in every spelling go
through the real code path, which never needs the network for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from catalog.urlpolicy import (
    MAX_URL_LENGTH,
    HostFileUrl,
    RepoUrl,
    UrlRefused,
    check_repo_url,
    git_allow_protocol,
    resolve_host,
    split_host_file_url,
)

PUBLIC_IP = "140.82.112.3"


def public_dns(host: str, port: int | None) -> list[str]:
    return [PUBLIC_IP]


def forbidden_dns(host: str, port: int | None) -> list[str]:
    raise AssertionError(f"{host} must not be resolved")


def answers(*addresses: str) -> Callable[[str, int | None], list[str]]:
    def resolve(host: str, port: int | None) -> list[str]:
        return list(addresses)

    return resolve


def refused(
    url: str,
    *,
    allowed_hosts: Sequence[str] = (),
    allow_local: bool = False,
    resolve: Callable[[str, int | None], list[str]] | None = None,
) -> str:
    with pytest.raises(UrlRefused) as excinfo:
        check_repo_url(
            url, allowed_hosts=allowed_hosts, allow_local=allow_local, resolve=resolve
        )
    return str(excinfo.value)


# --- accepted URLs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://github.com/acme/repo.git",
            RepoUrl(
                "https://github.com/acme/repo.git",
                "https",
                "github.com",
                None,
                "/acme/repo.git",
            ),
        ),
        (
            "HTTPS://GitHub.COM./Acme/Repo.git",
            RepoUrl(
                "https://github.com/Acme/Repo.git",
                "https",
                "github.com",
                None,
                "/Acme/Repo.git",
            ),
        ),
        (
            "https://git.example.com:8443/a/b%20c.git?x=1",
            RepoUrl(
                "https://git.example.com:8443/a/b%20c.git?x=1",
                "https",
                "git.example.com",
                8443,
                "/a/b%20c.git?x=1",
            ),
        ),
        (
            "ssh://git@github.com/acme/repo.git",
            RepoUrl(
                "ssh://git@github.com/acme/repo.git",
                "ssh",
                "github.com",
                None,
                "/acme/repo.git",
            ),
        ),
        (
            "SSH://git@GitHub.com:2222/acme/repo.git",
            RepoUrl(
                "ssh://git@github.com:2222/acme/repo.git",
                "ssh",
                "github.com",
                2222,
                "/acme/repo.git",
            ),
        ),
        (
            "ssh://github.com/~alice/repo",
            RepoUrl(
                "ssh://github.com/~alice/repo",
                "ssh",
                "github.com",
                None,
                "/~alice/repo",
            ),
        ),
        (
            "git@github.com:acme/repo.git",
            RepoUrl(
                "git@github.com:acme/repo.git",
                "ssh",
                "github.com",
                None,
                "acme/repo.git",
            ),
        ),
        (
            "git@GitHub.com.:acme/repo.git",
            RepoUrl(
                "git@GitHub.com.:acme/repo.git",
                "ssh",
                "github.com",
                None,
                "acme/repo.git",
            ),
        ),
        (
            "git://github.com/acme/repo.git",
            RepoUrl(
                "git://github.com/acme/repo.git",
                "git",
                "github.com",
                None,
                "/acme/repo.git",
            ),
        ),
        (
            "git://github.com:9418/acme/repo",
            RepoUrl(
                "git://github.com:9418/acme/repo",
                "git",
                "github.com",
                9418,
                "/acme/repo",
            ),
        ),
    ],
)
def test_accepts_public_hosts(url: str, expected: RepoUrl) -> None:
    assert check_repo_url(url, resolve=public_dns) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://8.8.8.8/acme/repo",
            RepoUrl(
                "https://8.8.8.8/acme/repo", "https", "8.8.8.8", None, "/acme/repo"
            ),
        ),
        # Odd spellings of a public address are canonicalised for git.
        (
            "https://134744072/acme/repo",
            RepoUrl(
                "https://8.8.8.8/acme/repo", "https", "8.8.8.8", None, "/acme/repo"
            ),
        ),
        (
            "https://[2606:4700:4700:0:0:0:0:1111]:8443/x",
            RepoUrl(
                "https://[2606:4700:4700::1111]:8443/x",
                "https",
                "2606:4700:4700::1111",
                8443,
                "/x",
            ),
        ),
        (
            "git@[2606:4700::1111]:acme/repo.git",
            RepoUrl(
                "git@[2606:4700::1111]:acme/repo.git",
                "ssh",
                "2606:4700::1111",
                None,
                "acme/repo.git",
            ),
        ),
        (
            "https://[::ffff:8.8.8.8]/x",
            RepoUrl(
                "https://[::ffff:808:808]/x", "https", "::ffff:808:808", None, "/x"
            ),
        ),
    ],
)
def test_accepts_public_ip_literals_without_resolving(
    url: str, expected: RepoUrl
) -> None:
    assert check_repo_url(url) == expected


def test_accepts_url_of_maximum_length() -> None:
    url = "https://github.com/"
    url += "a" * (MAX_URL_LENGTH - len(url))
    assert check_repo_url(url, resolve=public_dns).url == url


def test_resolver_gets_normalised_host_and_port() -> None:
    calls: list[tuple[str, int | None]] = []

    def recording(host: str, port: int | None) -> list[str]:
        calls.append((host, port))
        return [PUBLIC_IP]

    check_repo_url("https://Git.Example.COM.:8443/x", resolve=recording)
    check_repo_url("git@Git.Example.com:x", resolve=recording)
    assert calls == [("git.example.com", 8443), ("git.example.com", None)]


# --- refused shapes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "empty"),
        ("https://github.com/" + "a" * MAX_URL_LENGTH, "longer than 2048"),
        ("https://github.com/a b", "whitespace or control"),
        ("https://github.com/a\tb", "whitespace or control"),
        (" https://github.com/x", "whitespace or control"),
        ("https://github.com/x\n", "whitespace or control"),
        ("https://github.com/x\x00", "whitespace or control"),
        ("https://github.com/x\x7f", "whitespace or control"),
        ("https://github.com/\u200bx", "whitespace or control"),
        ("https://github.com/\u202ex", "whitespace or control"),
        ("https://github.com/\u00a0x", "whitespace or control"),
        ("-oProxyCommand=evil", "must not start with '-'"),
        ("--upload-pack=touch%20pwned", "must not start with '-'"),
        ("ext::sh%20-c%20id", "transport helper"),
        ("fd::17", "transport helper"),
        ("foo::bar", "transport helper"),
        ("FOO::https://github.com/x", "transport helper"),
        ("::github.com/x", "transport helper"),
        ("ftp://github.com/x", "scheme 'ftp' is not allowed"),
        ("rsync://github.com/x", "scheme 'rsync' is not allowed"),
        ("svn://github.com/x", "scheme 'svn' is not allowed"),
        ("git+ssh://github.com/x", "scheme 'git+ssh' is not allowed"),
        ("javascript:alert(1)", "scheme 'javascript' is not allowed"),
        ("data:text/plain;base64,SGk=", "scheme 'data' is not allowed"),
        ("mailto:git@github.com", "scheme 'mailto' is not allowed"),
        ("file:/srv/git/x", "scheme 'file' is not allowed"),
        ("ssh://-oProxyCommand=evil/x", "not a valid host name"),
        ("ssh://-oProxyCommand=evil@github.com/x", "user name"),
        ("git@-oProxyCommand=evil:x", "not a valid host name"),
        ("git@github.com:-u", "must not start with '-'"),
        ("@github.com:acme/repo", "user name"),
        ("ssh://@github.com/x", "user name"),
        ("ssh://a@b@github.com/x", "user name"),
        ("github.com/acme/repo", "not a recognised repository URL"),
        ("acme/repo", "not a recognised repository URL"),
        ("./repo", "not a recognised repository URL"),
        ("../repo", "not a recognised repository URL"),
        ("git@github.com/acme:repo", "not a recognised repository URL"),
        ("https://github.com", "no repository path"),
        ("https://github.com/", "no repository path"),
        ("git@github.com:", "no repository path"),
        ("https:///acme/repo", "has no host"),
        ("https://./acme/repo", "has no host"),
        ("https://github.com:abc/x", "port is not a number"),
        ("https://github.com:/x", "port is not a number"),
        ("https://github.com:1:2/x", "host is malformed"),
        ("https://github.com:70000/x", "out of range"),
        ("https://github.com:0/x", "out of range"),
        ("https://g\u00efthub.com/x", "must be ASCII"),
        ("https://github.com\\.evil.com/x", "not a valid host name"),
        ("https://github.com#@evil.com/x", "credentials"),
        ("https://evil.com\\@github.com/x", "credentials"),
        ("https://github.com#.evil.com/x", "not a valid host name"),
        ("https://github.com?.evil.com/x", "not a valid host name"),
        ("https://bad_.-host/x", "not a valid host name"),
        ("https://" + "a" * 64 + ".com/x", "not a valid host name"),
        ("https://[::1/x", "host is malformed"),
        ("https://[fe80::1%25eth0]/x", "zone identifiers"),
        ("https://[127.0.0.1]/x", "IPv6 address is malformed"),
        ("https://1.2.3.4.5/x", "IPv4 address is malformed"),
        ("https://256.1.1.1/x", "IPv4 address is malformed"),
        ("https://08.1.1.1/x", "IPv4 address is malformed"),
        ("https://1.2.65536/x", "IPv4 address is malformed"),
        ("https://4294967296/x", "IPv4 address is malformed"),
        ("https://1_0.0.0.1/x", "IPv4 address is malformed"),
        ("https://example.0x/x", "IPv4 address is malformed"),
        ("https://example.123/x", "IPv4 address is malformed"),
    ],
)
def test_refuses_malformed_or_dangerous_urls(url: str, reason: str) -> None:
    assert reason in refused(url, resolve=public_dns)


# --- credentials ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "secret", "reason"),
    [
        (
            "https://alice:hunter2Secret@github.com/acme/repo",
            "hunter2Secret",
            "credentials",
        ),
        ("https://ghp_Tok3nXYZ@github.com/acme/repo", "ghp_Tok3nXYZ", "credentials"),
        ("https://:onlyPass42@github.com/acme/repo", "onlyPass42", "credentials"),
        ("https://x-access-token:ghs_abc123@github.com/r", "ghs_abc123", "credentials"),
        ("http://bob:pw0rdXYZ@github.com/acme/repo", "pw0rdXYZ", "credentials"),
        ("git://u:gitSecret9@github.com/acme/repo", "gitSecret9", "credentials"),
        ("ssh://git:sshSecret7@github.com/acme/repo", "sshSecret7", "password"),
        ("git:scpSecret5@github.com:acme/repo.git", "scpSecret5", "password"),
        ("ftp://user:ftpSecret1@github.com/x", "ftpSecret1", "not allowed"),
        ("https://u:encSecret%40x@github.com/x", "encSecret", "credentials"),
    ],
)
def test_refuses_credentials_without_echoing_them(
    url: str, secret: str, reason: str
) -> None:
    for allowed in ([], ["github.com"]):
        message = refused(url, allowed_hosts=allowed, resolve=forbidden_dns)
        assert reason in message
        assert secret not in message


# --- host spellings that reach internal addresses -------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/x", "loopback"),
        ("https://127.1/x", "loopback"),
        ("https://2130706433/x", "loopback"),
        ("https://0x7f000001/x", "loopback"),
        ("https://0X7F000001/x", "loopback"),
        ("https://0177.0.0.1/x", "loopback"),
        ("https://0x7f.1/x", "loopback"),
        ("https://127.0.0.1./x", "loopback"),
        ("https://[::1]/x", "loopback"),
        ("https://[0:0:0:0:0:0:0:1]/x", "loopback"),
        ("https://[::ffff:127.0.0.1]/x", "loopback"),
        ("https://[::ffff:7f00:1]/x", "loopback"),
        ("https://[::FFFF:7F00:1]/x", "loopback"),
        ("https://[2002:7f00:1::1]/x", "loopback"),
        ("https://[64:ff9b::7f00:1]/x", "loopback"),
        ("https://localhost/x", "loopback"),
        ("https://LOCALHOST./x", "loopback"),
        ("https://git.localhost/x", "loopback"),
        ("ssh://git@127.1/x", "loopback"),
        ("git://2130706433/x", "loopback"),
        ("git@[::1]:acme/repo", "loopback"),
        ("git@0x7f000001:acme/repo", "loopback"),
        ("git@localhost:acme/repo", "loopback"),
        ("https://0.0.0.0/x", "unspecified"),
        ("https://0/x", "unspecified"),
        ("https://[::]/x", "unspecified"),
        ("https://169.254.169.254/latest/meta-data", "cloud metadata"),
        ("https://2852039166/x", "cloud metadata"),
        ("https://0xa9fea9fe/x", "cloud metadata"),
        ("https://[::ffff:169.254.169.254]/x", "cloud metadata"),
        ("https://[fd00:ec2::254]/x", "cloud metadata"),
        ("https://100.100.100.200/x", "cloud metadata"),
        ("https://metadata.google.internal/x", "cloud metadata"),
        ("https://Metadata.Google.Internal./x", "cloud metadata"),
        ("https://169.254.1.1/x", "link-local"),
        ("https://[fe80::1]/x", "link-local"),
        ("https://10.0.0.1/x", "private"),
        ("https://172.16.0.1/x", "private"),
        ("https://192.168.1.1/x", "private"),
        ("https://[fc00::1]/x", "private"),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", "private"),
        ("https://224.0.0.1/x", "multicast"),
        ("https://[ff02::1]/x", "multicast"),
        ("https://[4000::1]/x", "reserved"),
        ("https://[::7f00:1]/x", "reserved"),
        # Python versions disagree on whether 240/4 is private or reserved.
        ("https://240.0.0.1/x", " address; "),
        ("https://100.64.0.1/x", "non-public"),
    ],
)
def test_refuses_internal_hosts_in_every_spelling(url: str, reason: str) -> None:
    message = refused(url)
    assert reason in message
    assert "GREENROOM_ALLOWED_GIT_HOSTS" in message or "metadata" in message


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["127.0.0.1"], "resolves to 127.0.0.1, a loopback"),
        (["::1"], "loopback"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["169.254.169.254"], "cloud metadata"),
        (["fd00:ec2::254"], "cloud metadata"),
        (["100.100.100.200"], "cloud metadata"),
        (["10.1.2.3"], "private"),
        ([PUBLIC_IP, "192.168.0.10"], "private"),
        (["2606:4700::1111", "fe80::1"], "link-local"),
        ([], "could not resolve host evil.example.com"),
        (["not-an-address"], "could not resolve host evil.example.com"),
    ],
)
def test_refuses_hostnames_resolving_to_internal_addresses(
    addresses: list[str], reason: str
) -> None:
    message = refused("https://evil.example.com/x", resolve=answers(*addresses))
    assert reason in message


def test_resolver_failure_is_a_refusal() -> None:
    def failing(host: str, port: int | None) -> list[str]:
        raise OSError("Name or service not known")

    assert "could not resolve host" in refused("https://x.example/r", resolve=failing)


def test_default_resolver_uses_the_system() -> None:
    assert set(resolve_host("localhost", None)) <= {"127.0.0.1", "::1"}
    with pytest.raises(UrlRefused, match="could not resolve host"):
        resolve_host("a" * 64 + ".example", 443)


def test_default_resolver_refuses_unresolvable_url() -> None:
    assert "could not resolve host" in refused("https://no-such.invalid/x")


# --- allowlist -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://github.com/acme/repo", ["github.com"]),
        ("https://GitHub.com.:8443/acme/repo", ["github.com"]),
        ("https://github.com/acme/repo", [" GitHub.COM. "]),
        ("https://github.com/acme/repo", ["github.com:443"]),
        ("https://github.com:443/acme/repo", ["github.com:443"]),
        ("https://github.com:8443/acme/repo", ["github.com:8443"]),
        ("git@github.com:acme/repo", ["github.com:22"]),
        ("ssh://git@github.com/acme/repo", ["gitlab.com", "github.com:22"]),
        ("git://github.com/acme/repo", ["github.com:9418"]),
        ("http://git.internal/acme/repo", ["git.internal"]),
        ("http://git.internal/acme/repo", ["git.internal:80"]),
        ("git://127.0.0.1:9418/repo", ["127.0.0.1:9418"]),
        ("git://127.0.0.1/repo", ["127.0.0.1:9418"]),
        ("git://2130706433:9418/repo", ["127.0.0.1"]),
        ("http://localhost:3000/repo", ["localhost:3000"]),
        ("https://10.0.0.5/repo", ["10.0.0.5"]),
        ("git://[::1]:9418/repo", ["[::1]:9418"]),
        ("git://[::1]/repo", ["::1"]),
        ("git@[0:0::1]:repo", ["[::1]"]),
    ],
)
def test_allowlisted_hosts_are_accepted_without_resolving(
    url: str, allowed: list[str]
) -> None:
    check_repo_url(url, allowed_hosts=allowed, resolve=forbidden_dns)


def test_allowlisted_loopback_keeps_its_canonical_form() -> None:
    repo = check_repo_url(
        "git://2130706433:9418/repo",
        allowed_hosts=["127.0.0.1:9418"],
        resolve=forbidden_dns,
    )
    assert repo == RepoUrl(
        "git://127.0.0.1:9418/repo", "git", "127.0.0.1", 9418, "/repo"
    )


@pytest.mark.parametrize(
    ("url", "allowed", "reason"),
    [
        ("https://gitlab.com/acme/repo", ["github.com"], "host gitlab.com is not in"),
        ("https://github.com:8443/acme/repo", ["github.com:443"], "is not in"),
        ("ssh://git@github.com/acme/repo", ["github.com:443"], "is not in"),
        ("git@github.com:acme/repo", ["github.com:443"], "is not in"),
        ("git://127.0.0.1:9419/repo", ["127.0.0.1:9418"], "is not in"),
        ("git://127.0.0.2:9418/repo", ["127.0.0.1:9418"], "is not in"),
        ("https://github.com.evil.com/x", ["github.com"], "is not in"),
        ("https://evil.github.com/x", ["github.com"], "is not in"),
        ("http://git.internal/acme/repo", ["git.internal:443"], "https is required"),
        ("http://github.com/acme/repo", ["gitlab.com"], "https is required"),
        ("https://169.254.169.254/x", ["169.254.169.254"], "cloud metadata"),
        (
            "https://metadata.google.internal/x",
            ["metadata.google.internal"],
            "metadata",
        ),
    ],
)
def test_allowlist_is_exclusive_and_port_aware(
    url: str, allowed: list[str], reason: str
) -> None:
    message = refused(url, allowed_hosts=allowed, resolve=forbidden_dns)
    assert reason in message
    assert "GREENROOM_ALLOWED_GIT_HOSTS" in message or "metadata" in message


def test_plain_http_needs_the_allowlist() -> None:
    message = refused("http://github.com/acme/repo", resolve=public_dns)
    assert "https is required" in message


def test_blank_allowlist_entries_mean_no_allowlist() -> None:
    repo = check_repo_url(
        "https://github.com/x", allowed_hosts=[""], resolve=public_dns
    )
    assert repo.host == "github.com"
    assert "loopback" in refused("https://127.0.0.1/x", allowed_hosts=["", " "])


@pytest.mark.parametrize(
    "entry", ["https://github.com", "github.com:http", "[::1", "a b"]
)
def test_invalid_allowlist_entry_is_a_configuration_error(entry: str) -> None:
    with pytest.raises(
        ValueError, match="invalid GREENROOM_ALLOWED_GIT_HOSTS"
    ) as excinfo:
        check_repo_url("https://github.com/x", allowed_hosts=[entry])
    assert not isinstance(excinfo.value, UrlRefused)


# --- local repositories ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/srv/git/repo", "/srv/git/repo.git/", "file:///srv/git/repo", "FILE:///x"]
)
def test_local_repositories_need_the_setting(url: str) -> None:
    assert "GREENROOM_ALLOW_LOCAL_REPOS" in refused(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/srv/git/repo", RepoUrl("/srv/git/repo", "file", "", None, "/srv/git/repo")),
        ("/srv/git/../x//y/", RepoUrl("/srv/x/y", "file", "", None, "/srv/x/y")),
        (
            "file:///srv/git/repo",
            RepoUrl("file:///srv/git/repo", "file", "", None, "/srv/git/repo"),
        ),
        (
            "FILE:///srv/my%20repo",
            RepoUrl("file:///srv/my%20repo", "file", "", None, "/srv/my repo"),
        ),
    ],
)
def test_local_repositories_when_allowed(url: str, expected: RepoUrl) -> None:
    assert check_repo_url(url, allow_local=True, resolve=forbidden_dns) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file://server/srv/git/repo", "absolute and name no host"),
        ("file://", "absolute and name no host"),
        ("srv/git/repo", "relative local paths are refused"),
        ("./repo", "relative local paths are refused"),
        ("ext::sh%20-c%20id", "transport helper"),
        ("https://127.0.0.1/x", "loopback"),
    ],
)
def test_allow_local_does_not_open_anything_else(url: str, reason: str) -> None:
    assert reason in refused(url, allow_local=True)


# --- git_allow_protocol --------------------------------------------------------


def test_git_allow_protocol_without_local() -> None:
    value = git_allow_protocol(False)
    assert value.startswith("https:ssh:git")
    assert set(value.split(":")) == {"https", "ssh", "git", "http"}


def test_git_allow_protocol_with_local() -> None:
    assert set(git_allow_protocol(True).split(":")) == {
        "https",
        "ssh",
        "git",
        "http",
        "file",
    }


# --- split_host_file_url --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://github.com/o/r/blob/main/catalog-info.yaml",
            HostFileUrl("https://github.com/o/r", "main", "catalog-info.yaml"),
        ),
        (
            "https://github.com/o/r/blob/v1.2/docs/a/b.yaml?plain=1#L3",
            HostFileUrl("https://github.com/o/r", "v1.2", "docs/a/b.yaml"),
        ),
        (
            "https://github.com/o/r/tree/main/docs/",
            HostFileUrl("https://github.com/o/r", "main", "docs"),
        ),
        (
            "https://github.com/o/r/tree/dev",
            HostFileUrl("https://github.com/o/r", "dev", None),
        ),
        (
            "https://github.com/o/r.git/blob/main/my%20docs/x.md",
            HostFileUrl("https://github.com/o/r.git", "main", "my docs/x.md"),
        ),
        (
            "https://gitlab.com/g/sub/r/-/blob/main/catalog-info.yaml",
            HostFileUrl("https://gitlab.com/g/sub/r", "main", "catalog-info.yaml"),
        ),
        (
            "https://gitlab.com/g/r/-/tree/release/docs/api",
            HostFileUrl("https://gitlab.com/g/r", "release", "docs/api"),
        ),
        (
            "https://gitlab.example.com:8443/a/b/c/d/-/blob/main/x.yaml",
            HostFileUrl("https://gitlab.example.com:8443/a/b/c/d", "main", "x.yaml"),
        ),
        (
            "https://bitbucket.org/o/r/src/main/catalog-info.yaml",
            HostFileUrl("https://bitbucket.org/o/r", "main", "catalog-info.yaml"),
        ),
        (
            "https://bitbucket.org/o/r/src/main/?at=main",
            HostFileUrl("https://bitbucket.org/o/r", "main", None),
        ),
        (
            "https://gitea.example.com/o/r/src/branch/main/catalog-info.yaml",
            HostFileUrl("https://gitea.example.com/o/r", "main", "catalog-info.yaml"),
        ),
        (
            "https://codeberg.org/o/r/src/branch/dev/docs/",
            HostFileUrl("https://codeberg.org/o/r", "dev", "docs"),
        ),
    ],
)
def test_split_host_file_url(url: str, expected: HostFileUrl) -> None:
    assert split_host_file_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/o/r",
        "https://github.com/o/r/",
        "https://github.com/o/r/pulls",
        "https://github.com/o/blob/main",
        "https://example.com/o/r/blob/main/x.yaml",
        "https://example.com/o/r/src/main/x.yaml",
        "https://raw.githubusercontent.com/o/r/main/x.yaml",
        "git@github.com:o/r.git",
        "ssh://git@github.com/o/r/blob/main/x",
        "/srv/git/repo",
        "https://[::1/x",
        "",
    ],
)
def test_split_host_file_url_leaves_other_urls_alone(url: str) -> None:
    assert split_host_file_url(url) == HostFileUrl(url, None, None)
