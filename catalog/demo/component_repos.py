"""The files of one component repository, plain or monorepo."""

from __future__ import annotations

from catalog.demo.component_entities import component_documents, component_entity
from catalog.demo.descriptors import Doc, dump, entity
from catalog.demo.markdown import readme
from catalog.demo.openapi import openapi_apis, openapi_document, openapi_path
from catalog.demo.techdocs import mkdocs_files


def component_repo_files(comp: Doc) -> dict[str, bytes]:
    """Repo path -> content for the component table row ``comp``."""
    if "subcomponents" in comp:
        return _monorepo_files(comp)
    repo: str = comp["repo"]
    files = {
        "catalog-info.yaml": dump(component_documents(comp)),
        "README.md": readme(comp.get("title", repo), comp["description"], comp),
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
        "README.md": readme(repo, comp["description"], {}),
    }
    for sub in subs:
        name = sub["name"]
        # The slug names the monorepo: that is where the code lives on GitHub.
        sub_entity = component_entity({**sub, "repo": repo}, repo)
        files[f"services/{name}/catalog-info.yaml"] = dump([sub_entity])
        files[f"services/{name}/README.md"] = readme(name, sub["description"], sub)
    return files
