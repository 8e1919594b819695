"""Each kind of organisation provider's reader: `read(provider) -> Directory`.

A reader raises `SourceError` with a message safe to show on the provider's page
(never a credential) when it cannot read the whole directory: a partial read is
never applied, since everyone missing from it would be removed as a leaver.
"""

from __future__ import annotations


class SourceError(Exception):
    """The directory could not be read; the message says why, safe to show."""
