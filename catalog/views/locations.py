"""Registered locations: their state, a refresh button, and unregistering."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, ListView

from catalog import permissions
from catalog.locations import refresh_location, unregister_location
from catalog.models import CrawlRun, Entity, Location, ProcessingError

ENTITIES_SHOWN = 500


def _count(model: Any) -> Coalesce:
    rows = (
        model.objects.filter(location=OuterRef("pk"))
        .order_by()
        .values("location")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class LocationListPage(ListView):
    template_name = "catalog/location_list.html"
    paginate_by = 50
    context_object_name = "locations"

    def get_queryset(self) -> QuerySet[Location]:
        locations = Location.objects.annotate(
            entity_count=_count(Entity), error_count=_count(ProcessingError)
        ).order_by("url", "path", "id")
        status = self.request.GET.get("status", "")
        if status in Location.Status.values:
            locations = locations.filter(status=status)
        return locations

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "statuses": Location.Status.choices,
            "status": self.request.GET.get("status", ""),
        }


class LocationDetailPage(DetailView):
    template_name = "catalog/location_detail.html"
    model = Location
    context_object_name = "location"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        location, user = self.object, self.request.user
        runs = list(location.runs.all()[:20])
        crawling = (
            location.status == Location.Status.PENDING
            or location.crawl_again
            or bool(runs and runs[0].status == CrawlRun.Status.RUNNING)
        )
        return super().get_context_data(**kwargs) | {
            "runs": runs,
            "crawling": crawling,
            "errors": location.errors.all()[:200],
            "entities": location.entities.order_by("kind", "name").values_list(
                "ref", flat=True
            )[:ENTITIES_SHOWN],
            "entity_count": location.entities.count(),
            "children": location.children.all()[:100],
            "can_refresh": permissions.allowed(user, "location.refresh", location),
            "can_unregister": permissions.allowed(
                user, "location.unregister", location
            ),
            "can_add_webhook": permissions.allowed(user, "webhook.manage", location),
        }


class LocationRefreshAction(View):
    """POST from the location page: queue a fresh crawl, then back to the page.
    Editors, and the owners of what it publishes (catalog/permissions.py)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        location = get_object_or_404(Location, pk=pk)
        permissions.require(request.user, "location.refresh", location)
        refresh_location(location)
        messages.success(request, "A fresh crawl has been queued.")
        return redirect("catalog:location-detail", pk=location.pk)


class LocationUnregisterPage(DetailView):
    """GET asks for confirmation; POST removes the location and its entities.
    Editors, and the owners of what it publishes (catalog/permissions.py)."""

    template_name = "catalog/location_unregister.html"
    model = Location
    context_object_name = "location"

    def get_object(self, queryset: QuerySet[Location] | None = None) -> Location:
        location: Location = super().get_object(queryset)
        permissions.require(self.request.user, "location.unregister", location)
        return location

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "entity_count": self.object.entities.count()
        }

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        location = self.get_object()
        target = str(location)
        unregister_location(location)
        messages.success(request, f"Unregistered {target}; its entities were removed.")
        return redirect("catalog:location-list")
