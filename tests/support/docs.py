"""Documentation trees for the TechDocs tests: a documented component, a hostile
site, writing a tree to disk and reading the pages built from it."""

from __future__ import annotations

from pathlib import Path

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations: {backstage.io/techdocs-ref: "dir:."}
spec: {type: service, lifecycle: production, owner: team-a}
"""


FILES = {
    "catalog-info.yaml": COMPONENT,
    "mkdocs.yml": "site_name: Billing docs\n",
    "docs/index.md": "# Billing\n\nInvoices. ![logo](img/logo.png)\n",
    "docs/guide.md": "# Guide\n\n## Setup\n\nSteps.\n",
    "docs/img/logo.png": b"\x89PNG fake",
}

PAYLOAD = '<div><input title="x><script src=../evil.js></script>"></div>'


BASE = "/docs/default/component/billing/"


HOSTILE = {
    **FILES,
    "mkdocs.yml": (
        "site_name: Billing docs\n"
        "nav:\n"
        "  - Home: index.md\n"
        "  - Guide: guide.md\n"
        "  - Evil: javascript:alert(document.domain)\n"
        "  - Sneaky: ' JaVaScRiPt:alert(1)'\n"
        "  - Data: 'data:text/html,<script>alert(1)</script>'\n"
        "  - Elsewhere: https://example.com/runbook\n"
    ),
    "docs/index.md": f"# Billing\n\nInvoices. ![logo](img/logo.png)\n\n{PAYLOAD}\n",
    "docs/evil.js": "document.body.dataset.pwned = 'yes';\n",
    "docs/img/evil.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    ),
    "docs/site.css": "body { display: none }\n",
}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def all_html(site) -> str:
    return "\n".join(page.html for page in site.pages)
