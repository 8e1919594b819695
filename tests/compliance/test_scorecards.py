"""Scorecards over crawled catalogs: every check, levels, owners, the catalog,
recomputing when entities change, rules as data, the trend, pages and the API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from catalog.ingest.sync import crawl_location
from catalog.locations import delete_entity, register_location
from catalog.models import Entity, Location
from catalog.tasks import crawl_location_task
from compliance import scoring
from compliance.models import EntityScore, RuleResult, ScorecardRules, ScoreSnapshot
from compliance.rules import RulesError, parse_rules
from compliance.tasks import score_stale_task
from techdocs.models import DocsBuild
from techdocs.sites import docs_changed, run_build
from tests.support.docs import FILES
from tests.support.scorecards import ORG, PERFECT, RULES, SLOPPY, SMALL_TEAM
from tests.support.worker import wait_for

pytestmark = pytest.mark.django_db
SOURCE = "backstage.io/source-location"


OPENAPI = """\
openapi: 3.0.0
info: {title: Pets, version: 1.0.0}
paths: {/pets: {get: {responses: {"200": {description: ok}}}}}
"""
GOOD_API = f"""\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: pets, description: Pets}}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: |
{"".join("    " + line + chr(10) for line in OPENAPI.splitlines())}"""
BAD_API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: broken-api, description: Broken}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: "openapi: 3.0.0"
"""


def crawl(location: Location) -> Location:
    crawl_location(Location.objects.get(pk=location.pk))
    return Location.objects.get(pk=location.pk)


@pytest.fixture
def catalog(repos, rules, django_capture_on_commit_callbacks):
    documents = [ORG, PERFECT, SLOPPY, SMALL_TEAM, GOOD_API, BAD_API]
    repo = repos.create("org", {"catalog-info.yaml": "---\n".join(documents)})
    with django_capture_on_commit_callbacks(execute=True):
        location = crawl(register_location(repo.url)[0])
    return repo, location


def verdicts(name: str, card: str = "ready") -> dict[str, tuple[bool, str]]:
    entity = Entity.objects.get(name=name)
    return {
        r.rule: (r.passed, r.detail)
        for r in RuleResult.objects.filter(score__entity=entity, scorecard=card)
    }


def passed(name: str) -> set[str]:
    return {rule for rule, (ok, _) in verdicts(name).items() if ok}


def score(name: str, card: str = "ready") -> EntityScore:
    return EntityScore.objects.get(entity__name=name, scorecard=card)


# ---------------------------------------------------------------------------
# Every check


def test_every_check_on_the_entities_that_pass_and_fail_it(catalog):
    perfect = verdicts("perfect")
    assert passed("perfect") == set(perfect) - {"docs"}
    assert perfect["docs"] == (False, "no TechDocs (backstage.io/techdocs-ref)")
    assert perfect["team"] == (True, "group:default/team-a has 2 members")
    assert perfect["owner"] == (True, "owned by group:default/team-a")

    sloppy = verdicts("sloppy")
    assert passed("sloppy") == {"lifecycle", "source"}
    assert sloppy["owner"] == (
        False,
        "owner group:default/ghosts is not in the catalog",
    )
    assert sloppy["team"] == (False, "owner group:default/ghosts is not in the catalog")
    assert sloppy["description"] == (False, "no description")
    assert sloppy["pager"] == (False, "no annotation pagerduty.com/service-id")
    assert sloppy["slack"] == (
        False,
        "annotation slack.com/channel 'general chat' does not match ^#[a-z-]+$",
    )
    assert sloppy["tier"] == (False, "label tier '3' is not one of 1, 2")
    assert sloppy["type"] == (
        False,
        "spec.type 'library' is not one of service, website, openapi",
    )

    assert verdicts("small-team")["team"] == (
        False,
        "group:default/team-b has 1 member; at least 2 needed",
    )
    # Rules limited to kinds: APIs are not asked for docs, components for definitions.
    assert "definition" not in perfect
    assert "docs" not in verdicts("pets")
    assert verdicts("pets")["definition"] == (True, "valid openapi definition")
    assert verdicts("broken-api")["definition"] == (
        False,
        "openapi definition: info must have a title and a version",
    )
    # Scorecards limited to kinds: groups get theirs, users none.
    assert verdicts("team-a", "people") == {
        "described": (True, "description: The A team")
    }
    assert verdicts("team-b", "people")["described"] == (False, "no description")
    assert not EntityScore.objects.filter(kind="user").exists()


@pytest.mark.parametrize(
    ("definition", "kind_of_api", "expected"),
    [
        ("openapi: [unclosed", "openapi", "not valid YAML or JSON"),
        ('{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}',
         "openapi", "valid openapi definition"),
        ("asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\n", "asyncapi",
         "valid asyncapi definition"),
        ("info: {title: t, version: '1'}\n", "asyncapi", "no asyncapi version field"),
        ("type Query { pets: [String] }", "graphql", "graphql present"),
        ("just words", "graphql", "does not look like a graphql schema"),
        ('syntax = "proto3";\nservice Pets {}', "grpc", "grpc present"),
        ("   ", "openapi", "spec.definition is empty"),
    ],
)  # fmt: skip
def test_api_definitions_are_checked_by_type(definition, kind_of_api, expected):
    from compliance.checks import Facts, api_definition

    card = parse_rules(RULES).get("ready")
    assert card is not None
    rule = card.rule("definition")
    assert rule is not None
    facts = Facts(
        ref="api:default/x",
        kind="api",
        owner_ref="",
        processed={"spec": {"type": kind_of_api, "definition": definition}},
    )
    ok, detail = api_definition(rule, facts)
    assert expected in detail
    assert ok == expected.startswith(("valid", "graphql present", "grpc present"))


FACT_RULES = parse_rules("""\
scorecards:
  - id: unit
    rules:
      - {id: description, check: has-description}
      - {id: lifecycle, check: has-lifecycle}
      - {id: source, check: has-source-location}
      - {id: owner, check: owner-exists}
      - {id: team, check: owner-members, min: 3}
      - {id: label, check: label, key: tier}
      - {id: tags, check: field, path: metadata.tags, one_of: [python, go]}
      - {id: links, check: field, path: metadata.links, matches: x}
""").scorecards[0]


@pytest.mark.parametrize(
    ("rule", "processed", "facts", "expected"),
    [
        ("description", {"metadata": {"description": "  "}}, {},
         (False, "no description")),
        ("lifecycle", {"spec": {}}, {}, (False, "no spec.lifecycle")),
        ("lifecycle", {"spec": {"lifecycle": 3}}, {}, (False, "no spec.lifecycle")),
        ("source", {"metadata": {"annotations": {SOURCE: ""}}}, {},
         (False, f"no {SOURCE}")),
        ("source", {"metadata": {"annotations": {SOURCE: "url:https://x/y"}}}, {},
         (True, f"{SOURCE}: url:https://x/y")),
        ("owner", {}, {"owner_ref": ""}, (False, "no spec.owner")),
        ("owner", {}, {"owner_ref": "component:default/x", "owner_kind": "component"},
         (False, "owner component:default/x is a component, not a Group or User")),
        ("owner", {}, {"owner_ref": "user:default/al", "owner_kind": "user"},
         (True, "owned by user:default/al")),
        ("team", {}, {"owner_ref": "user:default/al", "owner_kind": "user"},
         (False, "owner user:default/al is a person, not a group")),
        ("team", {}, {"owner_ref": "group:default/g", "owner_kind": "group",
                      "owner_members": 3}, (True, "group:default/g has 3 members")),
        ("label", {"metadata": {}}, {}, (False, "no label tier")),
        ("label", {"metadata": {"labels": {"tier": "1"}}}, {},
         (True, "label tier is set")),
        ("tags", {"metadata": {"tags": ["python", "go"]}}, {},
         (True, "metadata.tags: ['python', 'go']")),
        ("tags", {"metadata": {"tags": ["python", "rust"]}}, {},
         (False, "metadata.tags 'rust' is not one of python, go")),
        ("links", {"metadata": {"links": [{"url": "x"}]}}, {},
         (False, "metadata.links is not a plain value")),
    ],
)  # fmt: skip
def test_each_check_on_its_own(rule, processed, facts, expected):
    from compliance.checks import Facts, evaluate

    found = FACT_RULES.rule(rule)
    assert found is not None
    base = {"ref": "component:default/x", "kind": "component", "owner_ref": ""}
    fact = Facts(**(base | {"processed": processed} | facts))
    assert evaluate(found, fact) == expected


def test_techdocs_that_built_pass_once_the_build_succeeds(
    repos, rules, django_capture_on_commit_callbacks
):
    repo = repos.create("billing", FILES)
    location, _ = register_location(repo.url)
    with django_capture_on_commit_callbacks(execute=True):
        location = crawl(location)  # scored; the build is not queued here
    assert verdicts("billing")["docs"] == (
        False,
        "TechDocs have not built yet (see the Docs tab)",
    )
    [build] = docs_changed(location)
    with django_capture_on_commit_callbacks(execute=True):
        build = run_build(build)
    assert build.status == DocsBuild.Status.SUCCEEDED, build.error
    assert verdicts("billing")["docs"] == (True, "TechDocs built")


# ---------------------------------------------------------------------------
# Levels, owners and the catalog


def test_levels_owners_and_the_whole_catalog(catalog):
    assert score("perfect").level == 2  # bronze and silver; gold lacks docs
    assert score("sloppy").level == 0
    assert score("small-team").level == 2
    assert (
        score("pets").level == 2
    )  # gold: team-a's two members, but no pager/slack/tier
    assert score("broken-api").level == 1
    card = scoring.rules_in_force().get("ready")
    assert card is not None

    summary = scoring.catalog_summary(card)
    assert summary["entities"] == 5
    assert summary["levels"] == [
        {"level": "none", "entities": 1},
        {"level": "bronze", "entities": 1},
        {"level": "silver", "entities": 3},
        {"level": "gold", "entities": 0},
    ]
    rules = {row["rule"]: row for row in summary["rules"]}
    assert (rules["owner"]["passed"], rules["owner"]["failed"]) == (4, 1)
    assert (rules["definition"]["passed"], rules["definition"]["failed"]) == (1, 1)

    owners = {row["owner"]: row for row in scoring.owner_levels(card)}
    assert owners["group:default/team-a"]["level"] == "bronze"  # broken-api
    assert owners["group:default/team-a"]["entities"] == 3
    assert owners["group:default/team-b"]["level"] == "silver"
    assert owners["group:default/ghosts"]["level"] == "none"
    failing = scoring.scores(card, "owner")
    assert [s.ref for s in failing] == ["component:default/sloppy"]


# ---------------------------------------------------------------------------
# Recomputed when an entity changes


def test_a_changed_entity_is_scored_again(catalog, django_capture_on_commit_callbacks):
    repo, location = catalog
    before = score("sloppy")
    fixed = SLOPPY.replace("name: sloppy", "name: sloppy\n  description: Better now")
    documents = [ORG, PERFECT, fixed, SMALL_TEAM, GOOD_API, BAD_API]
    repo.commit({"catalog-info.yaml": "---\n".join(documents)})
    with django_capture_on_commit_callbacks(execute=True):
        crawl(location)
    after = score("sloppy")
    assert after.computed_at > before.computed_at
    assert verdicts("sloppy")["description"] == (True, "description: Better now")
    assert after.passed == before.passed + 1


def test_a_group_gaining_members_rescores_what_it_owns(
    catalog, repos, django_capture_on_commit_callbacks
):
    assert "team" not in passed("small-team")
    people = repos.create(
        "people",
        {
            "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: User\n"
            "metadata: {name: carol}\nspec: {memberOf: [team-b]}\n"
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        crawl(register_location(people.url)[0])
    assert verdicts("small-team")["team"] == (
        True,
        "group:default/team-b has 2 members",
    )


def test_a_new_entity_does_not_rescore_all_its_owner_owns(
    catalog, repos, django_capture_on_commit_callbacks
):
    # Its ownedBy/ownerOf pair touches the owning group's relations, not its members.
    before = score("perfect").computed_at
    extra = repos.create(
        "extra",
        {
            "catalog-info.yaml": SMALL_TEAM.replace("small-team", "newcomer").replace(
                "team-b", "team-a"
            )
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        crawl(register_location(extra.url)[0])
    assert score("newcomer").level == 2
    assert score("perfect").computed_at == before


def test_a_removed_owner_fails_what_it_owned(
    catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delete_entity(Entity.objects.get(name="team-b"))
    assert verdicts("small-team")["owner"] == (
        False,
        "owner group:default/team-b is not in the catalog",
    )
    with django_capture_on_commit_callbacks(execute=True):
        delete_entity(Entity.objects.get(name="small-team"))
    assert not EntityScore.objects.filter(ref="component:default/small-team").exists()
    assert not RuleResult.objects.filter(ref="component:default/small-team").exists()


def test_one_changed_entity_costs_a_few_queries(catalog, django_assert_max_num_queries):
    entity = Entity.objects.get(name="perfect")
    with django_assert_max_num_queries(13):
        assert scoring.score_refs([entity.ref]) == 1


# ---------------------------------------------------------------------------
# Rules as data


def card(*rules: str, levels: str = "") -> str:
    extra = f"levels: [{levels}], " if levels else ""
    return f"scorecards: [{{id: c, {extra}rules: [{', '.join(rules)}]}}]"


IN_C = "scorecard 'c', rule 'r': "


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (card("{id: r, check: nope}"), IN_C + "unknown check 'nope'"),
        (card("{id: r, check: has-lifecycle, level: b}", levels="a"),
         IN_C + "level 'b' is not one of ['a']"),
        (card("{id: r, check: label, key: k, matches: '('}"),
         IN_C + "matches is not a valid regular expression"),
        (card("{id: r, check: annotation}"), IN_C + "key is required"),
        (card("{id: r, check: has-lifecycle, mni: 2}"), IN_C + "unknown field mni"),
        (card("{id: r, check: owner-members, min: 0}"),
         IN_C + "min must be a whole number of at least 1"),
        (card("{id: r, check: label, key: k, one_of: []}"),
         IN_C + "one_of must be a non-empty list"),
        (card("{id: r, check: label, key: k, one_of: [a], matches: a}"),
         IN_C + "give matches or one_of, not both"),
        (card("{id: r, check: has-lifecycle}", "{id: r, check: has-description}"),
         "scorecard 'c': rule 'r' is defined twice"),
        (card("{id: 'Not An Id!', check: has-lifecycle}"),
         "scorecard 'c', rule 1: id must be a name"),
        (card(), "scorecard 'c': rules must be a non-empty list"),
        ("scorecards: {id: c}", "scorecards must be a list"),
        ("scorecards: [unclosed", "not valid YAML"),
        ("rules: []", "must be a mapping with one key, scorecards"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_naming_the_rule(text, message):
    with pytest.raises(RulesError) as raised:
        parse_rules(text, "rules.yaml")
    assert message in str(raised.value)


def test_the_shipped_rules_parse():
    from django.conf import settings

    found = parse_rules(Path(settings.BASE_DIR / "portal/scorecards.yaml").read_text())
    assert [c.id for c in found.scorecards] == ["production-readiness"]


def test_a_bad_rules_file_fails_the_system_check(rules):
    rules.write_text(RULES.replace("check: has-lifecycle", "check: has-lifecycel"))
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    assert "scorecard 'ready', rule 'lifecycle': unknown check 'has-lifecycel'" in str(
        raised.value
    )
    # Scoring keeps the results it has and says why on the page.
    assert scoring.rules_in_force().errors
    assert scoring.score_stale() == 0


def test_rules_edited_in_the_admin_take_effect_and_rescore(catalog, admin_client):
    page = admin_client.get("/admin/compliance/scorecardrules/add/")
    assert "id: ready" in page.content.decode()  # starts from the rules in force
    bad = admin_client.post(
        "/admin/compliance/scorecardrules/add/",
        {"text": RULES.replace("min: 2", "min: zero"), "comment": "typo"},
    )
    assert bad.status_code == 200
    assert "scorecard &#x27;ready&#x27;, rule &#x27;team&#x27;: min must be" in (
        bad.content.decode()
    )
    assert not ScorecardRules.objects.exists()

    relaxed = RULES.replace("min: 2", "min: 1")
    done = admin_client.post(
        "/admin/compliance/scorecardrules/add/", {"text": relaxed, "comment": "1 is ok"}
    )
    assert done.status_code == 302
    assert scoring.rules_in_force().source.endswith("(admin)")
    old = set(EntityScore.objects.values_list("rules_version", flat=True))
    score_stale_task()  # what the save queues, and beat runs every minute
    assert set(EntityScore.objects.values_list("rules_version", flat=True)) - old
    assert verdicts("small-team")["team"] == (True, "group:default/team-b has 1 member")
    assert scoring.stale_ids(scoring.rules_in_force(), 100) == []


def test_entities_never_scored_are_found_and_scored(repos, rules):
    repo = repos.create("org", {"catalog-info.yaml": "---\n".join([ORG, PERFECT])})
    crawl(register_location(repo.url)[0])  # no commit: nothing queued ran
    assert not EntityScore.objects.exists()
    assert score_stale_task() == 3  # the component and both groups
    assert score("perfect").level == 2
    assert ScoreSnapshot.objects.filter(owner_ref="").count() == 2  # the trend starts
    assert score_stale_task() == 0


# ---------------------------------------------------------------------------
# The trend, pages, exports and the API


def test_the_trend_over_stored_snapshots(
    catalog, viewer_client, django_capture_on_commit_callbacks
):
    repo, location = catalog
    scoring.take_snapshots()
    fixed = SLOPPY.replace("group:ghosts", "team-a").replace(
        "name: sloppy", "name: sloppy\n  description: Fixed"
    )
    repo.commit(
        {
            "catalog-info.yaml": "---\n".join(
                [ORG, PERFECT, fixed, SMALL_TEAM, GOOD_API, BAD_API]
            )
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        crawl(location)
    scoring.take_snapshots()
    card = scoring.rules_in_force().get("ready")
    assert card is not None
    first, second = scoring.trend(card)
    assert first.levels == [1, 1, 3, 0]
    assert second.levels == [0, 2, 3, 0]
    team = scoring.trend(card, "group:default/team-a")
    assert [s.entities for s in team] == [3, 4]

    page = viewer_client.get("/compliance/scorecards/ready").content.decode()
    assert "bronze or above: 100%" in page
    assert "<polyline" in page
    group_page = viewer_client.get(
        "/catalog/default/group/team-a/scorecards"
    ).content.decode()
    assert "What it owns, on Ready" in group_page
    assert "bronze or above: 100%" in group_page


def test_old_snapshots_are_thinned_to_one_a_day(catalog):
    from datetime import timedelta

    from django.utils import timezone

    scoring.take_snapshots()
    taken = list(ScoreSnapshot.objects.filter(owner_ref="", scorecard="ready"))
    assert len(taken) == 1
    # Four snapshots of one day two months ago, and one of the day before it.
    day = timezone.now().replace(hour=1) - timedelta(days=60)
    for hours in (0, 6, 12, 18, -24):
        snap = taken[0]
        snap.pk, snap.taken_at = None, day + timedelta(hours=hours)
        snap.save()
    scoring.take_snapshots()
    kept = ScoreSnapshot.objects.filter(owner_ref="", scorecard="ready")
    assert sorted(s.taken_at for s in kept)[:2] == [
        day - timedelta(hours=24),
        day + timedelta(hours=18),  # the day's last
    ]
    assert kept.count() == 4  # and the two recent ones


def test_pages_link_each_number_to_its_entities(catalog, viewer_client):
    index = viewer_client.get("/compliance/scorecards/").content.decode()
    assert 'href="/compliance/scorecards/ready"' in index
    assert 'href="/compliance/scorecards/ready/entities?level=none"' in index
    card = viewer_client.get("/compliance/scorecards/ready").content.decode()
    assert 'href="/compliance/scorecards/ready/entities?rule=owner"' in card
    listed = viewer_client.get(
        "/compliance/scorecards/ready/entities?rule=owner"
    ).content.decode()
    assert "component:default/sloppy" in listed
    assert "component:default/perfect" not in listed
    by_owner = viewer_client.get(
        "/compliance/scorecards/ready/entities?owner=group:team-a&level=bronze"
    ).content.decode()
    assert "api:default/broken-api" in by_owner
    assert "component:default/perfect" not in by_owner
    assert viewer_client.get("/compliance/scorecards/nope").status_code == 404
    assert (
        viewer_client.get("/compliance/scorecards/ready/entities?rule=nope").status_code
        == 404
    )

    tab = viewer_client.get(
        "/catalog/default/component/sloppy/scorecards"
    ).content.decode()
    assert "✗ Fail" in tab
    assert "owner group:default/ghosts is not in the catalog" in tab
    assert 'href="/catalog/default/component/sloppy/scorecards"' in tab  # the tab
    user = viewer_client.get("/catalog/default/user/bob/scorecards").content.decode()
    assert "No scorecard scores a User" in user


def test_exports_open_as_spreadsheets(catalog, viewer_client):
    owners = viewer_client.get("/compliance/scorecards/ready?format=csv")
    assert owners["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(owners.streaming_content).decode("utf-8-sig"))
        )
    )
    assert {r["owner"]: r["level"] for r in rows}["group:default/ghosts"] == "none"
    every = viewer_client.get("/compliance/scorecards/ready/entities?format=csv")
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(every.streaming_content).decode("utf-8-sig"))
        )
    )
    assert len(rows) == 5
    assert {r["entityRef"]: r["level"] for r in rows}[
        "component:default/perfect"
    ] == "silver"
    failing = viewer_client.get(
        "/compliance/scorecards/ready/entities?rule=owner&format=json"
    )
    assert [i["entityRef"] for i in failing.json()["items"]] == [
        "component:default/sloppy"
    ]
    index = viewer_client.get("/compliance/scorecards/?format=json").json()
    assert index["scorecards"][0]["entities"] == 5


def test_the_api(catalog, viewer_client):
    found = viewer_client.get("/api/compliance/scorecards").json()
    assert found["errors"] == []
    ready = found["scorecards"][0]
    assert ready["id"] == "ready"
    assert ready["levels"] == ["bronze", "silver", "gold"]
    assert {r["id"]: r["check"] for r in ready["rules"]}["team"] == "owner-members"
    assert ready["summary"]["entities"] == 5

    one = viewer_client.get("/api/compliance/scorecards/ready").json()
    assert {o["owner"]: o["level"] for o in one["owners"]}[
        "group:default/team-b"
    ] == "silver"
    assert viewer_client.get("/api/compliance/scorecards/nope").status_code == 404

    failing = viewer_client.get(
        "/api/compliance/scorecards/ready/entities?rule=team&limit=1"
    )
    body = failing.json()
    assert body["totalItems"] == 2  # sloppy (its owner is missing), small-team
    assert len(body["items"]) == 1
    assert (
        viewer_client.get(
            "/api/compliance/scorecards/ready/entities?rule=x"
        ).status_code
        == 400
    )

    entity = viewer_client.get("/api/compliance/scores/component/default/sloppy").json()
    assert entity["entityRef"] == "component:default/sloppy"
    [card] = entity["scorecards"]
    assert card["level"] == "none"
    rules = {r["rule"]: r for r in card["rules"]}
    assert rules["tier"] == {
        "rule": "tier",
        "level": "gold",
        "passed": False,
        "detail": "label tier '3' is not one of 1, 2",
    }
    assert (
        viewer_client.get("/api/compliance/scores/component/default/nope").status_code
        == 404
    )
    assert json.dumps(entity)  # plain JSON all the way down


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_scores_what_each_crawl_changed(repos, rules, live_worker):
    repo = repos.create("org", {"catalog-info.yaml": "---\n".join([ORG, SLOPPY])})
    location, _ = register_location(repo.url)  # crawled, then scored, by the worker
    wait_for(lambda: EntityScore.objects.filter(entity__name="sloppy").exists())
    assert verdicts("sloppy")["description"] == (False, "no description")

    fixed = SLOPPY.replace("name: sloppy", "name: sloppy\n  description: Fixed")
    repo.commit({"catalog-info.yaml": "---\n".join([ORG, fixed])})
    crawl_location_task.delay(location.pk)
    wait_for(lambda: verdicts("sloppy")["description"][0])
    assert verdicts("sloppy")["description"] == (True, "description: Fixed")


def test_the_score_command(repos, rules, tmp_path):
    from django.core.management.base import CommandError

    repo = repos.create("org", {"catalog-info.yaml": "---\n".join([ORG, PERFECT])})
    crawl(register_location(repo.url)[0])
    out = io.StringIO()
    call_command("score", stdout=out)
    assert "scored 3 entities under scorecards.yaml" in out.getvalue()
    assert "took 3 snapshots" in out.getvalue()  # ready, people, and team-a's
    call_command("score", "--all", stdout=out)
    assert f"scored {Entity.objects.count()} entities" in out.getvalue()

    call_command("score", "--check", str(rules), stdout=out)
    assert "2 scorecards, 12 rules" in out.getvalue()
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("key: tier", "kee: tier"))
    with pytest.raises(
        CommandError, match="scorecard 'ready', rule 'tier': unknown field kee"
    ):
        call_command("score", "--check", str(bad))
