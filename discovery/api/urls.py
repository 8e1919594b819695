"""The discovery API routes, under /api/discovery/ (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from core.api.base import api
from discovery.api import views

app_name = "discovery-api"

urlpatterns = [
    path("repositories/<str:pk>/proposal", api(views.ProposalApi), name="proposal"),
    path("repositories/<str:pk>/request", api(views.OpenRequestApi), name="request"),
]
