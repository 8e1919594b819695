"""A descriptor proposed for an uncatalogued repository, and the pull (or merge)
request that adds it.

The proposal is the skeleton analyze-location makes (catalog/api/analyze.py),
completed with what the host knows: the description, the topics as tags, and the
owner guessed from CODEOWNERS or the team with admin rights, marked as a guess (a
comment on the line, and an annotation saying where it came from). An editor
opens the request on the host with the connection's credential (which then needs
the right to push a branch and open pull requests); it is recorded in the audit
log and its state read back from the host. Once merged, the push event of the
merge (or the next run) catalogues the repository.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from audit import log as audit
from catalog.api.analyze import skeleton
from discovery import hostclient, hosts
from discovery.models import DescriptorRequest, DiscoveredRepository

PATH = "catalog-info.yaml"
BRANCH = "greenroom/catalog-info"
TITLE = "Add catalog-info.yaml (Greenroom)"
GUESS_ANNOTATION = "greenroom.io/owner-guessed-from"
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
KINDS_WITH_REQUESTS = ("github", "gitea", "gitlab")


class ProposalError(ValueError):
    """The request cannot be opened; the message is safe to show."""


def proposed_entity(row: DiscoveredRepository) -> dict[str, Any]:
    entity = skeleton(row.web_url or row.clone_url)["entity"]
    metadata, spec = entity["metadata"], entity["spec"]
    if row.description:
        metadata["description"] = row.description[:500]
    tags = [t for t in row.topics if len(t) <= 63 and _TAG.match(t)]
    if tags:
        metadata["tags"] = tags[:20]
    owner, source = guessed_owner(row)
    if owner:
        spec["owner"] = owner
        metadata.setdefault("annotations", {})[GUESS_ANNOTATION] = source
    return entity


def guessed_owner(row: DiscoveredRepository) -> tuple[str, str]:
    """(owner ref, where it came from): `@org/team` is the group `team`, `@user`
    the user; "" when the host named nobody."""
    for owner in row.owners:
        name = owner.removeprefix("@")
        if "/" in name:
            return f"group:{name.rpartition('/')[2].lower()}", "the host's teams"
        if name and "@" not in name:
            return f"user:{name.lower()}", "the host's owners"
    return "", ""


def proposal_yaml(row: DiscoveredRepository) -> str:
    text = yaml.safe_dump(proposed_entity(row), sort_keys=False, allow_unicode=True)
    lines = [
        f"{line}  # a guess: check it" if line.startswith("  owner: ") else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"


def open_request(row: DiscoveredRepository) -> DescriptorRequest:
    """Open the pull (merge) request on the host; recorded and audited."""
    connection = row.source.connection
    if connection.kind not in KINDS_WITH_REQUESTS:
        raise ProposalError("requests can be opened on GitHub, Gitea and GitLab")
    if row.state != DiscoveredRepository.State.UNCATALOGUED:
        raise ProposalError("the repository is not uncatalogued")
    if row.requests.filter(state=DescriptorRequest.State.OPEN).exists():
        raise ProposalError("a request is open already")
    api = hosts.Api(connection)
    repo = _host_repository(row)
    body = (
        "Greenroom found no catalog descriptor in this repository. This adds one: "
        "check the owner (a guess) and the rest, then merge."
    )
    try:
        number, url = hosts.kind(connection.kind).open_request(
            api, repo, BRANCH, PATH, proposal_yaml(row), TITLE, body
        )
    except hostclient.HostApiError as exc:
        raise ProposalError(f"the host refused the request: {exc}") from None
    with transaction.atomic():
        request = DescriptorRequest.objects.create(
            repository=row, number=number, url=url[:2048]
        )
        audit.record("discovery.request", row.full_name, number=number, url=url[:500])
    return request


def refresh_state(request: DescriptorRequest) -> DescriptorRequest:
    """Ask the host what became of the request (open, merged or closed)."""
    row = request.repository
    api = hosts.Api(row.source.connection)
    try:
        state = hosts.kind(api.connection.kind).request_state(
            api, _host_repository(row), request.number
        )
    except hostclient.HostApiError:
        return request
    if state != request.state:
        request.state, request.checked_at = state, timezone.now()
        request.save(update_fields=["state", "checked_at"])
    return request


def _host_repository(row: DiscoveredRepository) -> hosts.HostRepository:
    return hosts.HostRepository(
        host_id=row.host_id,
        full_name=row.full_name,
        clone_url=row.clone_url,
        web_url=row.web_url,
        default_branch=row.default_branch,
    )
