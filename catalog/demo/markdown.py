"""Markdown text: repository READMEs and the helper the docs pages are built with."""

from __future__ import annotations

from catalog.demo.descriptors import Doc
from catalog.demo.org_data import acme


def md(*lines: str) -> bytes:
    """Join ``lines`` into a Markdown file ending with a newline."""
    return ("\n".join(lines) + "\n").encode()


def readme(title: str, description: str, comp: Doc) -> bytes:
    """README.md: what the repo is, who owns it, how to start working on it."""
    lines = [f"# {title}", "", description, ""]
    if comp.get("owner"):
        where = f", part of the `{comp['system']}` system" if comp.get("system") else ""
        lines += [f"Owned by `{comp['owner']}`{where}.", ""]
    quickstart = acme()["quickstart"]
    if comp.get("lang") in quickstart:
        lines += [
            "## Getting started",
            "",
            "```sh",
            quickstart[comp["lang"]],
            "```",
            "",
        ]
    lines += ["The catalog entry lives in `catalog-info.yaml`.", ""]
    return "\n".join(lines).encode()
