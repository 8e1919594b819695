from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks

from core import tabs


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from compliance.scorecard_views import EntityScorecardsPage  # needs models

        checks.register(check_rules_file, "compliance")
        view = EntityScorecardsPage.as_view()
        tabs.register(tabs.EntityTab("scorecards", "Scorecards", 50, view))


def check_rules_file(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """`manage.py check` (and every server start) refuses a broken rules file,
    naming the scorecard and rule."""
    from compliance.rules import RulesError, parse_rules
    from compliance.scoring import rules_file

    path = rules_file()
    try:
        parse_rules(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        return [checks.Error(f"{path}: cannot be read: {exc}", id="compliance.E001")]
    except RulesError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix the rule, or point GREENROOM_SCORECARDS_FILE elsewhere.",
                id="compliance.E002",
            )
        ]
    return []
