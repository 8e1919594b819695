"""The shared fixtures beside the checkout (../shared/fixtures): real descriptors,
docs trees and webhook deliveries that tests read in place."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
FIXTURES = SHARED / "fixtures"


def shared_fixtures(*parts: str) -> Path:
    """A folder of ../shared/fixtures, or skip: tests never copy the fixtures."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"shared fixtures not present at {path} (they live beside the checkout)"
        )
    return path
