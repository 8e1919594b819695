"""A component repository, plain or monorepo: its descriptors, README and docs."""

from __future__ import annotations

from typing import Any

from demo.apis import asyncapi_text, openapi_apis, openapi_document, openapi_path
from demo.docs import mkdocs_files
from demo.documents import Doc, dump, entity
from demo.org import GITHUB_ORG, acme


def component_repo_files(comp: Doc) -> dict[str, bytes]:
    """Repo path -> content for the component table row ``comp``."""
    if "subcomponents" in comp:
        return _monorepo_files(comp)
    repo: str = comp["repo"]
    files = {
        "catalog-info.yaml": dump(_component_documents(comp)),
        "README.md": _readme(comp.get("title", repo), comp["description"], comp),
    }
    rest_apis = openapi_apis(comp)
    for api in rest_apis:
        files[openapi_path(api, rest_apis)[2:]] = dump([openapi_document(api)])
    if comp.get("docs"):
        files.update(mkdocs_files(comp))
    return files


def _monorepo_files(comp: Doc) -> dict[str, bytes]:
    repo: str = comp["repo"]
    subs: list[Doc] = comp["subcomponents"]
    # Explicit relative targets rather than a glob: file/git readers need not
    # support searching, and the list documents what the repo contains.
    targets = [f"./services/{sub['name']}/catalog-info.yaml" for sub in subs]
    location = entity(
        "Location",
        {"name": repo, "description": comp["description"]},
        {"targets": targets},
    )
    files = {
        "catalog-info.yaml": dump([location]),
        "README.md": _readme(repo, comp["description"], {}),
    }
    for sub in subs:
        name = sub["name"]
        # The slug names the monorepo: that is where the code lives on GitHub.
        sub_entity = _component_entity({**sub, "repo": repo}, repo)
        files[f"services/{name}/catalog-info.yaml"] = dump([sub_entity])
        files[f"services/{name}/README.md"] = _readme(name, sub["description"], sub)
    return files


def _readme(title: str, description: str, comp: Doc) -> bytes:
    """README.md: what the repo is, who owns it, how to start working on it."""
    lines = [f"# {title}", "", description, ""]
    if comp.get("owner"):
        where = f", part of the `{comp['system']}` system" if comp.get("system") else ""
        lines += [f"Owned by `{comp['owner']}`{where}.", ""]
    quickstart = acme()["quickstart"]
    if comp.get("lang") in quickstart:
        lines += [
            "## Getting started",
            "",
            "```sh",
            quickstart[comp["lang"]],
            "```",
            "",
        ]
    lines += ["The catalog entry lives in `catalog-info.yaml`.", ""]
    return "\n".join(lines).encode()


# The documents of a component's catalog-info.yaml: Component, APIs, Resources.


def _component_documents(comp: Doc) -> list[Doc]:
    """Component + the APIs it provides + the resources it declares."""
    docs = [_component_entity(comp, comp["repo"])]
    rest_apis = openapi_apis(comp)
    docs += [_api_entity(comp, api, rest_apis) for api in comp.get("provides", ())]
    docs += [_resource_entity(comp, res) for res in comp.get("resources", ())]
    return docs


def _component_entity(comp: Doc, repo: str) -> Doc:
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
