"""Scorecards: the rules admins edit, each entity's results, and the trend."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.visibility import VisibleManager


class CoverageCount(models.Model):
    """One count of the coverage checks (compliance/coverage.py), made in a worker
    after the catalog changed; the dashboard shows the newest."""

    revision = models.BigIntegerField(help_text="The newest revision id counted.")
    counted_at = models.DateTimeField(default=timezone.now)
    checks = models.JSONField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"coverage at revision {self.revision}"


class ScorecardRules(models.Model):
    """One edit of the rules in the admin; the newest is in force (over the file).

    Every edit is kept, so what was asked of teams at any time can be shown."""

    text = models.TextField(help_text="YAML, as in portal/scorecards.yaml.")
    comment = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = "scorecard rules"
        verbose_name_plural = "scorecard rules"

    def __str__(self) -> str:
        return f"rules of {self.created_at:%Y-%m-%d %H:%M}"


class EntityScore(models.Model):
    """One entity on one scorecard: the level it reached and how many rules pass."""

    entity = models.ForeignKey(
        "catalog.Entity", on_delete=models.CASCADE, related_name="scores"
    )
    scorecard = models.CharField(max_length=63)
    ref = models.CharField(max_length=400)
    kind = models.CharField(max_length=63)
    owner_ref = models.CharField(max_length=400, blank=True)
    level = models.PositiveSmallIntegerField(help_text="Levels reached; 0: none.")
    passed = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    rules_version = models.CharField(max_length=32)
    computed_at = models.DateTimeField(default=timezone.now)

    objects: VisibleManager[EntityScore] = VisibleManager()
    every = models.Manager["EntityScore"]()  # restricted entities' too

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "scorecard"], name="entityscore_unique"
            )
        ]
        indexes = [
            # A scorecard's levels per owning group, and a group's entities.
            models.Index(
                fields=["scorecard", "owner_ref", "level"], name="score_owner_level"
            ),
            models.Index(fields=["scorecard", "level", "ref"], name="score_level"),
            models.Index(fields=["computed_at"], name="score_computed"),
            models.Index(fields=["rules_version"], name="score_version"),
        ]
        ordering = ["ref"]

    def __str__(self) -> str:
        return f"{self.ref} on {self.scorecard}: level {self.level}"


class RuleResult(models.Model):
    """One rule's verdict in one entity's score, with what it saw."""

    score = models.ForeignKey(
        EntityScore, on_delete=models.CASCADE, related_name="results"
    )
    scorecard = models.CharField(max_length=63)
    rule = models.CharField(max_length=63)
    ref = models.CharField(max_length=400, help_text="The entity's, for ordering.")
    passed = models.BooleanField()
    detail = models.CharField(max_length=300, blank=True)

    objects: VisibleManager[RuleResult] = VisibleManager()
    every = models.Manager["RuleResult"]()  # restricted entities' too

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["score", "rule"], name="ruleresult_unique")
        ]
        indexes = [
            # Pass rates per rule and a rule's failures are counted from the
            # index alone, and listed in ref order straight from it.
            models.Index(
                fields=["scorecard", "rule", "passed", "ref"],
                include=["score"],
                name="result_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard}/{self.rule}: {'pass' if self.passed else 'fail'}"


class ScoreSnapshot(models.Model):
    """A scorecard's standing at one moment, for the catalog ('' owner) or one
    owning group: what the trend charts draw."""

    scorecard = models.CharField(max_length=63)
    owner_ref = models.CharField(max_length=400, blank=True)
    taken_at = models.DateTimeField(default=timezone.now)
    entities = models.PositiveIntegerField()
    levels = models.JSONField(help_text="Entities per level reached, from 0.")
    passed = models.PositiveIntegerField(help_text="Rule checks passed.")
    total = models.PositiveIntegerField(help_text="Rule checks made.")

    class Meta:
        indexes = [
            models.Index(
                fields=["scorecard", "owner_ref", "taken_at"], name="snapshot_owner"
            )
        ]
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"{self.scorecard} {self.owner_ref or 'catalog'} at {self.taken_at}"
