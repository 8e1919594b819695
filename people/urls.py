from __future__ import annotations

from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("", views.ProviderListPage.as_view(), name="list"),
    path("<slug:name>", views.ProviderDetailPage.as_view(), name="detail"),
    path("<slug:name>/run", views.ProviderRunAction.as_view(), name="run"),
]
