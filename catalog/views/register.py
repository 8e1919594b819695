"""Register a repository: a dry run of what it would produce, then the real thing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from catalog.forms import RegisterForm
from catalog.ingest.preview import dry_run
from catalog.locations import register_location
from core.roles import EditorRequiredMixin

TEMPLATE = "catalog/register.html"


class RegisterPage(EditorRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, TEMPLATE, {"form": RegisterForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RegisterForm(request.POST)
        if not form.is_valid():
            return render(request, TEMPLATE, {"form": form}, status=400)
        target = form.validated
        if request.POST.get("action") == "register":
            location, created = register_location(
                target.url, target.branch, target.path
            )
            if created:
                messages.success(request, "Registered: the first crawl has started.")
            else:
                messages.info(request, "This location was already registered.")
            return redirect("catalog:location-detail", pk=location.pk)
        return render(request, TEMPLATE, {"form": form, **_dry_run(target)})


def _dry_run(target: Any) -> dict[str, Any]:
    run = dry_run(target.url, target.branch, target.path)
    if run.preview is None:
        return {"target": target, "existing": run.existing, "failure": run.failure}
    return {
        "target": target,
        "existing": run.existing,
        "preview": run.preview,
        "entities": [
            {"parsed": entity, "elsewhere": run.elsewhere.get(entity.ref)}
            for entity in run.preview.read.entities
        ],
    }
