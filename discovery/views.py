"""Discovery's pages: the sources, and one source's runs, problems and repositories
(thin views over discovery/runs.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, ListView

from core.roles import EditorRequiredMixin, can_edit
from discovery import proposals, runs
from discovery.models import DiscoveredRepository, DiscoveryRun, DiscoverySource
from discovery.tasks import run_discovery_task

RUNS_SHOWN = 20
REPOSITORIES_SHOWN = 200


class SourceListPage(ListView):
    template_name = "discovery/list.html"
    context_object_name = "sources"

    def get_queryset(self) -> QuerySet[DiscoverySource]:
        last_run = DiscoveryRun.objects.order_by("-started_at", "-id")[:1]
        return (
            DiscoverySource.objects.select_related("connection")
            .annotate(repository_count=Count("repositories"))
            .prefetch_related(Prefetch("runs", last_run, to_attr="last_runs"))
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "can_edit": can_edit(self.request.user)
        }


class SourceDetailPage(DetailView):
    template_name = "discovery/detail.html"
    context_object_name = "source"
    slug_field = slug_url_kwarg = "name"
    queryset = DiscoverySource.objects.select_related("connection")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        source: DiscoverySource = self.object
        state = self.request.GET.get("state", "")
        if state not in DiscoveredRepository.State.values:
            state = DiscoveredRepository.State.UNCATALOGUED
        counts = dict(source.repositories.values_list("state").annotate(n=Count("id")))
        # Whole runs apart from the one-repository checks events make, which
        # would bury them.
        recent = list(source.runs.exclude(trigger="event")[:RUNS_SHOWN])
        checks = list(source.runs.filter(trigger="event")[:RUNS_SHOWN])
        problems = recent[0].problems.all()[:500] if recent else []
        rows = source.repositories.filter(state=state).select_related("location")
        return super().get_context_data(**kwargs) | {
            "runs": recent,
            "checks": checks,
            "problems": problems,
            "state": state,
            "states": [
                (value, label, counts.get(value, 0))
                for value, label in DiscoveredRepository.State.choices
            ],
            "repositories": rows[:REPOSITORIES_SHOWN],
            "shown": REPOSITORIES_SHOWN,
            "can_edit": can_edit(self.request.user),
        }


class SourceRunAction(EditorRequiredMixin, View):
    """POST: run the source now (or go on with the run it has)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, name: str) -> HttpResponse:
        source = get_object_or_404(DiscoverySource, name=name)
        run = runs.start_run(source, "manual")
        run_discovery_task.delay(run.pk)
        messages.success(request, "Discovery started: this page shows how it goes.")
        return redirect("discovery:detail", name=source.name)


class RepositoryPage(DetailView):
    """One discovered repository: what the host says, and for an uncatalogued
    one the proposed descriptor and its pull (merge) requests."""

    template_name = "discovery/repository.html"
    context_object_name = "repo"

    def get_queryset(self) -> QuerySet[DiscoveredRepository]:
        return DiscoveredRepository.objects.select_related(
            "source__connection", "location"
        ).filter(source__name=self.kwargs["name"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        repo: DiscoveredRepository = self.object
        uncatalogued = repo.state == DiscoveredRepository.State.UNCATALOGUED
        return super().get_context_data(**kwargs) | {
            "proposal": proposals.proposal_yaml(repo) if uncatalogued else "",
            "path": proposals.PATH,
            "requests": repo.requests.all(),
            "can_request": uncatalogued
            and repo.source.connection.kind in proposals.KINDS_WITH_REQUESTS
            and can_edit(self.request.user),
        }


class RequestAction(EditorRequiredMixin, View):
    """POST: open the pull (merge) request adding the proposed descriptor."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, name: str, pk: int) -> HttpResponse:
        repo = get_object_or_404(
            DiscoveredRepository.objects.select_related("source__connection"),
            pk=pk,
            source__name=name,
        )
        try:
            opened = proposals.open_request(repo)
        except proposals.ProposalError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Request #{opened.number} opened on the host.")
        return redirect("discovery:repository", name=name, pk=pk)
