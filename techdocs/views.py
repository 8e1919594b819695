"""The documentation pages of the portal: thin views over techdocs/serve.py."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import ListView, TemplateView

from catalog.views.common import EntityMixin
from techdocs import search, serve
from techdocs.models import DocsSite

# Files from a repository (techdocs/serve.py decides their type): images display,
# nothing in any of them may run or load, even when opened by themselves.
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class DocsIndexPage(ListView):
    """`/docs/`: every documented entity, and the state of its site."""

    template_name = "techdocs/index.html"
    paginate_by = 100
    context_object_name = "sites"

    def get_queryset(self) -> Any:
        # Per request, not at import: what each person may see differs.
        return DocsSite.objects.select_related("current")


class DocsSearchPage(ListView):
    """`/docs/search?query=`: sections of every current site, best first."""

    template_name = "techdocs/search.html"
    paginate_by = 20
    context_object_name = "results"

    def get_queryset(self) -> Any:
        self.query = self.request.GET.get("query", "").strip()[:200]
        self.found = search.search(self.query)
        return self.found

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return context | {"search_query": self.query, "more": self.found.more}


class DocsSitePage(View):
    """`/docs/<ns>/<kind>/<name>/<path>`: a page in the portal, or one of its files."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        site = serve.current_site(kwargs["namespace"], kwargs["kind"], kwargs["name"])
        if site is None:
            raise Http404("This entity has no documentation")
        try:
            path = serve.clean_path(kwargs.get("path", ""))
        except serve.NotInSite:
            raise Http404("Not in this site") from None
        build = site.current
        if build is None:
            return DocsPendingPage.as_view()(request, site=site)
        if path == "" or path.endswith("/"):
            return DocsContentPage.as_view()(request, site=site, build=build, url=path)
        if serve.page_html(build, f"{path}/") is not None:
            return HttpResponseRedirect(f"{request.path}/")  # pages end with /
        found = serve.site_file(build, path)
        if found is None:
            raise Http404("Not in this site")
        response = HttpResponse(found.data, content_type=found.content_type)
        response["Content-Security-Policy"] = FILE_CSP
        response["X-Content-Type-Options"] = "nosniff"
        if not found.inline:
            response["Content-Disposition"] = "attachment"
        return response


class DocsContentPage(TemplateView):
    """A built page of the current site, with its navigation (from DocsSitePage)."""

    template_name = "techdocs/page.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        build, url = kwargs["build"], kwargs["url"]
        html = serve.page_html(build, url)
        if html is None:
            raise Http404("No such page in this site")
        nav = serve.navigation(build)
        page = next((p for p in nav["pages"] if p["url"] == url), {})
        base = f"/docs/{kwargs['site'].key}/"
        context |= {
            "content": mark_safe(html),  # noqa: S308 - cleaned by techdocs/sanitize.py
            "nav": serve.nav_links(nav["nav"], base, url),
            "toc": serve.toc_links(page.get("toc") or []),
            "site_name": nav["site_name"],
            "page": page,
            "url": url,
            "base": base,
            "entity_url": f"/catalog/{kwargs['site'].key}",
        }
        return context


class DocsPendingPage(TemplateView):
    """A site with no finished build yet: the state of its latest one."""

    template_name = "techdocs/pending.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        site = kwargs["site"]
        context |= {
            "site": site,
            "latest": site.builds.order_by("-created_at", "-id").first(),
            "entity_url": f"/catalog/{site.key}",
        }
        return context


class DocsTabPage(EntityMixin, TemplateView):
    """The entity's Docs tab: where its docs come from, the builds, their logs."""

    tab = "docs"
    template_name = "techdocs/entity_docs.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        site = DocsSite.objects.filter(entity_ref=self.entity.ref).first()
        builds = list(site.builds.order_by("-created_at", "-id")[:10]) if site else []
        context |= {"site": site, "builds": builds}
        return context
