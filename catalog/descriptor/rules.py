"""Field-format rules of Backstage's default validators, as regular expressions."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

NAME_MAX = 63
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_NAMESPACE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")
_KIND = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*$")
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_API_SUFFIX = re.compile(r"^[a-zA-Z0-9]{1,63}$")
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*$")
RELATION_TYPE = re.compile(r"^\w+$")


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


def is_valid_url(value: object) -> bool:
    if not isinstance(value, str) or not value or value != value.strip():
        return False
    scheme, _, rest = value.partition(":")
    if not rest or not _URL_SCHEME.match(scheme):
        return False
    try:
        urlsplit(value)
    except ValueError:
        return False
    return True
