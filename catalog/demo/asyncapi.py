"""AsyncAPI 2.6 documents for the event APIs of acme.yaml."""

from __future__ import annotations

from catalog.demo.descriptors import Doc, dump
from catalog.demo.org_data import acme
from catalog.demo.schemas import fields


def asyncapi_text(api: str) -> str:
    """The AsyncAPI document of ``api`` as YAML text, to inline in a descriptor."""
    row = acme()["asyncapi"][api]
    channels: Doc = {}
    messages: Doc = {}
    for channel in row["channels"]:
        message = channel["message"]
        # AsyncAPI 2.x is written from the client's side: "subscribe" means
        # consumers may subscribe, i.e. this service publishes the message.
        channels[channel["topic"]] = {
            "subscribe": {
                "operationId": f"on{message}",
                "message": {"$ref": f"#/components/messages/{message}"},
            }
        }
        messages[message] = _message(message, channel["payload"])
    doc = {
        "asyncapi": "2.6.0",
        "info": {
            "title": row["title"],
            "version": row["version"],
            "description": row["description"],
        },
        "servers": {
            "production": {"url": "kafka.acme.internal:9092", "protocol": "kafka"}
        },
        "channels": channels,
        "components": {"messages": messages},
    }
    return dump([doc]).decode()


def _message(name: str, payload: str) -> Doc:
    properties, required = fields(payload + " occurredAt:date-time")
    return {
        "name": name,
        "contentType": "application/json",
        "payload": {"type": "object", "required": required, "properties": properties},
    }
