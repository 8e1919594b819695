"""Scorecard rules as data: YAML text in, validated dataclasses out. No Django.

A rules file holds scorecards; each names its levels (lowest first) and its
rules, and each rule is one check from CHECKS with that check's options:

    scorecards:
      - id: production-readiness
        title: Production readiness
        kinds: [component, api]          # optional: the kinds it scores
        levels: [bronze, silver, gold]   # optional: one level, "complete"
        rules:
          - id: owner
            check: owner-exists
            level: bronze                # optional: the first level
          - id: team
            check: owner-members
            min: 3
          - id: pager
            check: annotation
            key: pagerduty.com/service-id
            matches: "^P[A-Z0-9]{6}$"    # or one_of: [...], or neither: exists

Every mistake is refused with the scorecard and rule it is in, so a person
editing the file knows where to look.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeGuard

import yaml

from catalog.descriptor.rules import is_valid_name

MAX_RULES_TEXT = 256 * 1024
DEFAULT_LEVELS = ("complete",)

# check -> (what it means, the options it takes beyond id/title/check/level/kinds)
CHECKS: dict[str, tuple[str, frozenset[str]]] = {
    "owner-exists": (
        "has an owner that is a Group or User in the catalog",
        frozenset(),
    ),
    "has-description": ("has a metadata.description", frozenset()),
    "has-lifecycle": ("has a spec.lifecycle", frozenset()),
    "techdocs-built": ("has TechDocs, built at least once", frozenset()),
    "has-source-location": (
        "has a backstage.io/source-location annotation",
        frozenset(),
    ),
    "owner-members": (
        "is owned by a group with at least `min` members",
        frozenset({"min"}),
    ),
    "api-definition": (
        "is an API whose spec.definition is a valid document of its type",
        frozenset(),
    ),
    "annotation": (
        "metadata.annotations[key] exists, matches a pattern or is one of",
        frozenset({"key", "matches", "one_of"}),
    ),
    "label": (
        "metadata.labels[key] exists, matches a pattern or is one of",
        frozenset({"key", "matches", "one_of"}),
    ),
    "field": (
        "the field at a dotted path (spec.type) exists, matches or is one of",
        frozenset({"path", "matches", "one_of"}),
    ),
}
COMMON = frozenset({"id", "title", "check", "level", "kinds", "description"})
CARD_KEYS = frozenset({"id", "title", "description", "kinds", "levels", "rules"})


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    check: str
    level: int  # 1-based index into the scorecard's levels
    kinds: frozenset[str] = frozenset()  # empty: every kind the scorecard scores
    key: str = ""  # annotation/label key, or the field's dotted path
    pattern: re.Pattern[str] | None = None
    one_of: tuple[str, ...] = ()
    minimum: int = 1

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True, slots=True)
class Scorecard:
    id: str
    title: str
    description: str
    levels: tuple[str, ...]
    rules: tuple[Rule, ...]
    kinds: frozenset[str] = frozenset()  # empty: every kind
    version: str = ""  # the rule set's: scores made under another are stale

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    @property
    def kind_names(self) -> list[str]:
        return sorted(self.kinds)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def level_name(self, level: int) -> str:
        return self.levels[level - 1] if level > 0 else ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    scorecards: tuple[Scorecard, ...]
    version: str  # a digest of the text: scores made under other rules are stale
    source: str = ""
    errors: tuple[str, ...] = field(default=())

    def get(self, card_id: str) -> Scorecard | None:
        return next((c for c in self.scorecards if c.id == card_id), None)


def parse_rules(text: str, source: str = "scorecards") -> RuleSet:
    """The scorecards in `text`; RulesError naming the scorecard and rule if not."""
    try:
        cards = _load(text)
        parsed = [
            _scorecard(card, f"scorecard {i + 1}") for i, card in enumerate(cards)
        ]
        _unique([c.id for c in parsed], "scorecard")
    except RulesError as exc:
        raise RulesError(f"{source}: {exc}") from None
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    versioned = tuple(replace(card, version=digest) for card in parsed)
    return RuleSet(versioned, digest, source)


def _load(text: str) -> list[Any]:
    if len(text) > MAX_RULES_TEXT:
        raise RulesError(f"larger than {MAX_RULES_TEXT // 1024} KB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) != {"scorecards"}:
        raise RulesError("must be a mapping with one key, scorecards")
    if not isinstance(data["scorecards"], list):
        raise RulesError("scorecards must be a list")
    return data["scorecards"]


def _scorecard(card: Any, where: str) -> Scorecard:
    if not isinstance(card, dict):
        raise RulesError(f"{where}: must be a mapping")
    card_id = card.get("id")
    if not _is_id(card_id):
        raise RulesError(f"{where}: id must be a name like production-readiness")
    where = f"scorecard {card_id!r}"
    _known_keys(card, CARD_KEYS, where)
    levels = card.get("levels", list(DEFAULT_LEVELS))
    if not (isinstance(levels, list) and levels and all(_is_id(v) for v in levels)):
        raise RulesError(f"{where}: levels must be a list of names, lowest first")
    _unique(levels, f"{where}: level")
    rules = card.get("rules")
    if not isinstance(rules, list) or not rules:
        raise RulesError(f"{where}: rules must be a non-empty list")
    parsed = [_rule(rule, where, index, levels) for index, rule in enumerate(rules)]
    _unique([r.id for r in parsed], f"{where}: rule")
    return Scorecard(
        id=card_id,
        title=_required_string(card, "title", where) or card_id,
        description=_required_string(card, "description", where),
        levels=tuple(levels),
        rules=tuple(parsed),
        kinds=_kinds(card, where),
    )


def _rule(rule: Any, card: str, index: int, levels: list[str]) -> Rule:
    where = f"{card}, rule {index + 1}"
    if not isinstance(rule, dict):
        raise RulesError(f"{where}: must be a mapping")
    rule_id = rule.get("id")
    if not _is_id(rule_id):
        raise RulesError(f"{where}: id must be a name like has-owner")
    where = f"{card}, rule {rule_id!r}"
    check = rule.get("check")
    if check not in CHECKS:
        raise RulesError(
            f"{where}: unknown check {check!r}; known checks: {', '.join(CHECKS)}"
        )
    _known_keys(rule, COMMON | CHECKS[check][1], where)
    level = rule.get("level", levels[0])
    if level not in levels:
        raise RulesError(f"{where}: level {level!r} is not one of {levels}")
    options: dict[str, Any] = {}
    if check == "owner-members":
        minimum = rule.get("min", 1)
        if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1:
            raise RulesError(f"{where}: min must be a whole number of at least 1")
        options["minimum"] = minimum
    if check in ("annotation", "label", "field"):
        options.update(_value_test(rule, where, "path" if check == "field" else "key"))
    return Rule(
        id=rule_id,
        title=_required_string(rule, "title", where) or _sentence(CHECKS[check][0]),
        check=check,
        level=levels.index(level) + 1,
        kinds=_kinds(rule, where),
        **options,
    )


def _value_test(rule: dict[str, Any], where: str, name: str) -> dict[str, Any]:
    key = rule.get(name)
    if not isinstance(key, str) or not key.strip():
        raise RulesError(f"{where}: {name} is required")
    if "matches" in rule and "one_of" in rule:
        raise RulesError(f"{where}: give matches or one_of, not both")
    options: dict[str, Any] = {"key": key.strip()}
    if "matches" in rule:
        if not isinstance(rule["matches"], str):
            raise RulesError(f"{where}: matches must be a regular expression")
        try:
            options["pattern"] = re.compile(rule["matches"])
        except re.error as exc:
            raise RulesError(
                f"{where}: matches is not a valid regular expression: {exc}"
            ) from None
    if "one_of" in rule:
        values = rule["one_of"]
        if not isinstance(values, list) or not values:
            raise RulesError(f"{where}: one_of must be a non-empty list")
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise RulesError(f"{where}: one_of must list plain values")
        options["one_of"] = tuple(_as_text(v) for v in values)
    return options


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _as_text(value: Any) -> str:
    # Labels and annotations are strings; `one_of: [1, 2]` means "1" and "2".
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kinds(data: dict[str, Any], where: str) -> frozenset[str]:
    kinds = data.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise RulesError(f"{where}: kinds must be a list of kinds")
    return frozenset(k.lower() for k in kinds)


def _required_string(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise RulesError(f"{where}: {name} must be text")
    return value.strip()


def _known_keys(data: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise RulesError(
            f"{where}: unknown field {', '.join(unknown)}; "
            f"allowed here: {', '.join(sorted(allowed))}"
        )


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise RulesError(f"{what} {value!r} is defined twice")
        seen.add(value)


def _is_id(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and is_valid_name(value)
