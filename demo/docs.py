"""TechDocs sites: mkdocs.yml plus the docs/ pages for components with docs."""

from __future__ import annotations

from demo.documents import Doc, dump, md
from demo.org import GITHUB_ORG, acme


def mkdocs_files(comp: Doc) -> dict[str, bytes]:
    """mkdocs.yml and docs/*.md for table row ``comp`` (which has ``notes``)."""
    nav = _nav(comp)
    files = {"mkdocs.yml": dump([_mkdocs_config(comp, nav)])}
    files["docs/index.md"] = _index_page(comp)
    if "usage.md" in nav.values():
        files["docs/usage.md"] = _usage_page(comp)
    if "on-call.md" in nav.values():
        files["docs/on-call.md"] = _ON_CALL_PAGE
        files["docs/incidents.md"] = _INCIDENTS_PAGE
    if "architecture.md" in nav.values():
        files["docs/architecture.md"] = _architecture_page(comp)
        files["docs/runbook.md"] = _runbook_page(comp)
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


# The Markdown pages of the sites.


def _index_page(comp: Doc) -> bytes:
    repo: str = comp["repo"]
    title: str = comp.get("title", repo)
    return md(
        f"# {title}",
        "",
        comp["description"],
        "",
        "!!! note",
        f"    {comp['notes']}",
        "",
        "## At a glance",
        "",
        "| | |",
        "|---|---|",
        f"| Type | {comp['type']} |",
        f"| Lifecycle | {comp['lifecycle']} |",
        f"| Owner | `{comp['owner']}` |",
        f"| System | `{comp['system']}` |",
        f"| Language | {comp['lang']} |",
        "",
        "## Local development",
        "",
        "```sh",
        acme()["quickstart"][comp["lang"]],
        "```",
    )


def _usage_page(comp: Doc) -> bytes:
    """Install + example for a library; languages without an entry get Python's."""
    usages = acme()["library_usage"]
    usage = usages.get(comp["lang"], usages["python"])
    fill = {"repo": comp["repo"], "module": comp["repo"].replace("-", "_")}
    return md(
        "# Usage",
        "",
        "## Install",
        "",
        "```sh",
        usage["install"].format(**fill),
        "```",
        "",
        "## Example",
        "",
        f"```{usage['fence']}",
        usage["example"].format(**fill),
        "```",
        "",
        "## Versioning",
        "",
        "| Change | Version bump |",
        "|---|---|",
        "| Bug fix | patch |",
        "| New option, default unchanged | minor |",
        "| Removed or renamed API | major |",
        "",
        "!!! warning",
        "    Major versions stay supported for six months after the next major.",
    )


_ON_CALL_PAGE = md(
    "# On-call",
    "",
    "Every production team runs a weekly rotation in PagerDuty.",
    "",
    "| Severity | Response time | Who is paged |",
    "|---|---|---|",
    "| SEV1 | 5 minutes | primary and incident commander |",
    "| SEV2 | 30 minutes | primary |",
    "| SEV3 | next business day | nobody, ticket only |",
    "",
    "!!! note",
    "    Hand-overs happen on Mondays at 10:00 CET in #oncall-handover.",
)

_INCIDENTS_PAGE = md(
    "# Incident response",
    "",
    "## Declaring an incident",
    "",
    "```text",
    '/incident declare sev2 "Checkout error rate above 2%"',
    "```",
    "",
    "## After the incident",
    "",
    "Write a blameless post-mortem within five working days and link it",
    "from the incident channel.",
)


def _architecture_page(comp: Doc) -> bytes:
    deps = [("API (provides)", api) for api in comp.get("provides", ())]
    deps += [("API (consumes)", api) for api in comp.get("consumes", ())]
    for ref in comp.get("depends", ()):
        kind, name = ref.split(":", 1)
        deps.append((kind.capitalize(), name))
    env_prefix = comp["repo"].upper().replace("-", "_")
    return md(
        "# Architecture",
        "",
        comp["notes"],
        "",
        "## Dependencies",
        "",
        "| Kind | Name |",
        "|---|---|",
        *[f"| {kind} | `{name}` |" for kind, name in deps],
        "",
        "## Configuration",
        "",
        "All settings come from environment variables; defaults suit local",
        "development.",
        "",
        "```sh",
        f"export {env_prefix}_LOG_LEVEL=debug",
        "```",
    )


def _runbook_page(comp: Doc) -> bytes:
    repo, namespace = comp["repo"], comp["system"]
    return md(
        "# Runbook",
        "",
        "## Alerts",
        "",
        "| Alert | Meaning | First step |",
        "|---|---|---|",
        "| HighErrorRate | over 2% 5xx for 5 minutes | check the last deploy |",
        "| HighLatency | p99 above 800 ms | look for a slow dependency |",
        "",
        "## Rolling back",
        "",
        "```sh",
        f"kubectl -n {namespace} rollout undo deployment/{repo}",
        f"kubectl -n {namespace} rollout status deployment/{repo}",
        "```",
        "",
        "!!! warning",
        "    Announce every production rollback in #incidents before running it.",
    )
