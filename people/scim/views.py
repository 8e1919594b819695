"""/scim/v2/: the SCIM endpoints Okta and Entra ID call (thin views).

Each view reads its input, calls one function of store.py (writes) or one query
(reads) scoped to the provider the token names, and answers in SCIM's shape. A
resource of another provider is a 404, exactly as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http.request import RequestDataTooBig
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.response import Response

from audit.log import client_address
from core.api.base import ApiView
from people.models import OrgProvider, ScimGroup, ScimUser
from people.scim import discovery, errors, filters, store
from people.scim.access import (
    ScimProviderOnly,
    ScimRateThrottle,
    ScimTokenAuthentication,
    provider_of,
)
from people.scim.resources import LIST_SCHEMA, group_doc, project, user_doc
from people.scim.wire import (
    ScimJsonParser,
    ScimJsonRenderer,
    ScimNegotiation,
    too_large,
)

DEFAULT_COUNT = 100  # what Okta asks for
MAX_COUNT = 500


class ScimView(ApiView):
    # Not in the API's OpenAPI document: SCIM describes itself (/Schemas,
    # /ResourceTypes), and its clients read that.
    schema = None
    authentication_classes = [ScimTokenAuthentication]
    permission_classes = [ScimProviderOnly]
    throttle_classes = [ScimRateThrottle]
    parser_classes = [ScimJsonParser]
    renderer_classes = [ScimJsonRenderer]
    content_negotiation_class = ScimNegotiation

    def get_exception_handler(self) -> Any:
        return errors.exception_handler

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):  # should anything read request.body
            exc = too_large()
        return super().handle_exception(exc)

    def locate(self, kind: str, resource_id: str) -> str:
        name = "scim:user" if kind == "User" else "scim:group"
        return self.request.build_absolute_uri(reverse(name, args=[resource_id]))

    def address(self) -> str | None:
        return client_address(self.request._request)


def _attributes(request: Request) -> tuple[list[str], list[str]]:
    def split(name: str) -> list[str]:
        text = request.query_params.get(name, "")
        return [part for part in text.split(",") if part.strip()][:100]

    return split("attributes"), split("excludedAttributes")


def _excluded(request: Request, name: str) -> bool:
    attributes, excluded = _attributes(request)
    if attributes:
        return name.lower() not in {part.strip().lower() for part in attributes}
    return name.lower() in {part.strip().lower() for part in excluded}


def _number(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text[:20])
    except ValueError:
        raise errors.invalid_value(f"{name} is an integer") from None


def _listing(request: Request, rows: QuerySet[Any], build: Any) -> Response:
    """A ListResponse page: startIndex counts from 1 (less is 1), count from 0
    (at most MAX_COUNT); the order (creation, then id) is stable across pages."""
    start = max(_number(request, "startIndex", 1), 1)
    count = min(max(_number(request, "count", DEFAULT_COUNT), 0), MAX_COUNT)
    total = rows.count()
    page = list(rows[start - 1 : start - 1 + count]) if count else []
    attributes, excluded = _attributes(request)
    return Response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [project(build(row), attributes, excluded) for row in page],
        }
    )


def _filtered(request: Request, rows: QuerySet[Any], query: Any) -> QuerySet[Any]:
    text = request.query_params.get("filter")
    if text is None or text == "":
        return rows
    return rows.filter(query(filters.parse(text)))


def _members_of(user_id: Any) -> Q:
    through = ScimGroup.members.through.objects
    holding = through.filter(scimuser_id=user_id) if user_id else through.all()
    return Q(pk__in=holding.values("scimgroup_id"))


def _user_rows(provider: OrgProvider) -> QuerySet[ScimUser]:
    groups = ScimGroup.objects.only("id", "display_name").order_by("created_at", "id")
    return ScimUser.objects.filter(provider=provider).prefetch_related(
        Prefetch("scim_groups", queryset=groups)
    )


def _group_rows(provider: OrgProvider, with_members: bool) -> QuerySet[ScimGroup]:
    rows = ScimGroup.objects.filter(provider=provider)
    if with_members:
        users = ScimUser.objects.only("id", "user_name").order_by("created_at", "id")
        rows = rows.prefetch_related(Prefetch("members", queryset=users))
    return rows


class UsersView(ScimView):
    def get(self, request: Request) -> Response:
        provider = provider_of(request)
        rows = _filtered(
            request,
            _user_rows(provider),
            lambda tree: filters.to_q(tree, filters.USER_FIELDS),
        ).order_by("created_at", "id")
        return _listing(
            request,
            rows,
            lambda user: user_doc(user, user.scim_groups.all(), self.locate),
        )

    def post(self, request: Request) -> Response:
        provider = provider_of(request)
        user = store.create_user(provider, request.data, self.address())
        doc = user_doc(user, [], self.locate)
        return Response(doc, status=201, headers={"Location": doc["meta"]["location"]})


class UserView(ScimView):
    def get(self, request: Request, resource_id: str) -> Response:
        user = store.find_user(provider_of(request), resource_id)
        doc = user_doc(user, user.scim_groups.order_by("created_at", "id"), self.locate)
        return Response(project(doc, *_attributes(request)))

    def put(self, request: Request, resource_id: str) -> Response:
        user = store.replace_user(
            provider_of(request), resource_id, request.data, self.address()
        )
        return Response(self._doc(user))

    def patch(self, request: Request, resource_id: str) -> Response:
        user = store.patch_user(
            provider_of(request), resource_id, request.data, self.address()
        )
        return Response(self._doc(user))

    def delete(self, request: Request, resource_id: str) -> Response:
        store.delete_user(provider_of(request), resource_id, self.address())
        return Response(status=204)

    def _doc(self, user: ScimUser) -> dict[str, Any]:
        groups = user.scim_groups.order_by("created_at", "id")
        return user_doc(user, groups, self.locate)


class GroupsView(ScimView):
    def get(self, request: Request) -> Response:
        provider = provider_of(request)
        with_members = not _excluded(request, "members")
        rows = _filtered(
            request,
            _group_rows(provider, with_members),
            lambda tree: filters.to_q(tree, filters.GROUP_FIELDS, _members_of),
        ).order_by("created_at", "id")
        return _listing(
            request,
            rows,
            lambda group: group_doc(
                group, group.members.all() if with_members else None, self.locate
            ),
        )

    def post(self, request: Request) -> Response:
        provider = provider_of(request)
        group = store.create_group(provider, request.data, self.address())
        doc = group_doc(group, _ordered_members(group), self.locate)
        return Response(doc, status=201, headers={"Location": doc["meta"]["location"]})


def _ordered_members(group: ScimGroup) -> QuerySet[ScimUser]:
    return group.members.only("id", "user_name").order_by("created_at", "id")


class GroupView(ScimView):
    def get(self, request: Request, resource_id: str) -> Response:
        group = store.find_group(provider_of(request), resource_id)
        members = None if _excluded(request, "members") else _ordered_members(group)
        doc = group_doc(group, members, self.locate)
        return Response(project(doc, *_attributes(request)))

    def put(self, request: Request, resource_id: str) -> Response:
        group = store.replace_group(
            provider_of(request), resource_id, request.data, self.address()
        )
        return Response(group_doc(group, _ordered_members(group), self.locate))

    def patch(self, request: Request, resource_id: str) -> Response:
        # No body: Entra ID asks for none, Okta takes a 204 (their guides).
        store.patch_group(
            provider_of(request), resource_id, request.data, self.address()
        )
        return Response(status=204)

    def delete(self, request: Request, resource_id: str) -> Response:
        store.delete_group(provider_of(request), resource_id, self.address())
        return Response(status=204)


class ServiceProviderConfigView(ScimView):
    def get(self, request: Request) -> Response:
        location = request.build_absolute_uri(reverse("scim:config"))
        return Response(discovery.service_provider_config(location, MAX_COUNT))


class ResourceTypesView(ScimView):
    def get(self, request: Request, name: str = "") -> Response:
        types = discovery.resource_types(
            lambda kind: request.build_absolute_uri(
                reverse("scim:resource-type", args=[kind])
            )
        )
        return _one_or_all(types, name, "resource type")


class SchemasView(ScimView):
    def get(self, request: Request, name: str = "") -> Response:
        schemas = discovery.schemas(
            lambda urn: request.build_absolute_uri(reverse("scim:schema", args=[urn]))
        )
        return _one_or_all(schemas, name, "schema")


def _one_or_all(docs: list[dict[str, Any]], name: str, kind: str) -> Response:
    if not name:
        return Response(
            {
                "schemas": [LIST_SCHEMA],
                "totalResults": len(docs),
                "startIndex": 1,
                "itemsPerPage": len(docs),
                "Resources": docs,
            }
        )
    found = next((doc for doc in docs if doc["id"].lower() == name.lower()), None)
    if found is None:
        raise errors.not_found(kind, name)
    return Response(found)


class NotFoundView(ScimView):
    """Any other address under /scim/v2/ (/Bulk, /Me, .search): a SCIM 404."""

    def _missing(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise errors.ScimError(404, f"{request.path[:200]} is not served here")

    get = post = put = patch = delete = _missing
