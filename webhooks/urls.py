from __future__ import annotations

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookListPage.as_view(), name="list"),
    path("new", views.WebhookCreatePage.as_view(), name="new"),
    path("<uuid:uid>/", views.WebhookDetailPage.as_view(), name="detail"),
    path("<uuid:uid>/rotate", views.WebhookRotateAction.as_view(), name="rotate"),
    path("<uuid:uid>/delete", views.WebhookDeleteAction.as_view(), name="delete"),
    path("<str:kind>/<str:hook>", views.DeliveryEndpoint.as_view(), name="deliver"),
]
