"""TechDocs sites: mkdocs.yml plus the docs/ pages for components with docs."""

from __future__ import annotations

from catalog.demo import techdocs_pages as pages
from catalog.demo.descriptors import Doc, dump
from catalog.demo.org_data import GITHUB_ORG


def mkdocs_files(comp: Doc) -> dict[str, bytes]:
    """mkdocs.yml and docs/*.md for table row ``comp`` (which has ``notes``)."""
    nav = _nav(comp)
    files = {"mkdocs.yml": dump([_mkdocs_config(comp, nav)])}
    files["docs/index.md"] = pages.index_page(comp)
    if "usage.md" in nav.values():
        files["docs/usage.md"] = pages.usage_page(comp)
    if "on-call.md" in nav.values():
        files["docs/on-call.md"] = pages.ON_CALL_PAGE
        files["docs/incidents.md"] = pages.INCIDENTS_PAGE
    if "architecture.md" in nav.values():
        files["docs/architecture.md"] = pages.architecture_page(comp)
        files["docs/runbook.md"] = pages.runbook_page(comp)
    return files


def _nav(comp: Doc) -> dict[str, str]:
    """Page label -> file under docs/; libraries and handbooks differ."""
    if comp["type"] == "library":
        return {"Overview": "index.md", "Usage": "usage.md"}
    if comp["lang"] == "markdown":
        return {
            "Overview": "index.md",
            "On-call": "on-call.md",
            "Incidents": "incidents.md",
        }
    return {
        "Overview": "index.md",
        "Architecture": "architecture.md",
        "Runbook": "runbook.md",
    }


def _mkdocs_config(comp: Doc, nav: dict[str, str]) -> Doc:
    repo: str = comp["repo"]
    return {
        "site_name": comp.get("title", repo),
        "site_description": comp["description"],
        "repo_url": f"https://github.com/{GITHUB_ORG}/{repo}",
        "nav": [{label: page} for label, page in nav.items()],
        # Stock Python-Markdown extensions only (no techdocs-core plugin), so a
        # bare `mkdocs build` renders the demo sites.
        "markdown_extensions": [
            "admonition",
            "tables",
            "fenced_code",
            {"toc": {"permalink": True}},
        ],
    }
