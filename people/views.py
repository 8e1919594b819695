"""The providers' pages: each provider, its runs, and its errors (thin views over
people/runs.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, ListView

from catalog.models import Entity, EntityRevision, ProcessingError
from core.roles import EditorRequiredMixin, can_edit
from people.models import OrgProvider, ProviderRun
from people.tasks import run_provider_task

RUNS_SHOWN = 20
ERRORS_SHOWN = 500
LEAVERS_SHOWN = 50


class ProviderListPage(ListView):
    template_name = "people/list.html"
    context_object_name = "providers"

    def get_queryset(self) -> QuerySet[OrgProvider]:
        last_run = ProviderRun.objects.order_by("-started_at", "-id")[:1]
        return (
            OrgProvider.objects.select_related("connection", "location")
            .annotate(entity_count=Count("location__entities"))
            .prefetch_related(Prefetch("runs", last_run, to_attr="last_runs"))
        )


class ProviderDetailPage(DetailView):
    template_name = "people/detail.html"
    context_object_name = "provider"
    slug_field = slug_url_kwarg = "name"
    queryset = OrgProvider.objects.select_related("connection", "location")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        provider: OrgProvider = self.object
        location = provider.location
        kinds = dict(
            Entity.objects.filter(location=location)
            .values_list("kind")
            .annotate(n=Count("id"))
        )
        leavers = EntityRevision.objects.filter(
            location=location, action=EntityRevision.Action.REMOVED
        ).order_by("-recorded_at", "-id")[:LEAVERS_SHOWN]
        return super().get_context_data(**kwargs) | {
            "runs": provider.runs.all()[:RUNS_SHOWN],
            "errors": ProcessingError.objects.filter(location=location).order_by(
                "level", "entity_ref"
            )[:ERRORS_SHOWN],
            "groups": kinds.get("Group", 0),
            "users": kinds.get("User", 0),
            "leavers": leavers,
            "can_edit": can_edit(self.request.user),
            "scim_url": self.request.build_absolute_uri("/scim/v2/"),
        }


class ProviderRunAction(EditorRequiredMixin, View):
    """POST: read the provider now and apply it, even if nothing changed."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, name: str) -> HttpResponse:
        provider = get_object_or_404(OrgProvider, name=name)
        run_provider_task.delay(provider.pk, "manual", True)
        messages.success(request, "Run started: this page shows how it goes.")
        return redirect("people:detail", name=provider.name)
