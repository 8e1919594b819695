"""Predicting the sha of the root commit a builder will create.

Everything the builders write is deterministic: fixed author, fixed dates and
a scrubbed git environment make commit shas identical from run to run, which
is what lets them skip repositories that are already up to date (the expected
commit sha is computed here and compared with the branch tip before touching
git).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from catalog.demo.git import AUTHOR_EMAIL, AUTHOR_NAME

Files = Mapping[str, bytes]


def expected_commit_sha(files: Files, message: str, timestamp: int) -> str:
    """Sha of the root commit the builders create for ``files``.

    Mirrors git's object format exactly (regular files only, one root commit,
    fixed identity); tests assert it equals what git really produced, which is
    what makes the "already up to date" short-cut trustworthy.
    """
    ident = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {timestamp} +0000"
    body = (
        f"tree {_tree_sha(files).hex()}\n"
        f"author {ident}\ncommitter {ident}\n\n{normalise_message(message)}"
    ).encode()
    return _hash_object(b"commit", body).hex()


def normalise_message(message: str) -> str:
    # `git commit -m` strips trailing whitespace and ends with one newline;
    # the fast-import path writes the same bytes so both agree.
    return message.strip() + "\n"


def _hash_object(kind: bytes, body: bytes) -> bytes:
    # Same framing git uses for loose objects; only used to predict shas.
    header = kind + b" " + str(len(body)).encode() + b"\0"
    return hashlib.sha1(header + body, usedforsecurity=False).digest()


def _tree_sha(files: Files) -> bytes:
    nested: dict[str, Any] = {}
    for relpath, content in files.items():
        *dirs, leaf = relpath.split("/")
        node = nested
        for part in dirs:
            node = node.setdefault(part, {})
        node[leaf] = content
    return _tree_node_sha(nested)


def _tree_node_sha(node: Mapping[str, Any]) -> bytes:
    entries: list[tuple[bytes, bytes]] = []
    for name, value in node.items():
        raw = name.encode()
        if isinstance(value, dict):
            # git orders a subtree as if its name ended with "/".
            entries.append(
                (raw + b"/", b"40000 " + raw + b"\0" + _tree_node_sha(value))
            )
        else:
            entries.append(
                (raw, b"100644 " + raw + b"\0" + _hash_object(b"blob", value))
            )
    entries.sort()
    return _hash_object(b"tree", b"".join(entry for _, entry in entries))
