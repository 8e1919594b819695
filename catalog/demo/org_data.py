"""The Acme Shop table (groups, users, systems, APIs, components) from acme.yaml."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from catalog.demo.descriptors import Doc

ORG_REPO = "acme-org"
GITHUB_ORG = "acme"


@cache
def acme() -> Doc:
    """acme.yaml, parsed once; shared between callers, so treat it as read-only."""
    text = resources.files(__package__).joinpath("acme.yaml").read_text("utf-8")
    data: Doc = yaml.safe_load(text)
    # A top-level component is named after its repository (subcomponents of a
    # monorepo carry their own names).
    data["components"] = [{"name": row["repo"], **row} for row in data["components"]]
    return data


def api_provider(name: str) -> Doc:
    """The component whose ``provides`` lists API ``name``."""
    components: list[Doc] = acme()["components"]
    for comp in components:
        if name in comp.get("provides", ()):
            return comp
    raise KeyError(name)
