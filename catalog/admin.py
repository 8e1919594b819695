from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from catalog.locations import delete_entity, refresh_location, unregister_location
from catalog.models import (
    CrawlRun,
    Entity,
    EntityRevision,
    Location,
    ProcessingError,
    Relation,
)


class DeletedByTheCatalog(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows whose deletion is a catalog function (unregister, delete entity):
    it removes what hangs off them (entities are PROTECTed, history and
    relations read-only here), so the admin's own checks on those do not apply."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, _, _ = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), []


@admin.register(Location)
class LocationAdmin(DeletedByTheCatalog):
    list_display = [
        "id",
        "url",
        "branch",
        "path",
        "status",
        "last_commit",
        "last_crawl_finished",
    ]
    # allow_org_kinds is edited in the form: Group and User only from flagged ones.
    list_filter = ["status", "allow_org_kinds"]
    search_fields = ["url", "path"]
    readonly_fields = [
        "uid",
        "last_commit",
        "content_hash",
        "last_crawl_started",
        "last_crawl_finished",
        "last_error",
    ]

    # Allowing or refusing groups and users changes what the same commit produces:
    # read it again now (an unchanged head is otherwise skipped).
    def save_model(
        self, request: HttpRequest, obj: Location, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "allow_org_kinds" in form.changed_data:
            refresh_location(obj)

    # Deleting here is unregistering: entities go with their history recorded.
    def delete_model(self, request: HttpRequest, obj: Location) -> None:
        unregister_location(obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for location in queryset:
            unregister_location(location)


@admin.register(Entity)
class EntityAdmin(DeletedByTheCatalog):
    list_display = [
        "ref",
        "kind",
        "namespace",
        "owner_ref",
        "location",
        "path",
        "updated_at",
    ]
    list_filter = ["kind", "namespace"]
    search_fields = ["ref", "name", "owner_ref"]
    list_select_related = ["location"]
    readonly_fields = [f.name for f in Entity._meta.fields]

    # As the API's DELETE: recorded in history, back on the next crawl if declared.
    def delete_model(self, request: HttpRequest, obj: Entity) -> None:
        delete_entity(obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for entity in queryset.select_related("location"):
            delete_entity(entity)


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ["source_ref", "type", "target_ref"]
    list_filter = ["type"]
    search_fields = ["source_ref", "target_ref"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # crawls own them: the entity bodies include them


@admin.register(ProcessingError)
class ProcessingErrorAdmin(admin.ModelAdmin):
    list_display = ["location", "path", "entity_ref", "level", "message", "commit"]
    list_filter = ["level"]
    list_select_related = ["location"]


@admin.register(CrawlRun)
class CrawlRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "location",
        "status",
        "commit",
        "started_at",
        "finished_at",
        "added",
        "changed",
        "removed",
        "errors",
    ]
    list_filter = ["status"]
    list_select_related = ["location"]


@admin.register(EntityRevision)
class EntityRevisionAdmin(admin.ModelAdmin):
    list_display = ["ref", "action", "owner_ref", "commit", "path", "recorded_at"]
    list_filter = ["action", "kind"]
    search_fields = ["ref", "owner_ref"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is append-only: "the catalog at a date" reads it
