"""Field-format rules of Backstage's default validators, as regular expressions."""

from __future__ import annotations

import re

NAME_MAX = 63
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_NAMESPACE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")
_KIND = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*$")
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_API_SUFFIX = re.compile(r"^[a-zA-Z0-9]{1,63}$")
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*$")
RELATION_TYPE = re.compile(r"^\w+$")
# What PostgreSQL cannot store in text or jsonb: NUL, and lone surrogates (halves
# of UTF-16 pairs, from JSON escapes: they have no UTF-8 form). Python strings never
# hold valid pairs, so every surrogate here is a lone one.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_valid_name(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) <= NAME_MAX and bool(_NAME.match(value))
    )


def is_valid_namespace(value: object) -> bool:
    return (
        isinstance(value, str)
        and 1 <= len(value) <= NAME_MAX
        and bool(_NAMESPACE.match(value))
    )


def is_valid_kind(value: object) -> bool:
    return (
        isinstance(value, str)
        and 1 <= len(value) <= NAME_MAX
        and bool(_KIND.match(value))
    )


def is_valid_tag(value: object) -> bool:
    return (
        isinstance(value, str)
        and 1 <= len(value) <= NAME_MAX
        and bool(_TAG.match(value))
    )


def is_dns_subdomain(value: str) -> bool:
    if not 1 <= len(value) <= 253:
        return False
    return all(
        _DNS_LABEL.match(label) and len(label) <= 63 for label in value.split(".")
    )


def is_valid_api_version(value: object) -> bool:
    if not isinstance(value, str):
        return False
    prefix, slash, suffix = value.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return False
    return bool(_API_SUFFIX.match(suffix))


def is_valid_key(value: object) -> bool:
    """Label and annotation keys: an optional DNS-subdomain prefix and a name."""
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.partition("/")
    if not slash:
        return is_valid_name(value)
    return is_dns_subdomain(prefix) and is_valid_name(name)


def is_valid_label_value(value: object) -> bool:
    return value == "" or is_valid_name(value)


SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
_FORBIDDEN_HOST = frozenset(" #%/:<>?@[\\]^|\t\n\r")
_URL_TRIM = "".join(chr(c) for c in range(0x21))


def is_valid_url(value: object) -> bool:
    """What `new URL(value)` (WHATWG) accepts, as Backstage's link check uses it.

    Surrounding spaces and controls are trimmed; special schemes (http, https,
    ws, wss, ftp) need a host without forbidden characters and a valid port.
    """
    if not isinstance(value, str):
        return False
    text = value.strip(_URL_TRIM).replace("\t", "").replace("\n", "").replace("\r", "")
    scheme, colon, rest = text.partition(":")
    if not colon or not _URL_SCHEME.match(scheme):
        return False
    if scheme.lower() not in SPECIAL_SCHEMES:
        return True
    authority = rest.lstrip("/\\")
    for end in "/?#\\":
        authority = authority.split(end, 1)[0]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        host, bracket, port = hostport.partition("]")
        port = port.removeprefix(":") if bracket else "x"
    else:
        host, _, port = hostport.partition(":")
        if not host or any(ch in _FORBIDDEN_HOST for ch in host):
            return False
    return port == "" or (port.isdigit() and int(port) <= 65535)
