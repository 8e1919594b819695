"""Backstage's catalog API, at /api/catalog/: thin views over catalog/api/*."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import permissions
from catalog.api import entity_params, locations, schema
from catalog.api import query as entity_query
from catalog.api.analyze import analyze_location
from catalog.api.entities import (
    dumps,
    entities_with_bodies,
    json_array,
    json_by_id,
    json_object,
    json_response,
    matching,
    ordered,
    stream,
)
from catalog.api.facets import counted
from catalog.api.location_query import query_locations
from catalog.api.predicates import predicate_q
from catalog.descriptor.validate_request import (
    LocationRefError,
    parse_request_location,
    validate_request,
)
from catalog.ingest.preview import dry_run
from catalog.locations import (
    RegistrationError,
    Target,
    delete_entity,
    refresh_location,
    register_location,
    retarget_location,
    unregister_location,
)
from catalog.models import Entity, Location
from catalog.serialize import served_text, with_bodies
from core.api import params
from core.api.base import ApiView
from core.api.errors import ConflictError, InputError, NotFoundError

MAX_ANCESTRY = 32  # Location entities naming Location entities: a deep chain is a loop


@extend_schema_view(get=schema.ENTITY_LIST)
class EntityListApi(ApiView):
    """GET /entities: the legacy list (filter, fields, order, offset/limit/after)."""

    def get(self, request: Request) -> Any:
        query = request.query_params
        entities = ordered(
            matching(entity_params.filters(query)), entity_params.orders(query)
        )
        fields = entity_params.fields(query)
        page = entity_params.legacy_page(query)
        if page.limit is None:
            return StreamingHttpResponse(
                stream(entities, fields), content_type="application/json"
            )
        ids = list(
            entities.values_list("pk", flat=True)[
                page.offset : page.offset + page.limit + 1
            ]
        )
        rows = entities_with_bodies(ids[: page.limit])
        found = json_by_id(rows, fields)
        response = json_response(json_array(found[e.pk] for e in rows if e.pk in found))
        if len(ids) > page.limit:
            response["Link"] = _next_link(request, page)
        return response


@extend_schema_view(get=schema.ENTITY_QUERY_GET, post=schema.ENTITY_QUERY_POST)
class EntityQueryApi(ApiView):
    """GET and POST (predicate) /entities/by-query: cursor-paged, with totalItems
    and pageInfo."""

    reads_only = True

    def post(self, request: Request) -> Response:
        body = request.data
        if isinstance(body, dict) and body.get("cursor") is not None:
            cursor = body["cursor"]
            if not isinstance(cursor, str):
                raise InputError("cursor must be a string")
            query, offset = entity_query.decode(cursor), 0
            limit = params.body_integer(body, "limit", maximum=params.max_page())
            fields = entity_params.body_fields(body)
        else:
            query, offset, limit, fields = entity_query.from_body(body)
        found = entity_query.page(
            query, offset, entity_query.DEFAULT_LIMIT if limit is None else limit
        )
        return _page_response(found, fields)

    def get(self, request: Request) -> Response:
        query_params = request.query_params
        limit = params.integer(
            query_params, "limit", minimum=0, maximum=params.max_page()
        )
        if "cursor" in query_params:
            query, offset = entity_query.decode(query_params["cursor"]), 0
        else:
            query, offset = entity_query.from_params(query_params)
        found = entity_query.page(
            query, offset, entity_query.DEFAULT_LIMIT if limit is None else limit
        )
        return _page_response(found, entity_params.fields(query_params))


@extend_schema_view(get=schema.ENTITY_BY_NAME)
class EntityByNameApi(ApiView):
    """GET /entities/by-name/{kind}/{namespace}/{name}: one entity, names
    compared case-insensitively."""

    def get(self, request: Request, kind: str, namespace: str, name: str) -> Response:
        text = served_text("ref", f"{kind}:{namespace}/{name}".lower())
        if text is None:
            raise NotFoundError(
                f"No entity named '{name.lower()}' found, with kind '{kind.lower()}' "
                f"in namespace '{namespace.lower()}'"
            )
        return json_response(text)


@extend_schema_view(get=schema.ANCESTRY)
class EntityAncestryApi(ApiView):
    """GET …/ancestry: the entity, the Location entity that emitted it, and so on
    up to the location's generated entity (Backstage's emit graph)."""

    def get(self, request: Request, kind: str, namespace: str, name: str) -> Response:
        ref = f"{kind}:{namespace}/{name}".lower()
        chain: list[Entity] = []
        rows = Entity.objects.only("ref", "parent_ref")
        found = rows.filter(ref=ref).first()
        while found is not None and len(chain) < MAX_ANCESTRY:
            chain.append(found)
            parent = found.parent_ref
            if not parent or parent in {e.ref for e in chain}:
                break
            found = rows.filter(ref=parent).first()
        if not chain:
            raise NotFoundError(f"No entity {ref} found")
        found = json_by_id(entities_with_bodies(e.pk for e in chain), [])
        items = [
            json_object(
                entity=found[e.pk],
                parentEntityRefs=dumps([e.parent_ref] if e.parent_ref else []),
            )
            for e in chain
            if e.pk in found
        ]
        return json_response(
            json_object(rootEntityRef=dumps(ref), items=json_array(items))
        )


@extend_schema_view(get=schema.ENTITY_BY_UID, delete=schema.ENTITY_DELETE)
class EntityByUidApi(ApiView):
    """GET and DELETE /entities/by-uid/{uid}."""

    owner_writes = ("DELETE",)

    def delete(self, request: Request, uid: str) -> Response:
        """204 whether or not it existed, as Backstage answers."""
        key = params.parse_uuid(uid)
        entity = (
            Entity.objects.select_related("location").filter(uid=key).first()
            if key
            else None
        )
        if entity is None:
            permissions.require(request.user, "entity.delete")
        else:
            permissions.require(request.user, "entity.delete", entity.location)
            delete_entity(entity)
        return Response(status=204)

    def get(self, request: Request, uid: str) -> Response:
        key = params.parse_uuid(uid)
        text = served_text("uid", key) if key else None
        if text is None:
            raise NotFoundError(f"No entity with uid {uid}")
        return json_response(text)


@extend_schema_view(post=schema.BY_REFS)
class EntitiesByRefsApi(ApiView):
    """POST /entities/by-refs: the entities in request order, null where missing."""

    reads_only = True

    def post(self, request: Request) -> Response:
        body = request.data
        refs = body.get("entityRefs") if isinstance(body, dict) else None
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise InputError("entityRefs must be a list of entity reference strings")
        if len(refs) > params.max_page():
            raise InputError(f"at most {params.max_page()} entityRefs per request")
        fields = entity_params.body_fields(body)
        wanted = [ref.lower() for ref in refs]
        found = matching(entity_params.filters(request.query_params)).filter(
            ref__in=wanted
        )
        if body.get("query") is not None:
            found = found.filter(predicate_q(body["query"]))
        rows = list(with_bodies(found))
        served = json_by_id(rows, fields)
        by_ref = {e.ref: served[e.pk] for e in rows if e.pk in served}
        items = json_array(by_ref.get(ref, "null") for ref in wanted)
        return json_response(json_object(items=items))


@extend_schema_view(get=schema.FACETS_GET, post=schema.FACETS_POST)
class EntityFacetsApi(ApiView):
    """GET /entity-facets (filter) and POST (predicate): value counts per field."""

    reads_only = True

    def post(self, request: Request) -> Response:
        body = request.data
        wanted = body.get("facets") if isinstance(body, dict) else None
        if not isinstance(wanted, list) or not wanted:
            raise InputError("facets must be a non-empty list of field names")
        if not all(isinstance(f, str) for f in wanted):
            raise InputError("facets must be a list of strings")
        return Response({"facets": counted(wanted, [], body.get("query"))})

    def get(self, request: Request) -> Response:
        query = request.query_params
        wanted = query.getlist("facet")
        if not wanted:
            raise InputError("at least one facet parameter is required")
        return Response({"facets": counted(wanted, entity_params.filters(query))})


def _page_response(found: dict[str, Any], fields: list[str]) -> HttpResponse:
    rows = found["rows"]
    served = json_by_id(rows, fields)
    items = json_array(served[e.pk] for e in rows if e.pk in served)
    return json_response(
        json_object(
            items=items,
            totalItems=dumps(found["totalItems"]),
            pageInfo=dumps(found["pageInfo"]),
        )
    )


def _next_link(request: Request, page: entity_params.Page) -> str:
    """Backstage's `rel="next"` link, keeping the caller's filter, fields, order."""
    query = request.query_params.copy()
    for name in ("offset", "limit", "after"):
        query.pop(name, None)
    after = entity_params.encode_after(
        entity_params.Page(page.offset + (page.limit or 0), page.limit)
    )
    query["limit"], query["after"] = str(page.limit), after
    return f'<{request.path}?{query.urlencode()}>; rel="next"'


@extend_schema_view(get=schema.LOCATIONS_LIST, post=schema.LOCATION_CREATE)
class LocationListApi(ApiView):
    """GET /locations (all, as `[{data}]`); POST /locations registers one."""

    def get(self, request: Request) -> Response:
        rows = Location.objects.order_by("id")[: params.max_page() * 10]
        return Response([{"data": locations.location_json(row)} for row in rows])

    def post(self, request: Request) -> Response:
        parsed = _target_from(request.data)
        target = request.data["target"].strip()
        if request.query_params.get("dryRun") in ("true", "1"):
            return Response(_dry_run(parsed, target), status=201)
        conflict = request.query_params.get("onConflict", "reject")
        if conflict not in ("reject", "refresh"):
            raise InputError("onConflict must be 'reject' or 'refresh'")
        location, created = register_location(parsed.url, parsed.branch, parsed.path)
        if not created:
            if conflict == "reject":
                raise ConflictError(f"Location url:{target} already exists")
            refresh_location(location)
        return Response(
            {"location": locations.location_json(location), "entities": []}, status=201
        )


@extend_schema_view(
    get=schema.LOCATION, put=schema.LOCATION_UPDATE, delete=schema.LOCATION_DELETE
)
class LocationDetailApi(ApiView):
    """GET /locations/{id}; DELETE /locations/{id} unregisters it and its entities."""

    owner_writes = ("DELETE",)

    def get(self, request: Request, uid: str) -> Response:
        return Response(locations.location_json(_location(uid)))

    def put(self, request: Request, uid: str) -> Response:
        """Change its target: a new repository, branch or path, crawled afresh."""
        location = _location(uid)
        target = _target_from(request.data)
        if not retarget_location(location, target):
            raise ConflictError(f"Location url:{target.url} already exists")
        return Response(locations.location_json(location))

    def delete(self, request: Request, uid: str) -> Response:
        location = _location(uid)
        permissions.require(request.user, "location.unregister", location)
        unregister_location(location)
        return Response(status=204)


@extend_schema_view(post=schema.LOCATION_QUERY)
class LocationQueryApi(ApiView):
    """POST /locations/by-query: a predicate over id, type and target; paged."""

    reads_only = True

    def post(self, request: Request) -> Response:
        return Response(query_locations(request.data))


@extend_schema_view(post=schema.ANALYZE)
class AnalyzeLocationApi(ApiView):
    """POST /analyze-location: the import wizard's look at a repository (it clones
    one, so, like registering, it takes an editor or a write token)."""

    def post(self, request: Request) -> Response:
        return Response(analyze_location(request.data))


@extend_schema_view(get=schema.LOCATION_BY_ENTITY)
class LocationByEntityApi(ApiView):
    """GET /locations/by-entity/{kind}/{namespace}/{name}: the location
    whose crawl produced the entity."""

    def get(self, request: Request, kind: str, namespace: str, name: str) -> Response:
        ref = f"{kind}:{namespace}/{name}".lower()
        entity = Entity.objects.select_related("location").filter(ref=ref).first()
        if entity is None:
            raise NotFoundError(f"No entity {ref} in the catalog")
        if entity.location.is_provider:
            # As in Backstage: a provider's entity has no registered location.
            raise NotFoundError(f"No location for entity {ref}")
        return Response(locations.location_json(entity.location))


def _target_from(body: Any) -> Target:
    """`{"type": "url", "target": ...}` checked and parsed, or a 400."""
    if not isinstance(body, dict) or set(body) - {"type", "target", "presence"}:
        raise InputError("expected {type, target} and nothing else")
    if body.get("type") != locations.TYPE:
        raise InputError('Registered locations must be of an allowed type ["url"]')
    target = body.get("target")
    if not isinstance(target, str) or not target.strip():
        raise InputError("target must be a URL")
    try:
        return locations.parse_target(target.strip())
    except RegistrationError as exc:
        raise InputError(str(exc)) from None


def _location(uid: str) -> Location:
    key = params.parse_uuid(uid)
    location = Location.objects.filter(uid=key).first() if key else None
    if location is None:
        raise NotFoundError(f"Found no location with ID {uid}")
    return location


def _dry_run(target: Target, text: str) -> dict[str, Any]:
    """What registering would produce, stored nowhere; any problem is a 400."""
    run = dry_run(target.url, target.branch, target.path)
    if run.preview is None:
        raise InputError(run.failure or "the target could not be read")
    errors = [p.message for p in run.preview.read.problems if p.level == "error"]
    if errors:
        raise InputError("; ".join(errors))
    return {
        "exists": run.existing is not None,
        "location": {"id": f"url:{text}", "type": "url", "target": text},
        "entities": [parsed.entity for parsed in run.preview.read.entities],
    }


@extend_schema_view(post=schema.REFRESH)
class RefreshApi(ApiView):
    """POST /refresh: crawl again, now, the location that produced an entity."""

    owner_writes = ("POST",)

    def post(self, request: Request) -> Response:
        body = request.data
        ref = body.get("entityRef") if isinstance(body, dict) else None
        if not isinstance(ref, str) or not ref:
            raise InputError("entityRef must be an entity reference string")
        entity = Entity.objects.select_related("location").filter(ref=ref.lower())
        location = next((e.location for e in entity), None)
        if location is None:
            raise NotFoundError(f"Failed to schedule {ref} for refresh")
        permissions.require(request.user, "location.refresh", location)
        refresh_location(location)
        return Response(status=200)


@extend_schema_view(post=schema.VALIDATE)
class ValidateEntityApi(ApiView):
    """POST /validate-entity: Backstage's processing of the entity read at the
    given location (catalog/descriptor/validate_request.py), storing nothing."""

    reads_only = True

    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("entity"), dict):
            raise InputError("the body needs an entity object")
        location = body.get("location")
        if not isinstance(location, str):
            raise InputError("location must be a url: location reference")
        try:
            parse_request_location(location)
        except LocationRefError as exc:
            raise InputError(str(exc)) from None
        problems = validate_request(body["entity"], location)
        if problems:
            errors = [{"name": "InputError", "message": p} for p in problems]
            return Response({"errors": errors}, status=400)
        return Response(status=200)
