"""Webhooks in the API, at /api/webhooks: the same functions as the portal's pages.

Reads: anyone signed in. Writes (create, rotate, delete): editors, and tokens with
the write scope. A secret is in the answer to create and rotate only.
"""

from __future__ import annotations

from typing import Any

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import permissions
from catalog.models import Location
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError, NotFoundError
from webhooks import registry
from webhooks.api import schema
from webhooks.models import Delivery, Webhook
from webhooks.outcomes import attach_outcomes


@extend_schema_view(get=schema.LIST, post=schema.CREATE)
class WebhookListApi(ApiView):
    owner_writes = ("POST",)  # one location's webhook: its owners too

    def get(self, request: Request) -> Response:
        rows = Webhook.objects.select_related("location")
        return Response({"items": [_webhook(w, request) for w in rows]})

    @sensitive_variables("body", "token", "created", "answer")
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        kind, location, owner, token = (
            _string(body, "kind"),
            _string(body, "location"),
            _string(body, "ownerUrl"),
            _string(body, "hostToken"),
        )
        found = None
        if location:
            key = params.parse_uuid(location)
            found = Location.objects.filter(uid=key).first() if key else None
            if found is None:
                raise NotFoundError(f"Found no location with ID {location}")
        permissions.require(request.user, "webhook.manage", found)
        try:
            created = registry.create_webhook(
                kind,
                location=found,
                owner_url=owner,
                user=request.user,
                host_token=token,
                base_url=request.build_absolute_uri("/"),
            )
        except registry.WebhookError as exc:
            raise InputError(str(exc)) from None
        answer = _webhook(created.webhook, request) | {"secret": created.secret}
        return Response(answer, status=201)


@extend_schema_view(get=schema.GET, delete=schema.DELETE)
class WebhookDetailApi(ApiView):
    owner_writes = ("DELETE",)

    def get(self, request: Request, uid: str) -> Response:
        return Response(_webhook(_find(uid), request))

    def delete(self, request: Request, uid: str) -> Response:
        webhook = _find(uid)
        permissions.require(request.user, "webhook.manage", webhook.location)
        registry.delete_webhook(webhook)
        return Response(status=204)


@extend_schema_view(post=schema.ROTATE)
class WebhookRotateApi(ApiView):
    owner_writes = ("POST",)

    @sensitive_variables("secret")
    def post(self, request: Request, uid: str) -> Response:
        webhook = _find(uid)
        permissions.require(request.user, "webhook.manage", webhook.location)
        secret = registry.rotate_secret(webhook)
        return Response(_webhook(webhook, request) | {"secret": secret})


@extend_schema_view(get=schema.DELIVERIES)
class DeliveryListApi(ApiView):
    """The webhook's recent deliveries, newest first, like a host's own log."""

    def get(self, request: Request, uid: str) -> Response:
        webhook = _find(uid)
        query = request.query_params
        limit = params.integer(query, "limit", minimum=1, maximum=params.max_page())
        offset = params.integer(query, "offset", minimum=0, maximum=10**9) or 0
        rows = webhook.deliveries.prefetch_related("crawls__location")
        page = list(rows[offset : offset + (limit or 100)])
        attach_outcomes(page)
        return Response(
            {"totalItems": rows.count(), "items": [_delivery(d) for d in page]}
        )


def _find(uid: str) -> Webhook:
    key = params.parse_uuid(uid)
    webhook = Webhook.objects.select_related("location").filter(uid=key).first()
    if key is None or webhook is None:
        raise NotFoundError(f"Found no webhook with ID {uid}")
    return webhook


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string")
    return value.strip()


def _webhook(webhook: Webhook, request: Request) -> dict[str, Any]:
    return {
        "id": str(webhook.uid),
        "kind": webhook.kind,
        "location": str(webhook.location.uid) if webhook.location else None,
        "ownerUrl": webhook.owner_url or None,
        "payloadUrl": registry.payload_url(webhook, request.build_absolute_uri("/")),
        "createdAt": webhook.created_at.isoformat(),
        "rotatedAt": webhook.rotated_at.isoformat() if webhook.rotated_at else None,
        "previousSecretValidUntil": (
            webhook.previous_valid_until.isoformat()
            if webhook.previous_valid_until
            else None
        ),
        "hostHookId": webhook.host_hook_id or None,
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "receivedAt": delivery.received_at.isoformat(),
        "deliveryId": delivery.delivery_id or None,
        "event": delivery.event or None,
        "repository": delivery.repository or None,
        "ref": delivery.ref or None,
        "commit": delivery.commit or None,
        "statusCode": delivery.status_code,
        "verdict": delivery.verdict,
        "detail": delivery.detail or None,
        "processedAt": (
            delivery.processed_at.isoformat() if delivery.processed_at else None
        ),
        "crawls": [
            {
                "location": str(crawl.location.uid),
                "queuedAt": crawl.queued_at.isoformat(),
                "status": crawl.state,
                "commit": (crawl.run.commit or None) if crawl.run else None,
            }
            for crawl in delivery.crawls.all()
        ],
        "headers": delivery.headers,
    }
