"""/scim/v2/ (mounted by portal/urls.py). Every route takes an optional trailing
slash (clients join base URLs and paths either way), and any other address
under it is a SCIM 404, so a client never gets an HTML page."""

from __future__ import annotations

from django.urls import re_path

from core.api.base import api
from people.scim import views

app_name = "scim"

ID = r"(?P<resource_id>[^/]+)"
urlpatterns = [
    re_path(r"^Users/?$", api(views.UsersView), name="users"),
    re_path(rf"^Users/{ID}/?$", api(views.UserView), name="user"),
    re_path(r"^Groups/?$", api(views.GroupsView), name="groups"),
    re_path(rf"^Groups/{ID}/?$", api(views.GroupView), name="group"),
    re_path(
        r"^ServiceProviderConfig/?$",
        api(views.ServiceProviderConfigView),
        name="config",
    ),
    re_path(r"^ResourceTypes/?$", api(views.ResourceTypesView), name="resource-types"),
    re_path(
        r"^ResourceTypes/(?P<name>[^/]+)/?$",
        api(views.ResourceTypesView),
        name="resource-type",
    ),
    re_path(r"^Schemas/?$", api(views.SchemasView), name="schemas"),
    re_path(r"^Schemas/(?P<name>[^/]+)/?$", api(views.SchemasView), name="schema"),
    re_path(r"", api(views.NotFoundView), name="not-found"),
]
