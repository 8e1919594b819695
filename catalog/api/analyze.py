"""POST /analyze-location: what the import wizard shows before registering.

The repository is read as a registration's dry run would (a throwaway shallow
clone, the crawler's own reader). Descriptor files found come back as
`existingEntityFiles`; a repository without one gets a Component skeleton to
complete in `generateEntities`. Nothing is stored.

A URL the policy refuses is a 400. One it allows but git cannot read (nothing
listens, no such repository, credentials needed) gets the skeleton all the same,
named from the URL as Backstage names it, with a `note` saying that nothing was
read and why: Backstage proposes it without reading for every host it has no
analyzer for.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from catalog.api.locations import parse_target
from catalog.hosts import file_url, web_base
from catalog.ingest.generated import DEFAULT_PATH, TYPE, root_parent
from catalog.ingest.git import GitError
from catalog.ingest.preview import preview_target
from catalog.locations import RegistrationError, Target
from catalog.models import Entity, Location
from catalog.urlpolicy import UrlRefused
from core.api.errors import InputError

# Backstage's default integrations and the annotation its analyzer sets for each.
SLUG_ANNOTATIONS = {
    "github.com": "github.com/project-slug",
    "gitlab.com": "gitlab.com/project-slug",
    "bitbucket.org": "bitbucket.org/project-slug",
}


def analyze_location(body: Any) -> dict[str, Any]:
    wanted = "location must be {type: 'url', target: <repository URL>}"
    if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
        raise InputError(wanted)
    location = body["location"]
    target = location.get("target")
    if location.get("type") != TYPE or not isinstance(target, str) or not target:
        raise InputError(wanted)
    filename = body.get("catalogFilename") or DEFAULT_PATH
    if not isinstance(filename, str):
        raise InputError("catalogFilename must be a file name")
    try:
        parsed = parse_target(target.strip(), filename)
        preview = preview_target(parsed.url, parsed.branch, parsed.path)
    except (RegistrationError, UrlRefused) as exc:
        raise InputError(str(exc)) from None
    except GitError as exc:  # allowed, but not readable: propose without reading
        return {
            "existingEntityFiles": [],
            "generateEntities": [skeleton(parsed.url)],
            "note": f"Nothing was read from the repository: {exc}. The Component "
            "is proposed from its URL alone.",
        }
    errors = [p.message for p in preview.read.problems if p.level == "error"]
    registration = Location(url=parsed.url, branch=parsed.branch, path=parsed.path)
    generated = root_parent(registration)
    found = [p for p in preview.read.entities if p.ref != generated]
    if not found and parsed.path not in preview.read.missing_paths and errors:
        raise InputError("; ".join(errors))  # a descriptor is there, but broken
    if not found:
        return {"existingEntityFiles": [], "generateEntities": [skeleton(parsed.url)]}
    known = set(
        Entity.objects.filter(ref__in=[p.ref for p in found]).values_list(
            "ref", flat=True
        )
    )
    return {
        "existingEntityFiles": [
            {
                "location": {
                    "type": TYPE,
                    "target": _file_target(parsed, preview.branch, p.path),
                },
                "isRegistered": p.ref in known,
                "entity": p.entity,
            }
            for p in found
        ],
        "generateEntities": [],
    }


def _file_target(parsed: Target, branch: str, path: str) -> str:
    """What to register for a file found: the repository itself for its default
    descriptor when no branch was asked for (the target is then the URL as given,
    which every host kind reads), else the file on the branch read."""
    if path == DEFAULT_PATH and not parsed.branch:
        return parsed.url
    return file_url(parsed.url, parsed.branch or branch, path)


def skeleton(repo_url: str) -> dict[str, Any]:
    """A Component named after the repository, for the person to complete."""
    base = web_base(repo_url)
    parts = urlsplit(base)
    slug = parts.path.strip("/")
    name = re.sub(r"[^a-z0-9._-]+", "-", slug.rsplit("/", 1)[-1].lower()).strip("-._")
    metadata: dict[str, Any] = {"name": name[:63] or "component"}
    annotation = SLUG_ANNOTATIONS.get((parts.hostname or "").lower())
    if annotation:
        metadata["annotations"] = {annotation: slug}
    return {
        "entity": {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": metadata,
            "spec": {"type": "other", "lifecycle": "unknown"},
        },
        "fields": [],
    }
