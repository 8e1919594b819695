"""The demo's API definitions: OpenAPI 3.0 and AsyncAPI 2.6 documents from acme.yaml."""

from __future__ import annotations

from demo.documents import Doc, dump
from demo.org import acme, api_provider

# JSON schemas from the compact "name:type name:type?" notation in acme.yaml.


def fields(spec: str) -> tuple[Doc, list[str]]:
    """Turn "name:type name:type?" into JSON-schema properties + required."""
    properties: Doc = {}
    required: list[str] = []
    for item in spec.split():
        name, type_spec = item.split(":", 1)
        if type_spec.endswith("?"):
            type_spec = type_spec[:-1]
        else:
            required.append(name)
        properties[name] = _schema_for(type_spec)
    return properties, required


def _schema_for(type_spec: str) -> Doc:
    if type_spec.endswith("[]"):
        return {"type": "array", "items": _schema_for(type_spec[:-2])}
    if type_spec.startswith("enum:"):
        return {"type": "string", "enum": type_spec[5:].split("|")}
    if type_spec in ("uuid", "date-time"):
        return {"type": "string", "format": type_spec}
    return {"type": type_spec}


# OpenAPI 3.0 documents generated from the model rows of acme.yaml.


def openapi_document(api: str) -> Doc:
    """A small but complete OpenAPI document for REST API ``api``."""
    row = acme()["openapi"][api]
    model, collection = row["model"], row["collection"]
    base = f"/{collection}"
    properties, required = fields(row["fields"])
    paths: Doc = {}
    schemas: Doc = {
        model: {"type": "object", "required": required, "properties": properties}
    }
    if "list" in row["operations"]:
        paths.setdefault(base, {})["get"] = _list_operation(model, collection, row)
        schemas[f"{model}Page"] = _page_schema(model)
    if "create" in row["operations"]:
        paths.setdefault(base, {})["post"] = _create_operation(model)
    if "get" in row["operations"]:
        paths[f"{base}/{{id}}"] = {"get": _get_operation(model)}
    schemas["Error"] = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }
    provider = api_provider(api)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": row["title"],
            "version": row["version"],
            "description": provider["description"],
        },
        "servers": [{"url": f"https://api.acme.example/{provider['repo']}"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _list_operation(model: str, collection: str, row: Doc) -> Doc:
    params: list[Doc] = [
        {
            "name": q,
            "in": "query",
            "required": q == "q",
            "schema": {"type": "string"},
        }
        for q in row["query"]
    ]
    params += [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        },
        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
    ]
    page_ref = {"$ref": f"#/components/schemas/{model}Page"}
    return {
        "operationId": f"list{model}s",
        "summary": f"List {collection.replace('-', ' ')}",
        "parameters": params,
        "responses": {
            "200": _json_body(page_ref, "One page of results"),
            "400": _error(),
        },
    }


def _page_schema(model: str) -> Doc:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": _model_ref(model)},
            "nextCursor": {"type": "string", "nullable": True},
        },
    }


def _create_operation(model: str) -> Doc:
    return {
        "operationId": f"create{model}",
        "summary": f"Create a {model}",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _model_ref(model)}},
        },
        "responses": {"201": _json_body(_model_ref(model), "Created"), "422": _error()},
    }


def _get_operation(model: str) -> Doc:
    return {
        "operationId": f"get{model}",
        "summary": f"Fetch one {model}",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {"200": _json_body(_model_ref(model), "Found"), "404": _error()},
    }


def _model_ref(model: str) -> Doc:
    return {"$ref": f"#/components/schemas/{model}"}


def _error() -> Doc:
    return _json_body({"$ref": "#/components/schemas/Error"}, "Problem details")


def _json_body(schema: Doc, description: str) -> Doc:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def openapi_apis(comp: Doc) -> list[str]:
    """The REST APIs ``comp`` provides, each with a document in its repo."""
    return [api for api in comp.get("provides", ()) if api in acme()["openapi"]]


def openapi_path(api: str, openapi_apis: list[str]) -> str:
    """Where the document of ``api`` sits, relative to the repo root."""
    # One OpenAPI document sits at the repo root; several would get a folder.
    return "./openapi.yaml" if len(openapi_apis) == 1 else f"./openapi/{api}.yaml"


# AsyncAPI 2.6 documents for the event APIs of acme.yaml.


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
