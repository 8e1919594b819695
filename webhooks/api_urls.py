"""The webhooks API routes: /api/webhooks... (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from core.api.base import api
from webhooks import api as views

app_name = "webhooks-api"

urlpatterns = [
    path("webhooks", api(views.WebhookListView), name="list"),
    path("webhooks/<str:uid>", api(views.WebhookDetailView), name="detail"),
    path("webhooks/<str:uid>/rotate", api(views.WebhookRotateView), name="rotate"),
    path(
        "webhooks/<str:uid>/deliveries",
        api(views.DeliveryListView),
        name="deliveries",
    ),
]
