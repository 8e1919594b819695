"""Host connections in the admin: the credential is written, never shown again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from audit import log as audit
from discovery import connections, credentials, sources
from discovery.models import DiscoveryRun, DiscoverySource, HostConnection


class HostConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave blank to keep the stored credential.",
    )
    private_key = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A GitHub App's private key (PEM), with the app and installation "
        "ids. Write-only.",
    )

    class Meta:
        model = HostConnection
        fields = ["name", "kind", "api_url", "git_url", "username", "app_id",
                  "installation_id"]  # fmt: skip

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instance = self.instance
        new_secret = data.get("token") or data.get("private_key")
        if not new_secret and instance.pk is None:
            raise forms.ValidationError("A new connection needs a token or an app key.")
        if new_secret:
            instance.kind = data.get("kind") or instance.kind
            try:
                connections.set_credential(
                    instance,
                    token=data.get("token") or "",
                    app_id=data.get("app_id"),
                    installation_id=data.get("installation_id"),
                    private_key=data.get("private_key") or "",
                )
            except connections.HostConnectionError as exc:
                raise forms.ValidationError(str(exc)) from None
            self.rotated = instance.pk is not None
        for field in ("api_url", "git_url"):
            if data.get(field):
                try:
                    data[field] = connections.checked_address(data[field], field)
                except connections.HostConnectionError as exc:
                    self.add_error(field, str(exc))
        return data


@admin.register(HostConnection)
class HostConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = HostConnectionForm
    list_display = ["name", "kind", "api_url", "git_url", "checked_at", "check_result"]
    readonly_fields = ["created_at", "rotated_at", "checked_at", "check_result"]
    actions = ["check_connections"]

    @sensitive_post_parameters("token", "private_key")
    def changeform_view(self, *args: Any, **kwargs: Any) -> Any:
        return super().changeform_view(*args, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: HostConnection, form: Any, change: bool
    ) -> None:
        if getattr(form, "rotated", False):
            credentials.rotated(obj)
        super().save_model(request, obj, form, change)
        if not change:
            audit.record("host.add", obj.name, kind=obj.kind, api=obj.api_url)
        elif getattr(form, "rotated", False):
            audit.record("host.rotate", obj.name)

    def delete_model(self, request: HttpRequest, obj: HostConnection) -> None:
        connections.remove_connection(obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[HostConnection]
    ) -> None:
        for connection in queryset:
            connections.remove_connection(connection)

    @admin.action(description="Check the selected connections with their hosts")
    def check_connections(
        self, request: HttpRequest, queryset: QuerySet[HostConnection]
    ) -> None:
        for connection in queryset:
            result = connections.check_connection(connection)
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, f"{connection.name}: {result.message}", level)


class DiscoverySourceForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DiscoverySource
        fields = ["name", "connection", "scope", "include", "exclude", "topics",
                  "include_archived", "include_forks", "visibility",
                  "descriptor_paths", "interval", "enabled"]  # fmt: skip

    def _post_clean(self) -> None:
        super()._post_clean()  # the form's values are on the instance now
        if self.errors or not self.instance.connection_id:
            return
        try:
            sources.check_source(self.instance)
        except sources.SourceError as exc:
            self.add_error(None, str(exc))


class DiscoveryRunInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DiscoveryRun
    fields = ["started_at", "status", "seen", "registered", "updated",
              "uncatalogued", "removed", "errors", "message"]  # fmt: skip
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-started_at"]


@admin.register(DiscoverySource)
class DiscoverySourceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = DiscoverySourceForm
    list_display = ["name", "connection", "scope", "enabled", "next_run_at"]
    list_filter = ["enabled", "connection"]
    inlines = [DiscoveryRunInline]

    def save_model(
        self, request: HttpRequest, obj: DiscoverySource, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        action = "discovery.change" if change else "discovery.add"
        audit.record(action, obj.name, host=obj.connection.name, scope=obj.scope)
