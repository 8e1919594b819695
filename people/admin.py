"""Organisation providers in the admin: added through people/providers.py (which
gives each its catalog location), with a write-only secret."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from people import providers
from people.models import OrgProvider, ProviderRun


class OrgProviderForm(forms.ModelForm):  # type: ignore[type-arg]
    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="LDAP: the bind password. Write-only: leave blank to keep it.",
    )

    class Meta:
        model = OrgProvider
        fields = ["name", "kind", "connection", "scope", "settings", "namespace",
                  "interval", "enabled"]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None:
            try:
                providers.check(
                    name=data.get("name") or "",
                    kind=data.get("kind") or "",
                    connection=data.get("connection"),
                    scope=data.get("scope") or "",
                    interval=data.get("interval") or 0,
                    settings=data.get("settings") or {},
                    namespace=data.get("namespace") or "default",
                )
            except providers.ProviderError as exc:
                raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(OrgProvider)
class OrgProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = OrgProviderForm
    list_display = ["name", "kind", "scope", "enabled", "next_run_at"]
    list_filter = ["kind", "enabled"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: OrgProvider | None = None
    ) -> list[str]:
        # What the provider's location names is fixed once it has entities.
        return ["name", "kind", "connection", "scope", "namespace"] if obj else []

    @sensitive_post_parameters("secret")
    def changeform_view(self, *args: Any, **kwargs: Any) -> Any:
        return super().changeform_view(*args, **kwargs)

    @sensitive_variables("secret")
    def save_model(
        self, request: HttpRequest, obj: OrgProvider, form: Any, change: bool
    ) -> None:
        secret = form.cleaned_data.get("secret") or ""
        if change:
            obj.save()
            if secret:
                providers.set_secret(obj, secret)
            return
        created = providers.create_provider(
            name=obj.name,
            kind=obj.kind,
            connection=obj.connection,
            scope=obj.scope,
            settings=obj.settings,
            secret=secret,
            namespace=obj.namespace,
            interval=obj.interval,
        )
        obj.pk, obj.location_id = created.pk, created.location_id

    def delete_model(self, request: HttpRequest, obj: OrgProvider) -> None:
        providers.remove_provider(obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[OrgProvider]
    ) -> None:
        for provider in queryset:
            providers.remove_provider(provider)


@admin.register(ProviderRun)
class ProviderRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["provider", "status", "trigger", "started_at", "added",
                    "changed", "removed", "errors"]  # fmt: skip
    list_filter = ["status", "provider"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ProviderRun | None = None
    ) -> bool:
        return False
