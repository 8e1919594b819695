"""Field-format rules of Backstage's default validators, as regular expressions."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

NAME_MAX = 63
# Whole-string patterns, always used with `fullmatch` (through `_whole`): Backstage's
# are JavaScript `/^...$/` tests, and Python's `$` would also accept a final "\n".
_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_NAMESPACE = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_KIND = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")
_TAG = re.compile(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*")
_DNS_LABEL = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_API_SUFFIX = re.compile(r"[a-zA-Z0-9]+")
_URL_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*")
# What JavaScript's String.prototype.trim removes (WhiteSpace and LineTerminator):
# not Python's str.isspace set, which adds U+001C-U+001F and U+0085 and lacks U+FEFF.
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# What PostgreSQL cannot store in text or jsonb: NUL, and lone surrogates (halves
# of UTF-16 pairs, from JSON escapes: they have no UTF-8 form). Python strings never
# hold valid pairs, so every surrogate here is a lone one.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _whole(pattern: re.Pattern[str], value: object, max_length: int) -> bool:
    """A string of 1 to max_length characters that the pattern matches entirely."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= max_length
        and pattern.fullmatch(value) is not None
    )


def is_js_falsy(value: object) -> bool:
    """JavaScript's falsy values as they come from YAML or JSON: null, false, 0,
    NaN and "". An empty list or object is truthy there."""
    if value is None or value is False or value == "":
        return True
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and (value == 0 or value != value)


def is_non_empty_string(value: object) -> bool:
    """Backstage's isNonEmptyString: something left after JavaScript's trim()."""
    return isinstance(value, str) and bool(value.strip(JS_WHITESPACE))


def is_valid_name(value: object) -> bool:
    return _whole(_NAME, value, NAME_MAX)


def is_valid_namespace(value: object) -> bool:
    return _whole(_NAMESPACE, value, NAME_MAX)


def is_valid_kind(value: object) -> bool:
    return _whole(_KIND, value, NAME_MAX)


def is_valid_tag(value: object) -> bool:
    return _whole(_TAG, value, NAME_MAX)


def is_dns_subdomain(value: str) -> bool:
    if not 1 <= len(value) <= 253:
        return False
    return all(_whole(_DNS_LABEL, label, 63) for label in value.split("."))


def is_valid_api_version(value: object) -> bool:
    if not isinstance(value, str):
        return False
    prefix, slash, suffix = value.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return False
    return _whole(_API_SUFFIX, suffix, 63)


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
# WHATWG's forbidden domain code points: these, every C0 control and DEL.
_FORBIDDEN_DOMAIN = frozenset(" #%/:<>?@[\\]^|\x7f") | frozenset(map(chr, range(0x20)))
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
    if not colon or not _URL_SCHEME.fullmatch(scheme):
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
        if not _is_valid_domain(host):
            return False
    return port == "" or (port.isdigit() and int(port) <= 65535)


def _is_valid_domain(host: str) -> bool:
    """WHATWG's host parsing of a domain, short of IDNA's label rules: decoded
    from percent escapes as UTF-8, mapped by NFKC as UTS46 maps (so U+3000 is a
    space and U+FF0F a slash), then free of forbidden code points. Any other
    white space or control (U+0085, U+1680, U+2028...) is one UTS46 disallows."""
    mapped = unicodedata.normalize("NFKC", unquote(host, errors="replace"))
    return bool(mapped) and not any(
        ch in _FORBIDDEN_DOMAIN
        or ch == "\ufffd"
        or ch.isspace()
        or unicodedata.category(ch) == "Cc"
        for ch in mapped
    )
