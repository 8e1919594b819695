"""The OpenAPI description of /api/webhooks (see core/api/schema.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from core.api.schema import (
    INTEGER,
    NOT_FOUND,
    NULLABLE_STRING,
    PAGE,
    STRING,
    Schema,
    array,
    obj,
    operation,
    ref,
)
from webhooks.models import Delivery, Webhook

KINDS = {"type": "string", "enum": Webhook.Kind.values}
WEBHOOK: Schema = obj(
    {
        "id": STRING,
        "kind": KINDS,
        "location": NULLABLE_STRING,
        "ownerUrl": NULLABLE_STRING,
        "payloadUrl": STRING,
        "createdAt": STRING,
        "rotatedAt": NULLABLE_STRING,
        "previousSecretValidUntil": NULLABLE_STRING,
        "hostHookId": NULLABLE_STRING,
    },
    ("id", "kind", "payloadUrl", "createdAt"),
)
WITH_SECRET: Schema = {
    "allOf": [WEBHOOK, obj({"secret": STRING}, ("secret",))],
}
DELIVERY: Schema = obj(
    {
        "receivedAt": STRING,
        "deliveryId": NULLABLE_STRING,
        "event": NULLABLE_STRING,
        "repository": NULLABLE_STRING,
        "ref": NULLABLE_STRING,
        "commit": NULLABLE_STRING,
        "statusCode": INTEGER,
        "verdict": {"type": "string", "enum": Delivery.Verdict.values},
        "detail": NULLABLE_STRING,
        "processedAt": NULLABLE_STRING,
        "crawls": array(
            obj(
                {
                    "location": STRING,
                    "queuedAt": STRING,
                    "status": {
                        "type": "string",
                        "enum": [
                            "queued",
                            "up-to-date",
                            "running",
                            "succeeded",
                            "unchanged",
                            "failed",
                        ],
                    },
                    "commit": NULLABLE_STRING,
                }
            )
        ),
        "headers": {"type": "object", "additionalProperties": STRING},
    },
    ("receivedAt", "statusCode", "verdict", "crawls"),
)
NO_WEBHOOK = {404: OpenApiResponse(ref("Error"), "No such webhook")}

LIST = operation(
    "getWebhooks",
    "Every webhook",
    {200: obj({"items": array(WEBHOOK)}, ("items",))},
    tag="webhooks",
)
CREATE = operation(
    "createWebhook",
    "A webhook for a location or a host organisation; the answer holds its secret, "
    "shown this once",
    {201: WITH_SECRET, **NOT_FOUND},
    request=obj(
        {
            "kind": KINDS,
            "location": {**STRING, "description": "a location's id"},
            "ownerUrl": {**STRING, "description": "or a host organisation's URL"},
            "hostToken": {
                **STRING,
                "description": "GitHub or GitLab: create the hook there too "
                "(used once, never kept)",
            },
        },
        ("kind",),
    ),
    tag="webhooks",
)
GET = operation(
    "getWebhook", "One webhook", {200: WEBHOOK, **NO_WEBHOOK}, tag="webhooks"
)
DELETE = operation(
    "deleteWebhook",
    "Delete a webhook (and its deliveries)",
    {204: None, **NO_WEBHOOK},
    tag="webhooks",
)
ROTATE = operation(
    "rotateWebhookSecret",
    "A new secret (in the answer, this once); the previous one stays valid for "
    "GREENROOM_WEBHOOK_ROTATION_GRACE seconds",
    {200: WITH_SECRET, **NO_WEBHOOK},
    tag="webhooks",
)
DELIVERIES = operation(
    "getWebhookDeliveries",
    "A webhook's recent deliveries, newest first",
    {
        200: obj(
            {"totalItems": INTEGER, "items": array(DELIVERY)}, ("totalItems", "items")
        ),
        **NO_WEBHOOK,
    },
    parameters=PAGE,
    tag="webhooks",
)
