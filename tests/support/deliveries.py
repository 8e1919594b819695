"""Webhook deliveries for tests: the real ones recorded in ../shared/fixtures/webhooks,
our own signatures over them, and a host that posts them to the endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from django.test import Client

from tests.support.fixtures import FIXTURES, shared_fixtures
from webhooks.models import Webhook
from webhooks.registry import payload_url

# The fixture folder -> our host kind (Gogs speaks Gitea's dialect).
KIND_BY_FOLDER = {
    "github": "github",
    "gitea": "gitea",
    "gogs": "gitea",
    "gitlab": "gitlab",
    "bitbucket-cloud": "bitbucket-cloud",
    "bitbucket-server": "bitbucket-server",
}


# A host's event header, for bodies recorded without their headers.
SIGNATURE_HEADER = {
    "github": "X-Hub-Signature-256",
    "gitea": "X-Gitea-Signature",
    "bitbucket-cloud": "X-Hub-Signature",
    "bitbucket-server": "X-Hub-Signature",
}


@dataclass(frozen=True)
class Recorded:
    name: str
    kind: str
    body: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


def recorded(name: str) -> Recorded:
    """One recorded delivery: `github/ping.go-playground`."""
    base = shared_fixtures("webhooks") / name
    headers_file = Path(f"{base}.headers.json")
    headers = json.loads(headers_file.read_text()) if headers_file.exists() else {}
    kind = KIND_BY_FOLDER[name.split("/")[0]]
    return Recorded(name, kind, Path(f"{base}.json").read_bytes(), headers)


def all_recorded() -> list[str]:
    """Every body in the folder (names for parametrize; empty when it is absent)."""
    folder = FIXTURES / "webhooks"
    if not folder.exists():
        return []
    return sorted(
        str(path.relative_to(folder)).removesuffix(".json")
        for path in folder.glob("*/*.json")
        if not path.name.endswith(".headers.json")
        and path.name != "signature-test-vector.json"
    )


def signed(kind: str, secret: str, body: bytes, headers: dict[str, str]) -> dict:
    """`headers` plus our own signature of `body` for a host kind."""
    headers = {k: v for k, v in headers.items() if "signature" not in k.lower()}
    headers.pop("X-Gitlab-Token", None)
    if kind == "gitlab":
        return {**headers, "X-Gitlab-Token": secret}
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    prefix = "" if kind == "gitea" else "sha256="
    return {**headers, SIGNATURE_HEADER[kind]: prefix + digest}


COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: billing, description: {description}}}
spec: {{type: service, lifecycle: production, owner: team-a}}
"""


def github_push(
    url: str, *, ref: str, before: str, after: str, files: list[str] | None = None
) -> bytes:
    """A real GitHub push delivery, pointed at our repository."""
    payload = recorded("github/push-branch-added-modified.go-playground").payload
    payload["repository"] |= {"clone_url": url, "ssh_url": url, "html_url": url}
    payload |= {"ref": ref, "before": before, "after": after, "deleted": False}
    if files is not None:
        payload["commits"] = [{"added": [], "removed": [], "modified": files}]
    return json.dumps(payload).encode()


class Host:
    """Posts deliveries the way a host does, signed with the webhook's secret."""

    def __init__(self, kind: str, webhook: Webhook, secret: str) -> None:
        self.kind, self.webhook, self.secret = kind, webhook, secret
        self.client = Client()
        self.url = payload_url(webhook)
        self.count = 0

    def post(self, body: bytes, *, event: str = "push", delivery: str = "", **extra):
        self.count += 1
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or f"delivery-{self.count}",
            **extra.pop("headers", {}),
        }
        headers = signed(self.kind, extra.pop("secret", self.secret), body, headers)
        return self.client.post(
            self.url, body, content_type="application/json", headers=headers
        )
