from __future__ import annotations

from django.contrib import admin

from catalog.models import (
    CrawlRun,
    Entity,
    EntityRevision,
    Location,
    ProcessingError,
    Relation,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "url",
        "branch",
        "path",
        "status",
        "last_commit",
        "last_crawl_finished",
    ]
    list_filter = ["status"]
    search_fields = ["url", "path"]
    readonly_fields = [
        "uid",
        "last_commit",
        "content_hash",
        "last_crawl_started",
        "last_crawl_finished",
        "last_error",
    ]


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
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


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ["source_ref", "type", "target_ref"]
    list_filter = ["type"]
    search_fields = ["source_ref", "target_ref"]


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
