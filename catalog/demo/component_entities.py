"""The documents of a component's catalog-info.yaml: Component, APIs, Resources."""

from __future__ import annotations

from typing import Any

from catalog.demo.asyncapi import asyncapi_text
from catalog.demo.descriptors import Doc, entity
from catalog.demo.openapi import openapi_apis, openapi_path
from catalog.demo.org_data import GITHUB_ORG, acme


def component_documents(comp: Doc) -> list[Doc]:
    """Component + the APIs it provides + the resources it declares."""
    docs = [component_entity(comp, comp["repo"])]
    rest_apis = openapi_apis(comp)
    docs += [_api_entity(comp, api, rest_apis) for api in comp.get("provides", ())]
    docs += [_resource_entity(comp, res) for res in comp.get("resources", ())]
    return docs


def component_entity(comp: Doc, repo: str) -> Doc:
    """The Component of table row ``comp``, whose code lives in ``repo``."""
    annotations = {"github.com/project-slug": f"{GITHUB_ORG}/{repo}"}
    if comp.get("docs"):
        annotations["backstage.io/techdocs-ref"] = "dir:."
    metadata: Doc = {"name": comp["name"]}
    if "title" in comp:
        metadata["title"] = comp["title"]
    metadata |= {
        "description": comp["description"],
        "annotations": annotations,
        "tags": comp["tags"],
        "links": _links(comp, repo),
    }
    spec: Doc = {
        "type": comp["type"],
        "lifecycle": comp["lifecycle"],
        "owner": comp["owner"],
        "system": comp["system"],
    }
    for key, field in (
        ("provides", "providesApis"),
        ("consumes", "consumesApis"),
        ("depends", "dependsOn"),
    ):
        if comp.get(key):
            spec[field] = list(comp[key])
    return entity("Component", metadata, spec)


def _links(comp: Doc, repo: str) -> list[Doc]:
    links: list[Doc] = [
        {
            "url": f"https://github.com/{GITHUB_ORG}/{repo}",
            "title": "Source",
            "icon": "github",
        }
    ]
    if comp.get("url"):
        links.append({"url": comp["url"], "title": "Live site", "icon": "web"})
    if comp["type"] == "service":
        links.append(
            {
                "url": f"https://grafana.acme.example/d/{comp['name']}",
                "title": "Dashboard",
                "icon": "dashboard",
                "type": "dashboard",
            }
        )
    if comp.get("docs"):
        links.append(
            {
                "url": f"https://docs.acme.example/{repo}",
                "title": "Docs",
                "icon": "docs",
            }
        )
    return links


def _api_entity(comp: Doc, api: str, rest_apis: list[str]) -> Doc:
    api_type, meta, definition = _api_definition(comp, api, rest_apis)
    meta["tags"] = [api_type, comp["tags"][0]]
    spec: Doc = {
        "type": api_type,
        "lifecycle": comp["lifecycle"],
        "owner": comp["owner"],
        "system": comp["system"],
        "definition": definition,
    }
    return entity("API", meta, spec)


def _api_definition(comp: Doc, api: str, rest_apis: list[str]) -> tuple[str, Doc, Any]:
    """(API type, metadata so far, definition) for ``api``."""
    data = acme()
    if api in data["openapi"]:
        meta = {
            "name": api,
            "title": data["openapi"][api]["title"],
            "description": f"REST API of {comp['repo']}.",
        }
        return "openapi", meta, {"$text": openapi_path(api, rest_apis)}
    if api in data["asyncapi"]:
        meta = {"name": api, "description": data["asyncapi"][api]["description"]}
        return "asyncapi", meta, asyncapi_text(api)
    graphql = data["graphql"][api]
    meta = {"name": api, "description": graphql["description"]}
    return "graphql", meta, graphql["schema"]


def _resource_entity(comp: Doc, res: Doc) -> Doc:
    spec: Doc = {"type": res["type"], "owner": comp["owner"], "system": comp["system"]}
    if "depends_on" in res:
        spec["dependsOn"] = list(res["depends_on"])
    meta = {"name": res["name"], "description": res["description"]}
    return entity("Resource", meta, spec)
