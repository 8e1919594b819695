"""Scorecard rules in the admin: each save is a new version, in force at once.
(The admin's own log of additions and deletions reaches the audit log.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from compliance import scoring, tasks
from compliance.models import ScorecardRules
from compliance.rules import RulesError, parse_rules


class RulesForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ScorecardRules
        fields = ["text", "comment"]
        widgets = {"text": forms.Textarea(attrs={"rows": 40, "cols": 100})}

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        try:
            parse_rules(text, "these rules")
        except RulesError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@admin.register(ScorecardRules)
class ScorecardRulesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RulesForm
    list_display = ["id", "created_at", "created_by", "comment"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a change is a new version: "Add" starts from the rules in force

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        newest = ScorecardRules.objects.order_by("-id").first()
        if newest is not None:
            return {"text": newest.text}
        try:
            return {"text": scoring.rules_file().read_text(encoding="utf-8")}
        except OSError:
            return {}

    def save_model(
        self, request: HttpRequest, obj: ScorecardRules, form: Any, change: bool
    ) -> None:
        obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        transaction.on_commit(tasks.score_stale_task.delay)

    def delete_model(self, request: HttpRequest, obj: ScorecardRules) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(tasks.score_stale_task.delay)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        transaction.on_commit(tasks.score_stale_task.delay)
