"""Scoring entities against the rules in force, and what the results add up to.

`score_entities` gathers the facts of a batch of entities in a few queries
(their owners, the owners' members, their docs), runs every rule of every
scorecard that applies, and replaces the batch's results. It runs for the
entities a crawl, a removal or a docs build changed (and the ones owned by a
changed group), and for any entity scored under other rules (`score_stale`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import Entity, EntityRevision, EntitySummary, Relation
from catalog.visibility import public
from compliance.checks import Facts, evaluate
from compliance.models import EntityScore, RuleResult, ScorecardRules, ScoreSnapshot
from compliance.rules import Rule, RulesError, RuleSet, Scorecard, parse_rules
from techdocs.models import DocsSite
from techdocs.source import annotation as techdocs_annotation

logger = logging.getLogger(__name__)

BATCH = 500
CACHE_SECONDS = 600
DAILY_AFTER_DAYS = 30  # older snapshots are thinned to one a day
_parsed: dict[tuple[Any, ...], RuleSet] = {}


# ---------------------------------------------------------------------------
# The rules in force


def rules_in_force() -> RuleSet:
    """The newest rules saved in the admin, else the rules file. Rules that cannot
    be used give no scorecards and their error: scores stay as they were."""
    edited = ScorecardRules.objects.order_by("-id").values_list("id", "text").first()
    if edited is not None:
        return _parse(("admin", edited[0]), edited[1], f"rules #{edited[0]} (admin)")
    path = rules_file()
    try:
        stamp = path.stat().st_mtime_ns
        key = ("file", str(path), stamp)
        if key not in _parsed:
            return _parse(key, path.read_text(encoding="utf-8"), path.name)
    except OSError as exc:
        return RuleSet((), "", str(path), (f"{path}: cannot be read: {exc}",))
    return _parsed[key]


def rules_file() -> Path:
    return Path(settings.GREENROOM_SCORECARDS_FILE)


def _parse(key: tuple[Any, ...], text: str, source: str) -> RuleSet:
    if key not in _parsed:
        try:
            _parsed[key] = parse_rules(text, source)
        except RulesError as exc:
            logger.error("scorecard rules refused: %s", exc)
            _parsed[key] = RuleSet((), "", source, (str(exc),))
    return _parsed[key]


# ---------------------------------------------------------------------------
# Scoring


def score_refs(refs: Iterable[str], owners: Iterable[str] = ()) -> int:
    """Score the entities with these refs, and those the `owners` own (a group
    that arrived, left or changed members: its entities' owner checks change)."""
    refs, owners = list(refs), list(owners)
    chosen = Q(ref__in=refs) | Q(owner_ref__in=owners) if owners else Q(ref__in=refs)
    ids = Entity.objects.filter(chosen).values_list("pk", flat=True)
    return score_entities(ids.iterator())


def score_entities(ids: Iterable[int]) -> int:
    """Replace the results of these entities under the rules in force."""
    rules = rules_in_force()
    if rules.errors:
        return 0
    scored = 0
    ids = iter(ids)
    while chunk := list(islice(ids, BATCH)):
        entities = Entity.objects.filter(pk__in=chunk).only(
            "pk", "ref", "kind", "owner_ref", "processed"
        )
        facts = gather(list(entities))
        now = timezone.now()
        scores: list[EntityScore] = []
        results: list[RuleResult] = []
        for pk, fact in facts.items():
            for card in rules.scorecards:
                if card.applies_to(fact.kind):
                    score, verdicts = _score(card, pk, fact, rules.version, now)
                    scores.append(score)
                    results += verdicts
        with transaction.atomic():
            # Two scorings of one entity at once (a crawl's and a build's) take
            # turns here rather than inserting the same rows twice.
            locked = Entity.objects.select_for_update().filter(pk__in=chunk)
            list(locked.order_by("pk").values_list("pk", flat=True))
            EntityScore.objects.filter(entity_id__in=chunk).delete()  # and results
            EntityScore.objects.bulk_create(scores)  # sets the ids results refer to
            RuleResult.objects.bulk_create(results)
        scored += len(facts)
    return scored


def _score(
    card: Scorecard, pk: int, fact: Facts, version: str, now: Any
) -> tuple[EntityScore, list[RuleResult]]:
    verdicts: list[tuple[Rule, bool, str]] = [
        (rule, *evaluate(rule, fact))
        for rule in card.rules
        if rule.applies_to(fact.kind)
    ]
    score = EntityScore(
        entity_id=pk,
        scorecard=card.id,
        ref=fact.ref,
        kind=fact.kind,
        owner_ref=fact.owner_ref,
        level=level_reached(card, [(rule.level, ok) for rule, ok, _ in verdicts]),
        passed=sum(ok for _, ok, _ in verdicts),
        total=len(verdicts),
        rules_version=version,
        computed_at=now,
    )
    results = [
        RuleResult(
            score=score,
            scorecard=card.id,
            rule=rule.id,
            ref=fact.ref,
            passed=ok,
            detail=detail,
        )
        for rule, ok, detail in verdicts
    ]
    return score, results


def level_reached(card: Scorecard, verdicts: list[tuple[int, bool]]) -> int:
    """The highest level whose rules, and every lower level's, all pass."""
    failing = [level for level, ok in verdicts if not ok]
    return min(failing, default=len(card.levels) + 1) - 1


def gather(entities: list[Entity]) -> dict[int, Facts]:
    """What the checks look at, for a batch of entities in three queries."""
    owners = {e.owner_ref for e in entities if e.owner_ref}
    owner_kinds = {
        ref: kind.lower()
        for ref, kind in Entity.objects.filter(ref__in=owners).values_list(
            "ref", "kind"
        )
    }
    groups = [ref for ref, kind in owner_kinds.items() if kind == "group"]
    members = dict(
        Relation.objects.filter(source_ref__in=groups, type="hasMember")
        .values("source_ref")
        .annotate(n=Count("target_ref", distinct=True))
        .values_list("source_ref", "n")
    )
    documented = {e.ref for e in entities if techdocs_annotation(e)}
    built = set(
        DocsSite.objects.filter(
            entity_ref__in=documented, current__isnull=False
        ).values_list("entity_ref", flat=True)
    )
    return {
        e.pk: Facts(
            ref=e.ref,
            kind=e.kind.lower(),
            owner_ref=e.owner_ref,
            processed=e.processed,
            owner_kind=owner_kinds.get(e.owner_ref, ""),
            owner_members=members.get(e.owner_ref, 0),
            docs=("built" if e.ref in built else "not built")
            if e.ref in documented
            else "",
        )
        for e in entities
    }


def stale_ids(rules: RuleSet, limit: int) -> list[int]:
    """Entities scored under other rules, or a scorecard applies but never scored."""
    old = EntityScore.objects.exclude(rules_version=rules.version).values_list(
        "entity_id", flat=True
    )
    found = list(dict.fromkeys(old[: limit * 4]))[:limit]
    if len(found) < limit:
        summaries = EntitySummary.objects.filter(
            ~Exists(EntityScore.objects.filter(entity_id=OuterRef("pk")))
        )
        kinds = _scored_kinds(rules)
        if kinds is not None:
            summaries = summaries.filter(kind__in=kinds)
        found += summaries.values_list("pk", flat=True)[: limit - len(found)]
    return found


def _scored_kinds(rules: RuleSet) -> list[str] | None:
    """The kinds some scorecard scores; None: every kind."""
    if any(not card.kinds for card in rules.scorecards):
        return None
    return sorted({kind for card in rules.scorecards for kind in card.kinds})


def score_stale(limit: int = 5000) -> int:
    rules = rules_in_force()
    if rules.errors or not rules.scorecards:
        return 0
    return score_entities(stale_ids(rules, limit))


# ---------------------------------------------------------------------------
# What the results add up to


def _current(card: Scorecard) -> Any:
    return EntityScore.objects.filter(scorecard=card.id, rules_version=card.version)


def cache_key(name: str, card: Scorecard) -> str:
    """Results change when entities are scored or removed: key on both."""
    newest = EntityScore.objects.aggregate(at=Max("computed_at"))["at"]
    removed = EntityRevision.objects.order_by("-id").values_list("id", flat=True)
    stamp = newest.timestamp() if newest else 0
    return f"scores:{name}:{card.id}:{card.version}:{stamp}:{removed.first() or 0}"


def catalog_summary(card: Scorecard) -> dict[str, Any]:
    """The whole catalog on one scorecard: entities per level, each rule's passes."""
    key = cache_key("catalog", card)
    found: dict[str, Any] | None = cache.get(key)
    if found is None:
        found = _catalog_summary(card)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _catalog_summary(card: Scorecard) -> dict[str, Any]:
    per_level = dict(
        _current(card)
        .order_by()
        .values("level")
        .annotate(n=Count("pk"))
        .values_list("level", "n")
    )
    counted = (
        RuleResult.objects.filter(scorecard=card.id)
        .order_by()
        .values("rule", "passed")
        .annotate(n=Count("pk"))
    )
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"passed": 0, "failed": 0})
    for row in counted:
        tally[row["rule"]]["passed" if row["passed"] else "failed"] += row["n"]
    return {
        "scorecard": card.id,
        "entities": sum(per_level.values()),
        "levels": _levels(card, per_level),
        "rules": [
            {"rule": rule.id, "title": rule.title, "level": card.level_name(rule.level)}
            | tally[rule.id]
            for rule in card.rules
        ],
    }


def _levels(card: Scorecard, per_level: dict[int, int]) -> list[dict[str, Any]]:
    names = ["none", *card.levels]
    return [
        {"level": names[n], "entities": per_level.get(n, 0)} for n in range(len(names))
    ]


def owner_levels(card: Scorecard) -> list[dict[str, Any]]:
    """Each owner's entities on the scorecard; the level it reached is the lowest
    level among them (a team is as ready as its least ready service)."""
    key = cache_key("owners", card)
    found: list[dict[str, Any]] | None = cache.get(key)
    if found is None:
        found = _owner_levels(card)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _owner_levels(
    card: Scorecard, owners: list[str] | None = None
) -> list[dict[str, Any]]:
    rows = _current(card)
    if owners is not None:
        rows = rows.filter(owner_ref__in=owners)
    counted = (
        rows.order_by()
        .values("owner_ref", "level")
        .annotate(n=Count("pk"), passed=Sum("passed"), total=Sum("total"))
    )
    by_owner: dict[str, dict[int, dict[str, int]]] = defaultdict(dict)
    for row in counted:
        by_owner[row["owner_ref"]][row["level"]] = row
    found = []
    for owner, levels in by_owner.items():
        lowest = min(levels)
        found.append(
            {
                "owner": owner,
                "level": card.level_name(lowest) or "none",
                "levelIndex": lowest,
                "entities": sum(r["n"] for r in levels.values()),
                "passed": sum(r["passed"] for r in levels.values()),
                "total": sum(r["total"] for r in levels.values()),
                "levels": _levels(card, {n: r["n"] for n, r in levels.items()}),
            }
        )
    found.sort(key=lambda row: (row["levelIndex"], row["owner"]))
    return found


def owner_level(card: Scorecard, owner: str) -> dict[str, Any] | None:
    """One owner's standing (the group's page), counted for it alone."""
    found = _owner_levels(card, [owner])
    return found[0] if found else None


def entity_results(entity: Entity, rules: RuleSet) -> list[dict[str, Any]]:
    """Each scorecard that applies: the level reached and every rule's verdict."""
    scores = {s.scorecard: s for s in EntityScore.objects.filter(entity=entity)}
    verdicts: dict[tuple[str, str], RuleResult] = {
        (r.scorecard, r.rule): r
        for r in RuleResult.objects.filter(score__entity=entity)
    }
    found = []
    for card in rules.scorecards:
        score = scores.get(card.id)
        if score is None:
            continue
        found.append(
            {
                "scorecard": card,
                "score": score,
                "current": score.rules_version == rules.version,
                "level": card.level_name(score.level),
                "rules": [
                    {"rule": rule, "level": card.level_name(rule.level), "result": r}
                    for rule in card.rules
                    if (r := verdicts.get((card.id, rule.id))) is not None
                ],
            }
        )
    return found


def scores(
    card: Scorecard,
    rule: str = "",
    *,
    passed: bool = False,
    owner: str = "",
    level: int | None = None,
) -> Any:
    """The scores behind a number: a rule's failures (or passes), an owner's
    entities, the entities at one level."""
    rows = _current(card).order_by("ref")
    if rule:
        # In the verdicts' (scorecard, rule, passed, ref) index order: a page
        # of failures reads that page, not every score.
        rows = rows.filter(
            results__scorecard=card.id, results__rule=rule, results__passed=passed
        ).order_by("results__ref")
    if owner:
        rows = rows.filter(owner_ref=owner)
    if level is not None:
        rows = rows.filter(level=level)
    return rows


# ---------------------------------------------------------------------------
# The trend


@public()  # kept for everyone to read: what everyone may see
def take_snapshots() -> int:
    """Store each scorecard's standing now, for the catalog and for each owner
    (restricted entities left out: the trend is everyone's)."""
    rules = rules_in_force()
    now = timezone.now()
    snapshots: list[ScoreSnapshot] = []
    for card in rules.scorecards:
        rows = _owner_levels(card)
        snapshots += [_snapshot(card, "", rows, now)]
        snapshots += [
            _snapshot(card, row["owner"], [row], now) for row in rows if row["owner"]
        ]
    ScoreSnapshot.objects.bulk_create(snapshots)
    thin_snapshots(now - timedelta(days=DAILY_AFTER_DAYS))
    return len(snapshots)


def thin_snapshots(before: Any) -> int:
    """Before `before`, keep one snapshot a day (the day's last) of each scorecard
    and owner: the trend keeps its shape, the table stops growing by the hour."""
    old = ScoreSnapshot.objects.filter(taken_at__lt=before)
    last_of_day = (
        old.annotate(day=TruncDate("taken_at"))
        .values("scorecard", "owner_ref", "day")
        .annotate(last=Max("pk"))
        .values("last")
    )
    return old.exclude(pk__in=last_of_day).delete()[0]


def _snapshot(
    card: Scorecard, owner: str, rows: list[dict[str, Any]], now: Any
) -> ScoreSnapshot:
    levels = [
        sum(row["levels"][n]["entities"] for row in rows)
        for n in range(len(card.levels) + 1)
    ]
    return ScoreSnapshot(
        scorecard=card.id,
        owner_ref=owner,
        taken_at=now,
        entities=sum(levels),
        levels=levels,
        passed=sum(row["passed"] for row in rows),
        total=sum(row["total"] for row in rows),
    )


def trend(card: Scorecard, owner: str = "", points: int = 100) -> list[ScoreSnapshot]:
    newest = ScoreSnapshot.objects.filter(scorecard=card.id, owner_ref=owner).order_by(
        "-taken_at"
    )
    return list(reversed(newest[:points]))


def snapshot_due() -> bool:
    """No snapshot yet, or the newest is GREENROOM_SCORECARD_SNAPSHOT_SECONDS old."""
    newest = ScoreSnapshot.objects.aggregate(at=Max("taken_at"))["at"]
    every = timedelta(seconds=settings.GREENROOM_SCORECARD_SNAPSHOT_SECONDS)
    return newest is None or timezone.now() - newest >= every
