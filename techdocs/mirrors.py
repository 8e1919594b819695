"""Docs kept in another repository (`url:` elsewhere): a bare mirror of each.

The mirrors are the catalog's (catalog/ingest/mirrors.py), shared with the
placeholders that read files of other repositories: one mirror per repository
URL, whoever names it.
"""

from __future__ import annotations

from pathlib import Path

from catalog.ingest import mirrors
from techdocs.source import DocsSource


def update(source: DocsSource) -> tuple[Path, str]:
    """The docs repository's branch fetched into its mirror: (mirror, commit).

    Raises UrlRefused for a URL the policy refuses and GitError when the
    repository or branch cannot be read."""
    return mirrors.update(source.repository, source.branch)
