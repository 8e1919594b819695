"""The delivery endpoint git hosts call, and the portal's webhook pages (thin views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import (
    sensitive_post_parameters,
    sensitive_variables,
)
from django.views.generic import DetailView, ListView

from catalog import permissions
from catalog.models import Location
from core.roles import can_edit
from webhooks import receive, registry
from webhooks.models import Webhook
from webhooks.outcomes import attach_outcomes

DELIVERIES_SHOWN = 50


@method_decorator([csrf_exempt, login_not_required], name="dispatch")
class DeliveryEndpoint(View):
    """POST /webhooks/<kind>/<hook>: signed deliveries from git hosts."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, kind: str, hook: str) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or ""  # "²".isdigit() is True
        answer = receive.receive(
            kind,
            hook,
            request.headers,
            request.read,  # the raw stream: never request.body or POST
            int(length) if length.isascii() and length.isdigit() else None,
        )
        return JsonResponse(answer.body, status=answer.status)


class WebhookForm(forms.Form):
    kind = forms.ChoiceField(label="Git host", choices=Webhook.Kind.choices)
    location = forms.ModelChoiceField(
        label="Location",
        queryset=Location.objects.order_by("url"),
        required=False,
        to_field_name="uid",
        help_text="One repository…",
    )
    owner_url = forms.CharField(
        label="…or a host organisation",
        required=False,
        max_length=2048,
        help_text="e.g. https://github.com/acme: every location under it.",
    )
    host_token = forms.CharField(
        label="Host token (optional)",
        required=False,
        max_length=500,
        widget=forms.PasswordInput,
        help_text="GitHub or GitLab: create the hook there too. Used once, not kept.",
    )


class WebhookListPage(ListView):
    template_name = "webhooks/list.html"
    context_object_name = "webhooks"
    queryset = Webhook.objects.select_related("location")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "can_edit": can_edit(self.request.user)
        }


class WebhookCreatePage(View):
    """Editors, for a location or an organisation; the owners of what a location
    publishes, for that location (catalog/permissions.py)."""

    template_name = "webhooks/new.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        location = _location_of(request.GET.get("location"))
        permissions.require(request.user, "webhook.manage", location)
        form = WebhookForm(initial={"location": location.uid if location else None})
        return render(request, self.template_name, {"form": form})

    @method_decorator(sensitive_post_parameters("host_token"))
    def post(self, request: HttpRequest) -> HttpResponse:
        form = WebhookForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            permissions.require(request.user, "webhook.manage", data["location"])
            try:
                created = registry.create_webhook(
                    data["kind"],
                    location=data["location"],
                    owner_url=data["owner_url"],
                    user=request.user,
                    host_token=data["host_token"],
                    base_url=request.build_absolute_uri("/"),
                )
            except registry.WebhookError as exc:
                form.add_error(None, str(exc))
            else:
                return _show_secret(request, created.webhook, created.secret, created)
        return render(request, self.template_name, {"form": form}, status=400)


class WebhookDetailPage(DetailView):
    template_name = "webhooks/detail.html"
    context_object_name = "webhook"
    slug_field = slug_url_kwarg = "uid"
    queryset = Webhook.objects.select_related("location", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        webhook = self.object
        deliveries = list(
            webhook.deliveries.prefetch_related("crawls__location")[:DELIVERIES_SHOWN]
        )
        attach_outcomes(deliveries)
        return super().get_context_data(**kwargs) | {
            "deliveries": deliveries,
            "payload_url": registry.payload_url(
                webhook, self.request.build_absolute_uri("/")
            ),
            "can_edit": permissions.allowed(
                self.request.user, "webhook.manage", webhook.location
            ),
        }


class WebhookRotateAction(View):
    """POST: a new secret, shown once on the page that answers."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uid: str) -> HttpResponse:
        webhook = get_object_or_404(Webhook.objects.select_related("location"), uid=uid)
        permissions.require(request.user, "webhook.manage", webhook.location)
        secret = registry.rotate_secret(webhook)
        return _show_secret(request, webhook, secret)


class WebhookDeleteAction(View):
    """POST: delete the webhook, then back to the list."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uid: str) -> HttpResponse:
        webhook = get_object_or_404(Webhook.objects.select_related("location"), uid=uid)
        permissions.require(request.user, "webhook.manage", webhook.location)
        registry.delete_webhook(webhook)
        messages.success(request, "The webhook was deleted; remove it on the host too.")
        return redirect("webhooks:list")


def _location_of(uid: str | None) -> Location | None:
    """The location a ?location= names (the form checks it again), or None."""
    try:
        return Location.objects.filter(uid=uid).first() if uid else None
    except ValidationError:
        return None


@sensitive_variables()  # the secret, and the template context below
def _show_secret(
    request: HttpRequest,
    webhook: Webhook,
    secret: str,
    created: registry.Created | None = None,
) -> HttpResponse:
    context = {
        "webhook": webhook,
        "secret": secret,
        "created": created,
        "payload_url": registry.payload_url(webhook, request.build_absolute_uri("/")),
    }
    return render(request, "webhooks/secret.html", context)
