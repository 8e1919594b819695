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

from catalog.locations import refresh_location, unregister_location
from catalog.models import CrawlRun, Entity, Location, ProcessingError
from core.roles import EditorRequiredMixin, can_edit

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
        location = self.object
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
            "can_edit": can_edit(self.request.user),
        }


class LocationRefreshAction(EditorRequiredMixin, View):
    """POST from the location page: queue a fresh crawl, then back to the page."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        location = get_object_or_404(Location, pk=pk)
        refresh_location(location)
        messages.success(request, "A fresh crawl has been queued.")
        return redirect("catalog:location-detail", pk=location.pk)


class LocationUnregisterPage(EditorRequiredMixin, DetailView):
    """GET asks for confirmation; POST removes the location and its entities."""

    template_name = "catalog/location_unregister.html"
    model = Location
    context_object_name = "location"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "entity_count": self.object.entities.count()
        }

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        location = get_object_or_404(Location, pk=pk)
        target = str(location)
        unregister_location(location)
        messages.success(request, f"Unregistered {target}; its entities were removed.")
        return redirect("catalog:location-list")
