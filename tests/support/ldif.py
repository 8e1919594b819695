"""LDAP entries for the LDAP provider's tests, and LDIF (RFC 2849) for slapadd.

`organisation()` is the directory the test server starts with: 1,000
inetOrgPerson users under ou=people and groupOfNames groups under ou=groups, one
department holding teams and one team holding sub-teams (the tree is `TEAMS`).
Tests that change the directory do it in a branch of their own
(tests/support/slapd.py), with entries made by `user()` and `group()`.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
# slapd's rootdn: no limits apply to it, so the provider reads as READER, whose
# searches the server's size limit does cut.
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "admin-secret-4d1f"
READER_DN = f"cn=reader,{BASE}"
READER_PASSWORD = "reader-secret-9c2e"
# A reader the server's size limit bounds in paged searches too (OpenLDAP's
# default: its `limits` for READER lift that, as an administrator would).
LIMITED_DN = f"cn=limited,{BASE}"
LIMITED_PASSWORD = "limited-secret-07aa"
USERS = 1000

Value = str | bytes


@dataclass
class Entry:
    dn: str
    attributes: dict[str, list[Value]] = field(default_factory=dict)


def uid(number: int) -> str:
    return f"user{number:04d}"


def user_dn(name: str, base: str = PEOPLE) -> str:
    return f"uid={name},{base}"


def group_dn(name: str, base: str = GROUPS) -> str:
    return f"cn={name},{base}"


def user(name: str, base: str = PEOPLE, **extra: list[Value]) -> Entry:
    return Entry(
        user_dn(name, base),
        {
            "objectClass": ["inetOrgPerson"],
            "uid": [name],
            "cn": [f"Person {name}"],
            "sn": [name],
            "mail": [f"{name}@example.org"],
            **extra,
        },
    )


def group(
    name: str,
    members: Iterable[str],
    base: str = GROUPS,
    **extra: list[Value],
) -> Entry:
    """A groupOfNames; `members` are DNs (the schema wants at least one)."""
    return Entry(
        group_dn(name, base),
        {
            "objectClass": ["groupOfNames"],
            "cn": [name],
            "member": list(members) or [ADMIN_DN],
            **extra,
        },
    )


def account(dn: str, password: str) -> Entry:
    """An account to bind as, not a person."""
    name = dn.split(",", 1)[0].split("=", 1)[1]
    return Entry(
        dn,
        {
            "objectClass": ["organizationalRole", "simpleSecurityObject"],
            "cn": [name],
            "userPassword": [password],
        },
    )


def ou(dn: str) -> Entry:
    name = dn.split(",", 1)[0].split("=", 1)[1]
    return Entry(dn, {"objectClass": ["organizationalUnit"], "ou": [name]})


# The group tree of `organisation()`: each team's sub-teams, and its direct
# members' numbers.
TEAMS: dict[str, tuple[list[str], range]] = {
    "engineering": (["platform", "payments"], range(0, 2)),
    "platform": (["platform-runtime", "platform-data"], range(2, 6)),
    "platform-runtime": ([], range(10, 20)),
    "platform-data": ([], range(20, 30)),
    "payments": ([], range(30, 40)),
    "everyone": ([], range(USERS)),
}


def organisation(users: int = USERS) -> list[Entry]:
    entries = [
        Entry(
            BASE,
            {
                "objectClass": ["dcObject", "organization"],
                "dc": ["example"],
                "o": ["Example"],
            },
        ),
        account(READER_DN, READER_PASSWORD),
        account(LIMITED_DN, LIMITED_PASSWORD),
        ou(PEOPLE),
        ou(GROUPS),
    ]
    entries += [user(uid(number)) for number in range(users)]
    for name, (children, numbers) in TEAMS.items():
        members = [group_dn(child) for child in children]
        members += [user_dn(uid(n)) for n in numbers if n < users]
        extra: dict[str, list[Value]] = {"description": [f"The {name} group"]}
        if name == "engineering":
            extra["businessCategory"] = ["department"]
        entries.append(group(name, members, GROUPS, **extra))
    return entries


def _safe(value: bytes) -> bool:
    """RFC 2849's SAFE-STRING: anything else is written in base64."""
    if not value:
        return True
    if value[0] in b" :<" or value.endswith(b" "):
        return False
    return all(0 < byte < 128 and byte not in b"\r\n" for byte in value)


def ldif(entries: Iterable[Entry]) -> str:
    lines: list[str] = []
    for entry in entries:
        dn = entry.dn.encode()
        lines.append(
            f"dn: {entry.dn}"
            if _safe(dn)
            else f"dn:: {base64.b64encode(dn).decode('ascii')}"
        )
        for name, values in entry.attributes.items():
            for value in values:
                raw = value.encode() if isinstance(value, str) else value
                if _safe(raw):
                    lines.append(f"{name}: {raw.decode('ascii')}")
                else:
                    lines.append(f"{name}:: {base64.b64encode(raw).decode('ascii')}")
        lines.append("")
    return "\n".join(lines) + "\n"


def nested_organisation(users: int, teams: int, seed: int = 0) -> list[Entry]:
    """A directory of `users` users and `teams` groups three levels deep, for the
    provider benchmark (bench/providers.py): departments (`dept-N`, a twentieth of
    the groups) hold teams (`team-N`, a third of the rest), which hold sub-teams
    (`sub-N`). Every user is a direct member of one team or sub-team, in turn, and
    a third of them, chosen by `seed`, of a second one too. A group's level is its
    businessCategory (department, team, sub-team)."""
    if teams < 3:
        raise ValueError("a nested organisation needs at least 3 groups")
    rng = random.Random(seed)
    departments = max(1, teams // 20)
    middle = max(1, (teams - departments) // 3)
    subs = teams - departments - middle
    entries = [
        Entry(
            BASE,
            {
                "objectClass": ["dcObject", "organization"],
                "dc": ["example"],
                "o": ["Example"],
            },
        ),
        account(READER_DN, READER_PASSWORD),
        account(LIMITED_DN, LIMITED_PASSWORD),
        ou(PEOPLE),
        ou(GROUPS),
    ]
    names = [uid(number) for number in range(users)]
    entries += [user(name) for name in names]
    levels = (
        [(f"dept-{n:03d}", "department") for n in range(departments)]
        + [(f"team-{n:03d}", "team") for n in range(middle)]
        + [(f"sub-{n:03d}", "sub-team") for n in range(subs)]
    )
    members: dict[str, list[str]] = {name: [] for name, _ in levels}
    for n in range(middle):
        members[f"dept-{n % departments:03d}"].append(group_dn(f"team-{n:03d}"))
    for n in range(subs):
        members[f"team-{n % middle:03d}"].append(group_dn(f"sub-{n:03d}"))
    pool = [name for name, level in levels if level != "department"]
    for number, name in enumerate(names):
        first = pool[number % len(pool)]
        members[first].append(user_dn(name))
        if rng.random() < 1 / 3 and len(pool) > 1:
            other = rng.randrange(len(pool) - 1)  # any team but the first
            second = pool[other + 1 if other >= number % len(pool) else other]
            members[second].append(user_dn(name))
    for name, level in levels:
        entries.append(
            group(
                name,
                members[name],
                description=[f"The {name} {level}"],
                businessCategory=[level],
            )
        )
    return entries
