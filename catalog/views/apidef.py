"""The Definition tab of API entities, its Swagger UI explorer and the raw text."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView

from catalog import apidefs
from catalog.models import Entity
from catalog.refs_display import entity_url
from catalog.views.common import EntityMixin, entity_or_404
from core.csp import script_source

# The explorer runs Swagger UI on an untrusted definition: only our own static
# scripts may run, so markup smuggled into a description cannot execute. Styles
# may be inline because Swagger UI (React) sets style attributes; connect-src is
# open so that "Try it out" reaches the API's own servers, as in Backstage.
EXPLORER_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src *",
        "font-src 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


def explorer_policy(request: HttpRequest) -> str:
    """Scripts from the portal's static folder only, as on every page: a docs
    site's own `.js`, served from the same origin, never runs here."""
    return EXPLORER_CSP.format(scripts=script_source(request))


def api_entity_or_404(kwargs: dict[str, Any]) -> Entity:
    entity = entity_or_404(kwargs["namespace"], kwargs["kind"], kwargs["name"])
    if not apidefs.is_api(entity):
        raise Http404("Only API entities have a definition")
    return entity


def definition_urls(entity: Entity) -> dict[str, str]:
    return {
        "explorer_url": entity_url(entity.ref, "definition/explorer"),
        "raw_url": entity_url(entity.ref, "definition/raw"),
    }


class EntityDefinitionPage(EntityMixin, TemplateView):
    """The definition highlighted (OpenAPI: the explorer too), with who provides
    and consumes the API."""

    tab = "definition"
    template_name = "catalog/entity_definition.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if not apidefs.is_api(self.entity):
            raise Http404("Only API entities have a definition")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        text = apidefs.definition_text(self.entity)
        providers, consumers = apidefs.providers_and_consumers(self.entity)
        context |= definition_urls(self.entity)
        context |= {
            "definition": text,
            "highlighted": apidefs.highlight(text, apidefs.api_type(self.entity)),
            "highlight_limit_kib": apidefs.HIGHLIGHT_LIMIT // 1024,
            "is_openapi": apidefs.is_openapi(self.entity),
            "download_name": apidefs.download_name(self.entity, text),
            "providers": providers,
            "consumers": consumers,
        }
        return context


@method_decorator(xframe_options_sameorigin, name="dispatch")
class DefinitionExplorerPage(TemplateView):
    """Swagger UI on a page of its own, framed by the Definition tab."""

    template_name = "catalog/api_explorer.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.entity = api_entity_or_404(kwargs)
        if not apidefs.is_openapi(self.entity):
            raise Http404("Only OpenAPI definitions have an explorer")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        meta = self.entity.processed.get("metadata", {})
        context |= definition_urls(self.entity)
        context |= {
            "entity": self.entity,
            "title": meta.get("title") or meta.get("name"),
        }
        return context

    def render_to_response(
        self, context: dict[str, Any], **kwargs: Any
    ) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        response["Content-Security-Policy"] = explorer_policy(self.request)
        return response


@method_decorator(xframe_options_sameorigin, name="dispatch")
class SchemaExplorerPage(TemplateView):
    """Swagger UI on Greenroom's own OpenAPI schema (/api/schema/), served locally."""

    template_name = "catalog/api_explorer.html"
    extra_context = {"title": "Greenroom API", "raw_url": "/api/schema/?format=json"}

    def render_to_response(
        self, context: dict[str, Any], **kwargs: Any
    ) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        response["Content-Security-Policy"] = explorer_policy(self.request)
        return response


class DefinitionRawFile(View):
    """The definition as written, as JSON or plain text: never as something a
    browser would render or run."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        entity = api_entity_or_404(kwargs)
        text = apidefs.definition_text(entity)
        response = HttpResponse(text, content_type=apidefs.raw_content_type(text))
        response["X-Content-Type-Options"] = "nosniff"
        filename = apidefs.download_name(entity, text)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response
