from __future__ import annotations

from tests.web.conftest import org  # noqa: F401 - the small organisation, crawled
