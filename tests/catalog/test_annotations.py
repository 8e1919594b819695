"""Backstage's location annotations (issue 16 §6), as Backstage sets them.

Backstage's engine (ProcessorOutputCollector, locationSpecToLocationEntity,
AnnotateLocationEntityProcessor) gives every entity:

* `backstage.io/managed-by-location`: `url:<target>` of what was read: the
  registered target for the registered file (a), the file's own URL for a file a
  Location entity's target led to (b), the target for the generated Location (c);
* `backstage.io/managed-by-origin-location`: `url:<the registered target>`;
* `backstage.io/view-url`, `…/edit-url`, `…/source-location`: the host's pages,
  for a host it has an integration for, under what the author wrote.

Repositories are real, served by `git daemon`; the host pages of github.com and
bitbucket.org are compared with Backstage's own @backstage/integration.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.descriptor import parse_file
from catalog.ingest.apply import apply_read
from catalog.ingest.generated import generated_ref
from catalog.ingest.reader import ReadResult
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from catalog.serialize import served

pytestmark = pytest.mark.django_db

ORACLE = Path(__file__).resolve().parents[1] / "oracle"
MANAGED = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"
SOURCE = "backstage.io/source-location"
VIEW = "backstage.io/view-url"
EDIT = "backstage.io/edit-url"

ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations:
    backstage.io/managed-by-location: url:https://example.com/spoofed
    backstage.io/view-url: https://docs.example.com/billing
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: more}
spec: {targets: [./teams/a.yaml]}
"""
TEAM = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
"""


def annotations(ref: str) -> dict[str, str]:
    return served(Entity.objects.get(ref=ref))["metadata"]["annotations"]


@pytest.fixture
def extra(repos, git_daemon) -> str:
    """A repository registered as a plain git URL, crawled."""
    repo = repos.create("extra", {"catalog-info.yaml": ROOT, "teams/a.yaml": TEAM})
    url = git_daemon.url(repo)
    location, _ = register_location(url)
    crawl_location(location)
    return url


def test_the_registered_file_carries_the_target_as_registered(extra):
    billing = annotations("component:default/billing")

    assert billing[MANAGED] == f"url:{extra}"  # the catalog's, not the author's
    assert billing[ORIGIN] == f"url:{extra}"
    assert billing[SOURCE] == f"url:{extra}/"  # the repository: no page invented
    assert billing[VIEW] == "https://docs.example.com/billing"  # the author's
    assert EDIT not in billing
    assert "/blob/" not in json.dumps(billing)


def test_a_file_a_location_entity_names_carries_its_own_url(extra):
    team = annotations("group:default/team-a")

    assert team[MANAGED] == f"url:{extra}/blob/main/teams/a.yaml"
    assert team[ORIGIN] == f"url:{extra}"
    # A folder of a git:// repository has no address: no source, view or edit.
    assert not {SOURCE, VIEW, EDIT} & set(team)


def test_the_generated_location_entity(extra):
    generated = served(Entity.objects.get(ref=generated_ref(extra)))

    assert generated["spec"] == {"type": "url", "target": extra}
    assert generated["metadata"]["annotations"] == {
        MANAGED: f"url:{extra}",
        ORIGIN: f"url:{extra}",
        SOURCE: f"url:{extra}/",
    }
    children = Entity.objects.filter(parent_ref=generated_ref(extra))
    assert set(children.values_list("ref", flat=True)) == {
        "component:default/billing",
        "location:default/more",
    }


def test_a_file_repository_gets_no_invented_pages(repos, viewer_client):
    repo = repos.create("local", {"catalog-info.yaml": ROOT, "teams/a.yaml": TEAM})
    location, _ = register_location(repo.url)
    crawl_location(location)

    billing = annotations("component:default/billing")
    assert billing[MANAGED] == billing[ORIGIN] == f"url:{repo.url}"
    assert billing[SOURCE] == f"url:{repo.url}/"
    page = viewer_client.get("/catalog/default/component/billing").content.decode()
    assert "/blob/" not in page
    assert "Edit this descriptor" not in page
    assert f'href="{repo.url}' not in page  # no link to a file:// address


def apply_one(url: str, branch: str, path: str, text: str) -> Location:
    """Apply a read of one file to a location on a host we cannot reach."""
    location = Location.objects.create(url=url, resolved_branch=branch)
    parsed = parse_file(text.encode(), path)
    read = ReadResult(entities=parsed.entities, problems=parsed.problems)
    apply_read(location, commit="0" * 40, branch=branch, read=read)
    return location


def backstage_pages(target: str) -> dict[str, str | None]:
    """What Backstage's AnnotateLocationEntityProcessor computes for `target`,
    with the integrations it has by default."""
    if shutil.which("node") is None:
        pytest.fail("node and tests/oracle's packages are needed")
    script = """
    import { ScmIntegrations } from "@backstage/integration";
    import { ConfigReader } from "@backstage/config";
    const target = process.argv[1];
    const scm = ScmIntegrations.fromConfig(new ConfigReader({})).byUrl(target);
    const source = scm?.resolveUrl({ url: "./", base: target });
    console.log(JSON.stringify({
      view: target, edit: scm?.resolveEditUrl(target) ?? null,
      source: source ? `url:${source}` : null,
    }));
    """
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script, target],
        cwd=ORACLE,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("url", "file"),
    [
        (
            "https://github.com/acme/billing",
            "https://github.com/acme/billing/blob/main/services/catalog-info.yaml",
        ),
        (
            "https://bitbucket.org/acme/billing",
            "https://bitbucket.org/acme/billing/src/main/services/catalog-info.yaml",
        ),
    ],
)
def test_known_hosts_get_backstages_pages(url, file, viewer_client):
    apply_one(url, "main", "services/catalog-info.yaml", TEAM)

    team = annotations("group:default/team-a")
    expected = backstage_pages(file)
    assert team[MANAGED] == f"url:{file}"
    assert (team[VIEW], team[EDIT], team[SOURCE]) == (
        expected["view"],
        expected["edit"],
        expected["source"],
    )
    page = viewer_client.get("/catalog/default/group/team-a").content.decode()
    assert f'href="{file}"' in page
    assert f'href="{expected["edit"]}"'.replace("&", "&amp;") in page


def test_no_edit_link_for_a_commit_and_gitlab_folders_are_trees():
    commit = "a" * 40
    apply_one("https://gitlab.com/acme/billing", commit, "catalog-info.yaml", TEAM)

    team = annotations("group:default/team-a")
    assert (
        team[VIEW]
        == f"https://gitlab.com/acme/billing/-/blob/{commit}/catalog-info.yaml"
    )
    assert team[SOURCE] == f"url:https://gitlab.com/acme/billing/-/tree/{commit}/"
    assert EDIT not in team  # Backstage: no edit link for a URL pinned to a commit


def test_ssh_to_an_unknown_host_gets_no_invented_https_page(viewer_client):
    apply_one("ssh://git@git.example.com/acme/billing.git", "main", "c.yaml", TEAM)

    team = annotations("group:default/team-a")
    assert team[SOURCE] == "url:ssh://git@git.example.com/acme/billing.git/"
    assert not {VIEW, EDIT} & set(team)
    page = viewer_client.get("/catalog/default/group/team-a").content.decode()
    assert "https://git.example.com" not in page
