"""The LDAP source against a real OpenLDAP (tests/support/slapd.py): a directory
larger than the server's size limit read whole, nested groups, leavers, bad
credentials and servers, and hostile attribute values; and, as a property, that
no entry a server could send makes the conversion raise."""

from __future__ import annotations

import itertools
import socket
import time
import traceback
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from ldap3 import MODIFY_REPLACE

from catalog.ingest.provided import apply_provided
from catalog.models import Entity
from catalog.storable import has_unstorable
from people.directory import Directory, documents
from people.models import OrgProvider
from people.providers import create_provider
from people.sources import SourceError
from people.sources.ldap import (
    DN_ANNOTATION,
    GROUP_ATTRIBUTES,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTES,
    MAX_TEXT,
    RDN_ANNOTATION,
    USER_ATTRIBUTES,
    UUID_ANNOTATION,
    assemble,
    found_entry,
    parse_settings,
    person_of,
    read,
    team_of,
)
from tests.support.gitrepos import free_port
from tests.support.ldif import (
    LIMITED_DN,
    LIMITED_PASSWORD,
    READER_PASSWORD,
    TEAMS,
    USERS,
    group,
    group_dn,
    organisation,
    uid,
    user,
    user_dn,
)
from tests.support.slapd import Slapd

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    """One server for the module: the organisation of tests/support/ldif.py, which
    no test changes (a test that changes the directory works in a branch)."""
    server = Slapd(organisation())
    yield server
    server.stop()


NAMES = itertools.count()


def provider(
    slapd: Slapd, *, password: str = READER_PASSWORD, scope: str = "", **settings
) -> OrgProvider:
    return create_provider(
        name=f"directory-{next(NAMES)}",
        kind="ldap",
        scope=scope or slapd.url,
        settings=slapd.settings(**settings),
        secret=password,
    )


def teams_of(directory: Directory) -> dict[str, tuple[str, list[str]]]:
    """Each team's parent and sorted members."""
    return {t.name: (t.parent, sorted(t.members)) for t in directory.teams}


def test_a_directory_past_the_size_limit_is_read_whole_in_pages(slapd):
    started = time.monotonic()
    directory = read(provider(slapd))
    assert time.monotonic() - started < 5
    assert sorted(p.name for p in directory.people) == [uid(n) for n in range(USERS)]
    last = next(p for p in directory.people if p.name == uid(USERS - 1))
    assert last.display_name == f"Person {uid(USERS - 1)}"
    assert last.email == f"{uid(USERS - 1)}@example.org"
    assert last.annotations[DN_ANNOTATION] == user_dn(uid(USERS - 1))
    assert last.annotations[RDN_ANNOTATION] == uid(USERS - 1)
    assert len(last.annotations[UUID_ANNOTATION]) == 36  # slapd's entryUUID
    assert directory.problems == []


def test_a_server_cutting_a_paged_search_is_an_error_never_a_partial_read(slapd):
    # LIMITED is bound by the server's sizelimit (500) in paged searches too.
    found = provider(slapd, password=LIMITED_PASSWORD, bind_dn=LIMITED_DN)
    with pytest.raises(SourceError, match="size limit"):
        read(found)


def test_nested_groups_become_sub_teams_with_their_members(slapd):
    directory = read(provider(slapd, group_attributes={"type": "businessCategory"}))
    teams = teams_of(directory)
    assert teams == {
        "engineering": ("", [uid(0), uid(1)]),
        "platform": ("engineering", [uid(n) for n in range(2, 6)]),
        "platform-runtime": ("platform", [uid(n) for n in range(10, 20)]),
        "platform-data": ("platform", [uid(n) for n in range(20, 30)]),
        "payments": ("engineering", [uid(n) for n in range(30, 40)]),
        "everyone": ("", [uid(n) for n in range(USERS)]),
    }
    assert set(teams) == set(TEAMS)
    kinds = {t.name: t.type for t in directory.teams}
    assert kinds["engineering"] == "department"
    assert kinds["platform"] == "team"
    platform = next(t for t in directory.teams if t.name == "platform")
    assert platform.description == "The platform group"
    assert platform.annotations[DN_ANNOTATION] == group_dn("platform")
    docs = {d["metadata"]["name"]: d for d in documents(directory)}
    assert docs["engineering"]["spec"]["children"] == ["payments", "platform"]
    assert docs[uid(12)]["spec"]["memberOf"] == ["everyone", "platform-runtime"]


def test_a_group_in_two_groups_keeps_the_first_parent_and_cycles_are_broken(slapd):
    branch = slapd.branch()
    alice = user_dn("alice", branch.people)
    slapd.add(
        [
            user("alice", branch.people),
            group("b-parent", [group_dn("shared", branch.groups)], branch.groups),
            group("a-parent", [group_dn("shared", branch.groups)], branch.groups),
            group("shared", [alice], branch.groups),
            group("x", [group_dn("y", branch.groups)], branch.groups),
            group("y", [group_dn("x", branch.groups), alice], branch.groups),
        ]
    )
    directory = read(provider(slapd, branch=branch))
    teams = teams_of(directory)
    assert teams["shared"] == ("a-parent", ["alice"])
    assert teams["a-parent"][0] == teams["b-parent"][0] == ""
    assert (teams["x"][0], teams["y"][0]) == ("", "x")  # x, first by DN, cut loose
    assert any("'shared'" in note and "'b-parent'" in note
               for note in directory.problems)  # fmt: skip
    assert any("each other" in note for note in directory.problems)


def test_member_dns_match_whatever_their_case_spacing_and_escaping(slapd):
    branch = slapd.branch()
    base = branch.people.upper().replace(",", ", ")
    brien = user("o,brien", branch.people)
    brien.dn = f"uid=o\\,brien,{branch.people}"
    slapd.add(
        [
            user("alice", branch.people),
            brien,
            group(
                "team", [f"UID=Alice, {base}", f"uid=o\\2Cbrien,{base}"], branch.groups
            ),
        ]  # fmt: skip
    )
    directory = read(provider(slapd, branch=branch))
    assert teams_of(directory)["team"] == ("", ["alice", "o,brien"])
    assert directory.problems == []


def test_a_user_removed_between_two_reads_is_gone_from_the_second(slapd):
    branch = slapd.branch()
    bob = user_dn("bob", branch.people)
    slapd.add(
        [
            user("alice", branch.people),
            user("bob", branch.people),
            group("team", [user_dn("alice", branch.people), bob], branch.groups),
        ]
    )
    found = provider(slapd, branch=branch)
    first = read(found)
    assert sorted(p.name for p in first.people) == ["alice", "bob"]
    slapd.delete(bob)
    second = read(found)
    assert [p.name for p in second.people] == ["alice"]
    # No referential integrity overlay, as on many servers: the group still
    # lists bob, now a DN that is nobody.
    assert teams_of(second)["team"] == ("", ["alice"])
    assert second.problems == [
        f"group 'team' lists {bob}, neither a user nor a group read"
    ]
    assert second.fingerprint() != first.fingerprint()
    alice = user_dn("alice", branch.people)
    slapd.modify(
        group_dn("team", branch.groups), {"member": [(MODIFY_REPLACE, [alice])]}
    )
    assert read(found).problems == []


def test_members_that_are_nobody_are_noted_up_to_a_bound(slapd):
    branch = slapd.branch()
    ghosts = [user_dn(f"ghost{n:02d}", branch.people) for n in range(MAX_NOTES + 5)]
    slapd.add([user("alice", branch.people), group("team", ghosts, branch.groups)])
    directory = read(provider(slapd, branch=branch))
    assert len(directory.problems) == MAX_NOTES + 1
    assert (
        f"lists {ghosts[0]}, neither a user nor a group read" in (directory.problems[0])
    )
    assert directory.problems[-1] == (
        "and 5 more members that are neither a user nor a group read"
    )


def test_a_wrong_password_is_a_source_error_that_never_holds_it(slapd):
    password = "correct-horse-battery-WRONG"
    with pytest.raises(SourceError) as raised:
        read(provider(slapd, password=password))
    message = str(raised.value)
    assert "invalidCredentials" in message
    assert "cn=reader,dc=example,dc=org" in message
    # Nor does what a log would show: the whole traceback, causes included.
    assert password not in "".join(traceback.format_exception(raised.value))


def test_bad_base_dns_filters_and_settings_are_clear_source_errors(slapd):
    found = provider(slapd, users_base_dn="ou=nobody,dc=example,dc=org")
    with pytest.raises(SourceError, match="users base DN 'ou=nobody,"):
        read(found)
    found.settings = slapd.settings(groups_filter="(objectClass=groupOfNames")
    with pytest.raises(SourceError, match="groups_filter is not a valid LDAP"):
        read(found)
    found.settings = slapd.settings(users_filter="(uid=nobody-at-all)")
    with pytest.raises(SourceError, match="users search found nobody"):
        read(found)
    for raw, message in [
        ({}, "users_base_dn is required"),
        ({"users_base_dn": "o=x", "groups_base_dn": "o=x", "user_filter": ""},
         "unknown key 'user_filter'"),
        ({"users_base_dn": "o=x", "groups_base_dn": "o=x", "timeout": "9"},
         "timeout must be a number"),
        ({"users_base_dn": "o=x", "groups_base_dn": "o=x",
          "user_attributes": {"name": "uid)(x"}}, "not an attribute name"),
        ({"users_base_dn": "o=x", "groups_base_dn": "o=x",
          "group_attributes": {"nmae": "cn"}}, "has no field 'nmae'"),
        ({"users_base_dn": "o=x", "groups_base_dn": "o=x",
          "ca_certificates": "not PEM"}, "ca_certificates must be PEM"),
    ]:  # fmt: skip
        with pytest.raises(SourceError, match=message):
            parse_settings(raw)


def test_an_unreachable_server_is_a_source_error_quickly(slapd):
    closed = free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(SourceError, match="cannot connect to 127.0.0.1"):
        read(provider(slapd, scope=f"ldap://127.0.0.1:{closed}"))
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_is_a_source_error_after_the_timeout(slapd):
    # Connections are accepted (the backlog) but no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(SourceError, match="did not answer within 1 s"):
            read(provider(slapd, scope=f"ldap://127.0.0.1:{port}", timeout=1))
        assert time.monotonic() - started < 5


def test_hostile_attribute_values_are_bounded_storable_text(slapd):
    branch = slapd.branch()
    raw = b"\xff\xfe caf\xc3\xa9 \x00 \x1b[31m" + b"x" * 100_000
    holder = {"objectClass": ["inetOrgPerson", "greenroomRawHolder"]}
    slapd.add(
        [
            user("alice", branch.people, **holder, greenroomRaw=[raw, b"second"]),
            user("bob", branch.people, **holder, greenroomRaw=[b"bob\x00admin"]),
            group(
                "team",
                [user_dn("alice", branch.people)],
                branch.groups,
                description=["é" * 100_000],
            ),
        ]
    )
    raw_fields = {"display_name": "greenroomRaw", "email": "greenroomRaw",
                  "picture": "greenroomRaw"}  # fmt: skip
    found = provider(slapd, branch=branch, user_attributes=raw_fields)
    directory = read(found)
    people = {p.name: p for p in directory.people}
    alice = people["alice"]
    assert alice.display_name.startswith("\ufffd\ufffd café [31mxxx")
    assert len(alice.display_name) == MAX_TEXT
    assert alice.display_name.endswith("…")
    assert alice.picture == ""  # not an http(s) URL
    assert people["bob"].display_name == "bob admin"
    team = directory.teams[0]
    assert len(team.description) == MAX_DESCRIPTION
    for person in directory.people:
        for value in (person.name, person.display_name, person.email,
                      *person.annotations.values()):  # fmt: skip
            assert not has_unstorable(value)

    # A name from such an attribute stays invalid (U+FFFD where the NUL was),
    # never someone else's name, and the catalog refuses that entity alone.
    found.settings = slapd.settings(
        branch=branch, user_attributes={"name": "greenroomRaw"}
    )
    directory = read(found)
    names = sorted(p.name for p in directory.people)
    assert names[0] == "bob\ufffdadmin"
    assert len(names[1]) == MAX_NAME
    assert names[1].endswith("…")
    stats = apply_provided(
        found.location,
        documents(directory),
        version=directory.fingerprint(),
        removal_reason="left",
    )
    assert stats.errors == 2  # both people refused; the team is catalogued
    assert Entity.objects.filter(kind="Group", name="team").exists()
    assert not Entity.objects.filter(kind="User").exists()


@pytest.fixture(scope="module")
def tls_slapd() -> Iterator[Slapd]:
    server = Slapd(organisation(users=3), tls=True)
    yield server
    server.stop()


def test_tls_checks_the_certificate_and_the_name_it_was_issued_to(tls_slapd):
    found = provider(tls_slapd, start_tls=True, ca_certificates=tls_slapd.certificate)
    assert len(read(found).people) == 3
    found.scope = f"ldaps://127.0.0.1:{tls_slapd.tls_port}"
    found.settings = tls_slapd.settings(ca_certificates=tls_slapd.certificate)
    assert len(read(found).people) == 3
    found.settings["start_tls"] = True  # meaningless on ldaps://, and harmless
    assert len(read(found).people) == 3
    # The system's authorities do not know this certificate.
    found.settings = tls_slapd.settings()
    with pytest.raises(SourceError, match="TLS with 127.0.0.1"):
        read(found)
    # Issued to 127.0.0.1 only: the right server under another name is refused.
    found.scope = f"ldap://localhost:{tls_slapd.port}"
    found.settings = tls_slapd.settings(
        start_tls=True, ca_certificates=tls_slapd.certificate
    )
    with pytest.raises(SourceError, match="certificate is not issued to that name"):
        read(found)


def test_ranged_members_from_active_directory_are_kept_and_noted():
    # Active Directory's answer for a group of more members than it sends at once.
    settings = parse_settings({"users_base_dn": "o=x", "groups_base_dn": "o=x"})
    users = [
        found_entry(f"uid={name},o=x".encode(), {"uid": [name.encode()]})
        for name in ("ann", "ben")
    ]
    big = {
        "cn": [b"big"],
        "member": [b"uid=ann,o=x"],
        "Member;range=0-1499": [b"uid=ben,o=x"],
    }
    groups = [found_entry(b"cn=big,o=x", big)]
    directory = assemble(users, groups, settings)
    assert teams_of(directory) == {"big": ("", ["ann", "ben"])}
    assert directory.problems == [
        "group cn=big,o=x has more members than the server sends at once (ranged "
        "retrieval): only the first are read"
    ]


# Property: whatever a server sends, conversion gives bounded, storable values.

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "\ud800", "x" * 5000, "uid=a,ou=people,dc=x", " ",
                     "cn=#04", "cn=a\\", "=", ",", "https://x/p.png"]),
)  # fmt: skip
hostile_value = st.one_of(
    st.binary(max_size=40), hostile_text, st.none(), st.integers(),
    st.just(b"\xff" * 3000), st.just(bytes(range(16))),
)  # fmt: skip
attribute_names = st.sampled_from(
    ["uid", "cn", "mail", "member", "description", "entryUUID", "UID",
     "member;range=0-1", "x"]
) | st.text(max_size=5)  # fmt: skip
attributes = st.one_of(
    st.dictionaries(
        attribute_names,
        hostile_value | st.lists(hostile_value, max_size=3),
        max_size=6,
    ),
    hostile_value,
)
entries = st.builds(found_entry, hostile_value, attributes)
mappings = st.fixed_dictionaries(
    {key: st.sampled_from(["", "uid", "cn", "member", "x", "UID", "mail"])
     for key in GROUP_ATTRIBUTES}
)  # fmt: skip


def _storable(value: str, bound: int) -> bool:
    return not has_unstorable(value) and len(value) <= bound


@hsettings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(entry=entries, user_map=mappings, group_map=mappings)
def test_any_entry_converts_to_bounded_storable_values(entry, user_map, group_map):
    person = person_of(entry, {**USER_ATTRIBUTES, **user_map})
    team = team_of(entry, group_map, "team")
    for found in (person, team):
        if found is None:
            continue
        assert _storable(found.name, MAX_NAME)
        assert found.name.strip()
        assert _storable(found.display_name, MAX_TEXT)
        assert _storable(found.email, MAX_TEXT)
        assert found.picture == "" or found.picture.startswith(("http://", "https://"))
        assert all(_storable(v, 2048) for v in found.annotations.values())
    if team is not None:
        assert _storable(team.description, MAX_DESCRIPTION)
        assert team.type
        assert _storable(team.type, MAX_TEXT)


@hsettings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    users=st.lists(entries, max_size=5),
    groups=st.lists(entries, max_size=5),
    group_map=mappings,
)
def test_any_entries_assemble_into_a_directory(users, groups, group_map):
    settings = parse_settings(
        {"users_base_dn": "o=x", "groups_base_dn": "o=x",
         "group_attributes": {k: v for k, v in group_map.items() if k != "name"}}
    )  # fmt: skip
    directory = assemble(users, groups, settings)
    names = {t.name for t in directory.teams}
    for team in directory.teams:
        assert team.parent == "" or team.parent in names
    assert all(_storable(note, 1000) for note in directory.problems)
