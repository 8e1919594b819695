"""Reading people and teams from an LDAP directory: OpenLDAP, Active Directory, any.

The provider's `scope` is the server's URL (`ldap://host:389`, `ldaps://host:636`)
and its secret the bind password. Its `settings` (every key optional but the two
base DNs; defaults suit OpenLDAP's inetOrgPerson users and groupOfNames groups):

    bind_dn          who to bind as; "" binds anonymously                    ""
    users_base_dn    where users are (searched with subtree scope)           required
    users_filter     which entries there are users      "(objectClass=inetOrgPerson)"
    groups_base_dn   where groups are                                         required
    groups_filter    which entries there are groups       "(objectClass=groupOfNames)"
    user_attributes  {field: attribute} over the defaults: name "uid",
                     display_name "cn", email "mail", picture (none: a value is
                     used only if it is an http(s) URL), rdn "uid", uuid
                     "entryUUID"; "" or null leaves a field out
    group_attributes name "cn", display_name "cn", description "description",
                     email (none), picture (none), members "member" (the
                     members' DNs), type (none: every group is `group_type`),
                     rdn "cn", uuid "entryUUID"
    group_type       a group's type when no attribute gives one               "team"
    start_tls        upgrade an ldap:// connection with StartTLS              false
    ca_certificates  PEM certificates to trust for TLS instead of the system's ""
    timeout          seconds to connect, and to wait for each answer          30
    page_size        entries per page of a search (RFC 2696 paged results): at
                     most the server's size limit                            500

Active Directory, for example:

    {"bind_dn": "CN=greenroom,OU=Service Accounts,DC=corp,DC=example,DC=com",
     "users_base_dn": "OU=Staff,DC=corp,DC=example,DC=com",
     "users_filter": "(&(objectCategory=person)(objectClass=user)"
                     "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
     "groups_base_dn": "OU=Groups,DC=corp,DC=example,DC=com",
     "groups_filter": "(objectClass=group)",
     "user_attributes": {"name": "sAMAccountName", "display_name": "displayName",
                         "rdn": "cn", "uuid": "objectGUID"},
     "group_attributes": {"uuid": "objectGUID"},
     "page_size": 1000}

(objectGUID's sixteen bytes become the usual text form; AD's MaxPageSize is 1000.)

Every search is paged, so a directory larger than the server's size limit is read
whole; a server that cuts an answer anyway is an error, never a partial read
(everyone missing from one would be removed as a leaver). OpenLDAP's `sizelimit`
bounds a paged search's total too, unless the bind DN's `limits` lift it:
`limits dn.exact="<bind_dn>" size.prtotal=unlimited` (slapd.conf; olcLimits in
cn=config).

Groups nest by membership, as in both schemas: a group listed in another's members
is a sub-team of it (`Team.parent`). One listed by two groups keeps the first by
DN and the other is noted; a cycle is broken and noted; a member DN that is
neither a user nor a group read is noted (the first few, then a count). Users are
`Team.members` by their mapped names.

Attribute values come from the network and are untrusted: the first of a
multi-valued attribute is used, bytes are decoded as UTF-8 with replacement,
control characters are replaced, and every field has a bounded length. A name is
never rewritten into another valid one: one with odd characters or cut for length
stays invalid, and validation refuses that entity with an error on the provider.
Errors are `SourceError`s whose messages never hold the password.

Backstage's own annotations are written on each entity: `backstage.io/ldap-dn`,
`backstage.io/ldap-rdn` and `backstage.io/ldap-uuid`.
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
import ssl
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ldap3
from django.views.decorators.debug import sensitive_variables
from ldap3.core.exceptions import LDAPException, LDAPInvalidFilterError
from ldap3.utils.dn import parse_dn

from catalog.storable import storable_text
from people.directory import Directory, Person, Team
from people.models import OrgProvider
from people.providers import secret_of
from people.sources import SourceError

DN_ANNOTATION = "backstage.io/ldap-dn"
RDN_ANNOTATION = "backstage.io/ldap-rdn"
UUID_ANNOTATION = "backstage.io/ldap-uuid"

USER_ATTRIBUTES: dict[str, str] = {
    "name": "uid",
    "display_name": "cn",
    "email": "mail",
    "picture": "",
    "rdn": "uid",
    "uuid": "entryUUID",
}
GROUP_ATTRIBUTES: dict[str, str] = {
    "name": "cn",
    "display_name": "cn",
    "description": "description",
    "email": "",
    "picture": "",
    "members": "member",
    "type": "",
    "rdn": "cn",
    "uuid": "entryUUID",
}
DEFAULTS: dict[str, Any] = {
    "bind_dn": "",
    "users_filter": "(objectClass=inetOrgPerson)",
    "groups_filter": "(objectClass=groupOfNames)",
    "group_type": "team",
    "start_tls": False,
    "ca_certificates": "",
    "timeout": 30,
    "page_size": 500,
}
REQUIRED = ("users_base_dn", "groups_base_dn")
KEYS = {*DEFAULTS, *REQUIRED, "user_attributes", "group_attributes"}

PAGED_RESULTS = "1.2.840.113556.1.4.319"  # RFC 2696's control
# Bounds on what one read takes from a server, however large or hostile it is.
MAX_ENTRIES = 500_000  # per search
MAX_PAGES = 100_000
MAX_NAME = 256  # entity names are at most 63 characters: longer is invalid anyway
MAX_TEXT = 256  # display names, emails, types, RDNs
MAX_DESCRIPTION = 2000
MAX_URL = 2048
MAX_DN = 2048
MAX_UUID = 100
MAX_NOTES = 20  # of each kind; then how many more
MAX_MESSAGE = 300  # of a server's diagnostic message quoted in an error
ELLIPSIS = "…"
REPLACEMENT = "\ufffd"

ATTRIBUTE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*"
)
CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)


@dataclass(frozen=True)
class LdapSettings:
    bind_dn: str
    users_base_dn: str
    users_filter: str
    groups_base_dn: str
    groups_filter: str
    user_attributes: Mapping[str, str]
    group_attributes: Mapping[str, str]
    group_type: str
    start_tls: bool
    ca_certificates: str
    timeout: int  # whole seconds: ldap3 packs it into a socket option
    page_size: int


@dataclass(frozen=True)
class Found:
    """One entry as the server gave it: its DN as text, and each attribute's raw
    values under its lower-cased name (LDAP attribute names ignore case)."""

    dn: str
    attributes: Mapping[str, list[object]] = field(default_factory=dict)


@sensitive_variables("password")
def read(provider: OrgProvider) -> Directory:
    """The whole directory the provider names, or a SourceError saying why not."""
    settings = parse_settings(provider.settings)
    password = secret_of(provider)
    server = _server(provider.scope, settings)
    where = f"{server.host}:{server.port}"
    connection = ldap3.Connection(
        server,
        user=settings.bind_dn or None,
        password=password or None,
        receive_timeout=settings.timeout,
        auto_referrals=False,
        read_only=True,
        raise_exceptions=False,
        return_empty_attributes=False,
    )
    try:
        _open(connection, settings, where, password)
        users = _search(
            connection,
            settings.users_base_dn,
            settings.users_filter,
            _requested(settings.user_attributes),
            settings,
            "users",
            password,
        )
        groups = _search(
            connection,
            settings.groups_base_dn,
            settings.groups_filter,
            _requested(settings.group_attributes),
            settings,
            "groups",
            password,
        )
    except LDAPException as error:
        raise SourceError(_failure(error, where, settings, password)) from None
    finally:
        # A closed or broken connection has nothing left to release.
        with contextlib.suppress(LDAPException):
            connection.unbind()
    if not users:
        # A filter that matches nobody, or a bind DN that may read nothing: never
        # an organisation that has just lost everyone.
        raise SourceError(
            "the users search found nobody: check users_base_dn, users_filter and "
            "what the bind DN may read"
        )
    return assemble(users, groups, settings)


# Settings and the server.


def parse_settings(raw: object) -> LdapSettings:
    """The provider's settings checked, with defaults; SourceError on a bad one."""
    if not isinstance(raw, Mapping):
        raise SourceError("settings: expected an object of LDAP settings")
    unknown = sorted(str(key) for key in raw if key not in KEYS)
    if unknown:
        raise SourceError(f"settings: unknown key {unknown[0]!r}")
    values = {**DEFAULTS, **raw}
    for key in REQUIRED:
        if not isinstance(values.get(key), str) or not values[key].strip():
            raise SourceError(f"settings: {key} is required (a DN)")
    for key in (
        "bind_dn",
        "users_base_dn",
        "users_filter",
        "groups_base_dn",
        "groups_filter",
        "group_type",
        "ca_certificates",
    ):
        if not isinstance(values[key], str):
            raise SourceError(f"settings: {key} must be a string")
    if not isinstance(values["start_tls"], bool):
        raise SourceError("settings: start_tls must be true or false")
    timeout = values["timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise SourceError("settings: timeout must be a number of seconds")
    if not 1 <= timeout <= 600:
        raise SourceError("settings: timeout must be 1 to 600 seconds")
    page_size = values["page_size"]
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise SourceError("settings: page_size must be a whole number")
    if not 1 <= page_size <= 10_000:
        raise SourceError("settings: page_size must be 1 to 10000")
    if values["ca_certificates"].strip():
        try:
            ssl.create_default_context(cadata=values["ca_certificates"].strip())
        except (ssl.SSLError, ValueError):
            raise SourceError(
                "settings: ca_certificates must be PEM certificates"
            ) from None
    group_type = values["group_type"].strip()
    if not group_type or len(group_type) > 63:
        raise SourceError("settings: group_type must be 1 to 63 characters")
    return LdapSettings(
        bind_dn=values["bind_dn"].strip(),
        users_base_dn=values["users_base_dn"].strip(),
        users_filter=values["users_filter"].strip() or DEFAULTS["users_filter"],
        groups_base_dn=values["groups_base_dn"].strip(),
        groups_filter=values["groups_filter"].strip() or DEFAULTS["groups_filter"],
        user_attributes=_attribute_map(
            "user_attributes", values.get("user_attributes"), USER_ATTRIBUTES
        ),
        group_attributes=_attribute_map(
            "group_attributes", values.get("group_attributes"), GROUP_ATTRIBUTES
        ),
        group_type=group_type,
        start_tls=values["start_tls"],
        ca_certificates=values["ca_certificates"].strip(),
        timeout=math.ceil(timeout),
        page_size=page_size,
    )


def _attribute_map(
    key: str, raw: object, defaults: Mapping[str, str]
) -> dict[str, str]:
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, Mapping):
        raise SourceError(f"settings: {key} must be an object of field: attribute")
    mapping = dict(defaults)
    for name, attribute in raw.items():
        if name not in defaults:
            fields = ", ".join(defaults)
            raise SourceError(f"settings: {key} has no field {name!r} ({fields})")
        if attribute is None or attribute == "":
            mapping[name] = ""
        elif isinstance(attribute, str) and ATTRIBUTE.fullmatch(attribute):
            mapping[name] = attribute
        else:
            raise SourceError(f"settings: {key}.{name} is not an attribute name")
    if not mapping["name"]:
        raise SourceError(f"settings: {key}.name is required")
    return mapping


def _server(scope: str, settings: LdapSettings) -> ldap3.Server:
    url = urlsplit(scope.strip())
    try:
        port = url.port
    except ValueError:
        raise SourceError("the server URL has an invalid port") from None
    if url.scheme not in ("ldap", "ldaps") or not url.hostname:
        raise SourceError("the server URL must be ldap://host[:port] or ldaps://…")
    if url.username or url.password:
        raise SourceError("the server URL must not hold credentials")
    if url.path not in ("", "/") or url.query or url.fragment:
        raise SourceError("the server URL names only a host and a port")
    tls = None
    if url.scheme == "ldaps" or settings.start_tls:
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_data=settings.ca_certificates or None,
        )
    return ldap3.Server(
        url.hostname,
        port=port or (636 if url.scheme == "ldaps" else 389),
        use_ssl=url.scheme == "ldaps",
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=settings.timeout,
    )


def _open(
    connection: ldap3.Connection, settings: LdapSettings, where: str, password: str
) -> None:
    connection.open()
    # StartTLS upgrades plain ldap://; an ldaps:// connection is TLS already.
    if settings.start_tls and not connection.server.ssl and not connection.start_tls():
        raise SourceError(
            f"StartTLS with {where} failed: " + _result(connection.result, password)
        )
    if not connection.bind():
        who = f"as {settings.bind_dn!r}" if settings.bind_dn else "anonymously"
        raise SourceError(
            f"{where} refused to bind {who}: " + _result(connection.result, password)
        )


def _requested(mapping: Mapping[str, str]) -> list[str]:
    return sorted({attribute for attribute in mapping.values() if attribute})


def _search(
    connection: ldap3.Connection,
    base: str,
    search_filter: str,
    attributes: list[str],
    settings: LdapSettings,
    what: str,
    password: str,
) -> list[Found]:
    """Every entry of a paged search, or SourceError: never part of them."""
    found: list[Found] = []
    cookie: bytes | None = None
    for _ in range(MAX_PAGES):
        try:
            connection.search(
                base,
                search_filter,
                search_scope=ldap3.SUBTREE,
                dereference_aliases=ldap3.DEREF_NEVER,
                attributes=attributes,
                paged_size=settings.page_size,
                paged_cookie=cookie,
                time_limit=settings.timeout,
            )
        except LDAPInvalidFilterError:
            raise SourceError(
                f"settings: {what}_filter is not a valid LDAP filter"
            ) from None
        result = connection.result or {}
        code = result.get("result")
        if code == 32:  # noSuchObject
            raise SourceError(f"the {what} base DN {base!r} does not exist")
        if code == 4:  # sizeLimitExceeded
            raise SourceError(
                f"the server cut the {what} search at its size limit, paged as it "
                "was: lift that limit for the bind DN's paged searches (OpenLDAP: "
                "size.prtotal=unlimited in its limits)"
            )
        if code != 0:
            raise SourceError(f"the {what} search failed: " + _result(result, password))
        for item in connection.response or []:
            if not isinstance(item, dict) or item.get("type") != "searchResEntry":
                continue  # continuation references: not followed
            found.append(found_entry(item.get("raw_dn"), item.get("raw_attributes")))
            if len(found) > MAX_ENTRIES:
                raise SourceError(
                    f"the {what} search found more than {MAX_ENTRIES} entries: "
                    "narrow its base DN or filter"
                )
        cookie = _cookie(result)
        if not cookie:
            return found
    raise SourceError(f"the {what} search did not end after {MAX_PAGES} pages")


def _cookie(result: Mapping[str, Any]) -> bytes | None:
    controls = result.get("controls")
    control = controls.get(PAGED_RESULTS) if isinstance(controls, dict) else None
    value = control.get("value") if isinstance(control, dict) else None
    cookie = value.get("cookie") if isinstance(value, dict) else None
    return cookie if isinstance(cookie, bytes) and cookie else None


def _result(result: Mapping[str, Any] | None, password: str) -> str:
    """An LDAP result as text: its name and the server's own message, which is
    untrusted (bounded, made storable, never echoing the password)."""
    result = result or {}
    text = str(result.get("description") or f"result {result.get('result')}")
    message = result.get("message")
    if isinstance(message, str) and message.strip():
        text += f" ({message.strip()})"
    return _scrub(text, password)


def _scrub(text: str, password: str) -> str:
    if password:
        text = text.replace(password, "[password]")
    return storable_text(text, MAX_MESSAGE)


def _failure(
    error: LDAPException, where: str, settings: LdapSettings, password: str
) -> str:
    name = type(error).__name__
    reasons = "; ".join(dict.fromkeys(_reasons(error)))
    lowered = reasons.lower()
    detail = _scrub(reasons, password)
    tls = name in ("LDAPStartTLSError", "LDAPSSLConfigurationError",
                   "LDAPCertificateError")  # fmt: skip
    if "doesn't match any name" in lowered:
        return f"TLS with {where} failed: its certificate is not issued to that name"
    if tls or "ssl" in lowered or "certificate" in lowered:
        return f"TLS with {where} failed: {detail}"
    if name in ("LDAPSocketOpenError", "LDAPSessionTerminatedByServerError"):
        return f"cannot connect to {where}: {detail}"
    if name == "LDAPSocketReceiveError" and "timed out" in lowered:
        return f"{where} did not answer within {settings.timeout} s"
    return f"reading {where} failed: {name}: {detail}"


def _reasons(value: object, depth: int = 0) -> list[str]:
    """ldap3 nests the reasons it tried each address in tuples, and their text
    reprs in strings: the plain messages, once each."""
    if isinstance(value, BaseException):
        value = value.args if len(value.args) != 1 else value.args[0]
    if isinstance(value, tuple | list) and depth < 5:
        return [text for item in value for text in _reasons(item, depth + 1)]
    text = str(value)[:2000]
    if text.startswith(("(", "[")) and depth < 5:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return [text]
        if isinstance(parsed, tuple | list):
            return _reasons(parsed, depth + 1)
    return [text]


# Entries to people and teams: pure functions of what the server sent.


def found_entry(dn: object, attributes: object) -> Found:
    """An entry from raw search results, whatever their shape."""
    values: dict[str, list[object]] = {}
    if isinstance(attributes, Mapping):
        for name, raw in attributes.items():
            if not isinstance(name, str):
                continue
            listed = list(raw) if isinstance(raw, list | tuple) else [raw]
            values.setdefault(name.lower(), []).extend(listed)
    return Found(_text(dn, MAX_DN, name=True), values)


def _first(entry: Found, attribute: str) -> object:
    if not attribute:
        return None
    values = entry.attributes.get(attribute.lower())
    return values[0] if values else None


def _decode(value: object, limit: int) -> str:
    if isinstance(value, bytes | bytearray):
        # Four bytes a character at most: decode no more than could be kept.
        return bytes(value[: limit * 4 + 4]).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value[: limit + 1]
    return ""


def _text(value: object, limit: int, *, name: bool = False) -> str:
    """A value as bounded, storable text. Control characters in a name become
    U+FFFD (so it stays invalid, never another person's name), in other text a
    space; a name cut for length ends in an ellipsis, invalid too."""
    text = _decode(value, limit)
    text = CONTROL.sub(REPLACEMENT if name else " ", text)
    if not name:
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    return text


def _picture(value: object) -> str:
    text = _text(value, MAX_URL)
    return text if URL.fullmatch(text) and len(text) < MAX_URL else ""


def _uuid(value: object) -> str:
    """entryUUID is text; Active Directory's objectGUID sixteen raw bytes."""
    if isinstance(value, bytes | bytearray) and len(value) == 16:
        try:
            text = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return str(uuid.UUID(bytes_le=bytes(value)))
        if not text.isprintable():
            return str(uuid.UUID(bytes_le=bytes(value)))
    return _text(value, MAX_UUID)


def _annotations(entry: Found, mapping: Mapping[str, str]) -> dict[str, str]:
    annotations = {DN_ANNOTATION: entry.dn}
    if rdn := _text(_first(entry, mapping.get("rdn", "")), MAX_TEXT):
        annotations[RDN_ANNOTATION] = rdn
    if entry_uuid := _uuid(_first(entry, mapping.get("uuid", ""))):
        annotations[UUID_ANNOTATION] = entry_uuid
    return annotations


def person_of(entry: Found, mapping: Mapping[str, str]) -> Person | None:
    """The person an entry describes; None if it has no name."""
    name = _text(_first(entry, mapping.get("name", "")), MAX_NAME, name=True)
    if not name.strip():
        return None
    return Person(
        name=name,
        display_name=_text(_first(entry, mapping.get("display_name", "")), MAX_TEXT),
        email=_text(_first(entry, mapping.get("email", "")), MAX_TEXT),
        picture=_picture(_first(entry, mapping.get("picture", ""))),
        annotations=_annotations(entry, mapping),
    )


def team_of(entry: Found, mapping: Mapping[str, str], group_type: str) -> Team | None:
    """The team an entry describes (members and parent are `assemble`'s); None if
    it has no name."""
    name = _text(_first(entry, mapping.get("name", "")), MAX_NAME, name=True)
    if not name.strip():
        return None
    return Team(
        name=name,
        display_name=_text(_first(entry, mapping.get("display_name", "")), MAX_TEXT),
        description=_text(
            _first(entry, mapping.get("description", "")), MAX_DESCRIPTION
        ),
        email=_text(_first(entry, mapping.get("email", "")), MAX_TEXT),
        picture=_picture(_first(entry, mapping.get("picture", ""))),
        type=_text(_first(entry, mapping.get("type", "")), MAX_TEXT) or group_type,
        annotations=_annotations(entry, mapping),
    )


def dn_key(dn: str) -> str:
    """A DN compared as LDAP compares the usual naming attributes (uid, cn, ou,
    dc: case-insensitive), whatever its spacing, case and escaping."""
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except (LDAPException, ValueError, TypeError, IndexError, KeyError):
        return dn.strip().lower()
    return "".join(
        f"{kind.strip().lower()}={_unescape(value).lower()}{separator}"
        for kind, value, separator in parts
    )


HEX_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2})|\\(.)", re.DOTALL)


def _unescape(value: str) -> str:
    """`\\2C` and `\\,` alike become `,` (RFC 4514's two escapes)."""
    raw = bytearray()
    position = 0
    for match in HEX_ESCAPE.finditer(value):
        raw += value[position : match.start()].encode("utf-8", "surrogatepass")
        if match.group(1):
            raw.append(int(match.group(1), 16))
        else:
            raw += match.group(2).encode("utf-8", "surrogatepass")
        position = match.end()
    raw += value[position:].encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", errors="replace").strip()


class _Notes:
    """The source's notes, at most MAX_NOTES of each kind, then how many more."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.counts: dict[str, int] = {}
        self.more: dict[str, str] = {}

    def add(self, kind: str, text: str, more: str) -> None:
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        self.more[kind] = more
        if count <= MAX_NOTES:
            self.kept.append(storable_text(text, 1000))

    def all(self) -> list[str]:
        extra = [
            f"and {count - MAX_NOTES} more {self.more[kind]}"
            for kind, count in self.counts.items()
            if count > MAX_NOTES
        ]
        return self.kept + extra


def assemble(
    users: Iterable[Found], groups: Iterable[Found], settings: LdapSettings
) -> Directory:
    """People and teams from the entries, groups nested through their members."""
    notes = _Notes()
    people: dict[str, Person] = {}  # by DN key
    names: dict[str, str] = {}  # a name taken: by whose DN
    for entry in sorted(users, key=lambda found: dn_key(found.dn)):
        key = dn_key(entry.dn)
        if key in people:
            continue  # the same entry twice (overlapping pages)
        person = person_of(entry, settings.user_attributes)
        if person is None:
            notes.add(
                "unnamed",
                f"user {entry.dn} has no name attribute "
                f"({settings.user_attributes['name']}): left out",
                "users without a name",
            )
        elif person.name in names:
            notes.add(
                "user twice",
                f"users {names[person.name]} and {entry.dn} "
                f"are both named {person.name!r}: kept the first",
                "users sharing a name",
            )
        else:
            names[person.name] = entry.dn
            people[key] = person

    teams: dict[str, Team] = {}
    entries: dict[str, Found] = {}
    team_names: dict[str, str] = {}
    for entry in sorted(groups, key=lambda found: dn_key(found.dn)):
        key = dn_key(entry.dn)
        if key in teams:
            continue
        team = team_of(entry, settings.group_attributes, settings.group_type)
        if team is None:
            notes.add(
                "unnamed group",
                f"group {entry.dn} has no name attribute "
                f"({settings.group_attributes['name']}): left out",
                "groups without a name",
            )
        elif team.name in team_names:
            notes.add(
                "group twice",
                f"groups {team_names[team.name]} and "
                f"{entry.dn} are both named {team.name!r}: kept the first",
                "groups sharing a name",
            )
        else:
            team_names[team.name] = entry.dn
            teams[key] = team
            entries[key] = entry

    members_attribute = settings.group_attributes.get("members", "")
    parents: dict[str, list[str]] = {}  # a team's key: its parents' keys
    for key, team in teams.items():
        seen: set[str] = set()
        for value in _members(entries[key], members_attribute, notes):
            member = _text(value, MAX_DN, name=True)
            member_key = dn_key(member)
            if not member.strip() or member_key == key or member_key in seen:
                continue
            seen.add(member_key)
            known = False
            if member_key in teams:
                parents.setdefault(member_key, []).append(key)
                known = True
            if member_key in people:
                team.members.append(people[member_key].name)
                known = True
            if not known:
                notes.add(
                    "unknown member",
                    f"group {team.name!r} lists {member}, "
                    "neither a user nor a group read",
                    "members that are neither a user nor a group read",
                )

    for child, found in parents.items():
        found.sort()
        teams[child].parent = teams[found[0]].name
        if len(found) > 1:
            others = ", ".join(repr(teams[other].name) for other in found[1:])
            notes.add(
                "two parents",
                f"group {teams[child].name!r} is a member of "
                f"{teams[found[0]].name!r} and of {others}: its parent is "
                f"{teams[found[0]].name!r}",
                "groups with two parents",
            )
    _break_cycles(teams, parents, notes)
    return Directory(
        people=list(people.values()),
        teams=list(teams.values()),
        problems=notes.all(),
    )


def _members(entry: Found, attribute: str, notes: _Notes) -> list[object]:
    """The member DNs of a group. Active Directory sends a large group's members
    in ranges (`member;range=0-1499`), the rest only when asked: not asked yet,
    so such a group is noted."""
    if not attribute:
        return []
    values = list(entry.attributes.get(attribute.lower(), []))
    prefix = attribute.lower() + ";range="
    for name, more in entry.attributes.items():
        if name.startswith(prefix):
            values += more
            notes.add(
                "ranged",
                f"group {entry.dn} has more members than the "
                "server sends at once (ranged retrieval): only the first "
                "are read",
                "groups with ranged members",
            )
    return values


def _break_cycles(
    teams: dict[str, Team], parents: dict[str, list[str]], notes: _Notes
) -> None:
    """A group nested in itself through others: the first of the cycle by DN
    becomes a top-level team."""
    parent_key = {child: found[0] for child, found in parents.items()}
    done: set[str] = set()
    for start in sorted(parent_key):
        path: list[str] = []
        on_path: set[str] = set()
        key: str | None = start
        while key is not None and key not in done and key not in on_path:
            path.append(key)
            on_path.add(key)
            key = parent_key.get(key)
        if key is not None and key in on_path:
            cycle = path[path.index(key) :]
            first = min(cycle)
            names = ", ".join(repr(teams[member].name) for member in sorted(cycle))
            notes.add(
                "cycle",
                f"groups {names} are members of each other: "
                f"{teams[first].name!r} is left without a parent",
                "membership cycles",
            )
            teams[first].parent = ""
            parent_key.pop(first, None)
        done.update(path)
