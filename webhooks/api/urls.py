"""The webhooks API routes: /api/webhooks... (mounted at /api/ by portal/urls.py:
the list's address, /api/webhooks, has no trailing slash to hang an include on)."""

from __future__ import annotations

from django.urls import path

from core.api.base import api
from webhooks.api import views

app_name = "webhooks-api"

urlpatterns = [
    path("webhooks", api(views.WebhookListApi), name="list"),
    path("webhooks/<str:uid>", api(views.WebhookDetailApi), name="detail"),
    path("webhooks/<str:uid>/rotate", api(views.WebhookRotateApi), name="rotate"),
    path(
        "webhooks/<str:uid>/deliveries",
        api(views.DeliveryListApi),
        name="deliveries",
    ),
]
