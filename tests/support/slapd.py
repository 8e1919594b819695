"""A real OpenLDAP server for the LDAP provider's tests.

`Slapd` writes a slapd.conf of its own (an mdb database, the core, cosine and
inetOrgPerson schemas, a size limit like a real server's), loads its first
entries with `slapadd` before it starts (1,000 users in well under a second,
where adding them over LDAP takes several), then serves 127.0.0.1 on a free port.
Changes while it runs go over LDAP as its rootdn (`add`, `modify`, `delete`).

Debian's `slapd` package provides it. A missing one skips the tests on a
developer's machine and fails them in CI (CI or GREENROOM_REQUIRE_SLAPD set), as
a missing Chromium does for the browser tests.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ldap3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.gitrepos import free_port
from tests.support.ldif import (
    ADMIN_DN,
    ADMIN_PASSWORD,
    BASE,
    GROUPS,
    PEOPLE,
    READER_DN,
    Entry,
    ldif,
    ou,
)

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
# An attribute of any bytes (octet string syntax): what a hostile or broken server
# could send in any attribute, which slapd would refuse in a directoryString. The
# OID is under 2.25, made from a random UUID (ITU-T X.667): no registration needed.
RAW_OID = "2.25.124710409055144780845607641101188554803"
TEST_SCHEMA = f"""
attributetype ( {RAW_OID}.1 NAME 'greenroomRaw'
    DESC 'tests only: any bytes' EQUALITY octetStringMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
objectclass ( {RAW_OID}.2 NAME 'greenroomRawHolder'
    DESC 'tests only' AUXILIARY MAY greenroomRaw )
"""


def _slapd_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("GREENROOM_REQUIRE_SLAPD"))


def require_slapd() -> None:
    """Skip the calling test or fixture without slapd; fail instead in CI."""
    if SLAPD.exists() and SLAPADD.exists():
        return
    reason = f"{SLAPD} is missing: install Debian's slapd package"
    if _slapd_required():
        pytest.fail(f"{reason} (CI or GREENROOM_REQUIRE_SLAPD is set)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Branch:
    """A subtree of one test's own: ou=<unique>,BASE with its people and groups."""

    dn: str

    @property
    def people(self) -> str:
        return f"ou=people,{self.dn}"

    @property
    def groups(self) -> str:
        return f"ou=groups,{self.dn}"


def self_signed(folder: Path) -> str:
    """A certificate for 127.0.0.1 signed by itself, and its key, in `folder`
    (cert.pem, key.pem); returns the certificate's PEM, which a client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "greenroom test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    (folder / "cert.pem").write_text(pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem


class Slapd:
    """`tls`: StartTLS offered, and ldaps:// on `tls_port`, with a self-signed
    certificate for 127.0.0.1 (`certificate`)."""

    def __init__(
        self, entries: Iterable[Entry], sizelimit: int = 500, tls: bool = False
    ) -> None:
        require_slapd()
        self.dir = Path(tempfile.mkdtemp(prefix="greenroom-slapd-"))
        self.port = free_port()
        self.tls_port = free_port() if tls else 0  # ldaps://
        self.process: subprocess.Popen[bytes] | None = None
        self.certificate = self_signed(self.dir) if tls else ""
        try:
            self._configure(sizelimit)
            self._load(entries)
            self._start()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _configure(self, sizelimit: int) -> None:
        (self.dir / "data").mkdir()
        (self.dir / "test.schema").write_text(TEST_SCHEMA)
        includes = [
            SCHEMAS / name
            for name in ("core.schema", "cosine.schema", "inetorgperson.schema")
        ]
        includes.append(self.dir / "test.schema")
        lines = [f"include {path}" for path in includes]
        lines += [
            f"pidfile {self.dir / 'slapd.pid'}",
            f"modulepath {MODULES}",
            "moduleload back_mdb",
        ]
        if self.certificate:
            lines += [
                f"TLSCertificateFile {self.dir / 'cert.pem'}",
                f"TLSCertificateKeyFile {self.dir / 'key.pem'}",
            ]
        lines += [
            # The size limit of a real server: one search answers at most this
            # many entries, and so does a paged one in all (OpenLDAP's default)
            # but for READER, whose `limits` below let it page through any number.
            f"sizelimit {sizelimit}",
            "database mdb",
            f'suffix "{BASE}"',
            f'rootdn "{ADMIN_DN}"',
            f"rootpw {ADMIN_PASSWORD}",
            f"directory {self.dir / 'data'}",
            "maxsize 268435456",
            f'limits dn.exact="{READER_DN}" size.soft={sizelimit} '
            f"size.hard={sizelimit} size.prtotal=unlimited",
            "index objectClass eq",
            "access to attrs=userPassword by anonymous auth by * none",
            "access to * by users read by * none",
        ]
        (self.dir / "slapd.conf").write_text("\n".join(lines) + "\n")

    def _load(self, entries: Iterable[Entry]) -> None:
        path = self.dir / "initial.ldif"
        path.write_text(ldif(entries))
        subprocess.run(
            [SLAPADD, "-q", "-f", self.dir / "slapd.conf", "-l", path],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _start(self) -> None:
        log = (self.dir / "slapd.log").open("wb")
        urls = f"ldap://127.0.0.1:{self.port}/"
        if self.tls_port:
            urls += f" ldaps://127.0.0.1:{self.tls_port}/"
        # -d 0: stay in the foreground (this object ends it) and log nothing more.
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", self.dir / "slapd.conf", "-h", urls],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        message = (self.dir / "slapd.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"slapd did not start:\n{message}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    # Changes while it runs, as the rootdn.

    def _admin(self) -> ldap3.Connection:
        return ldap3.Connection(
            ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=5),
            user=ADMIN_DN,
            password=ADMIN_PASSWORD,
            auto_bind=True,
            receive_timeout=10,
            raise_exceptions=True,
        )

    def add(self, entries: Iterable[Entry]) -> None:
        with self._admin() as conn:
            for entry in entries:
                attributes = dict(entry.attributes)
                classes = attributes.pop("objectClass")
                conn.add(entry.dn, classes, attributes)

    def modify(self, dn: str, changes: dict[str, Sequence[Any]]) -> None:
        """`changes` as ldap3 takes them: {attribute: [(MODIFY_REPLACE, [values])]}."""
        with self._admin() as conn:
            conn.modify(dn, changes)

    def delete(self, *dns: str) -> None:
        with self._admin() as conn:
            for dn in dns:
                conn.delete(dn)

    def branch(self) -> Branch:
        """A new, empty subtree of one test's own (its ou=people, ou=groups)."""
        branch = Branch(f"ou=t{uuid.uuid4().hex[:12]},{BASE}")
        self.add([ou(branch.dn), ou(branch.people), ou(branch.groups)])
        return branch

    def settings(self, branch: Branch | None = None, **extra: Any) -> dict[str, Any]:
        """A provider's settings reading the whole organisation, or `branch`."""
        return {
            "bind_dn": READER_DN,
            "users_base_dn": branch.people if branch else PEOPLE,
            "groups_base_dn": branch.groups if branch else GROUPS,
            "timeout": 10,
            **extra,
        }
