"""OpenAPI 3.0 documents generated from the model rows of acme.yaml."""

from __future__ import annotations

from catalog.demo.descriptors import Doc
from catalog.demo.org_data import acme, api_provider
from catalog.demo.schemas import fields


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
