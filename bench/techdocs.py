"""TechDocs benchmark: build overhead, the skip decision, page serving, docs search.

1. Build: a generated 300-page docs site (nested folders, code, tables,
   admonitions; words drawn from the real TechDocs fixtures by their own
   frequencies) committed to a git repository, built through Greenroom
   (``techdocs.sites.run_build``: export from git objects, the sandboxed MkDocs
   run, sanitising, publishing to storage, the search index) and by plain
   ``mkdocs build`` of the same tree and config, alternately, ``--builds`` times.
2. Skip: a commit that changes a file outside the docs, the crawl, then
   ``docs_changed(location)`` timed (it must decide, and queue nothing).
3. Serve: server time of the site's pages through Django's test ``Client``.
4. Search: ``/docs/search`` server time with ``--pages`` (10,000) indexed pages
   in sites of 300 pages each (Markdown rendered by python-markdown, indexed by
   ``techdocs.search.replace_sections`` as a build does).

    .venv/bin/python bench/techdocs.py [--pages 10000] [--builds 3]

Uses the database ``greenroom_bench_techdocs`` (PostgreSQL on 127.0.0.1:5432, user
postgres; dropped and recreated each run) and a temp data dir. Results: a
printed table and ``bench/results/techdocs-<pages>-<date>.json``, ``.txt``.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import web  # bench/web.py, beside this script (bench/ is not a package)

ROOT = web.ROOT
FIXTURES = ROOT.parent / "shared" / "fixtures" / "techdocs"
DATABASE = "greenroom_bench_techdocs"
SITE_PAGES = 300
# Targets
OVERHEAD, SKIP_MS, SERVE_MS, SEARCH_MS = 0.25, 50.0, 30.0, 50.0
CONFIG = "site_name: Handbook\nplugins:\n  - techdocs-core\n"


class Done(Exception):
    """The figures asked for are in."""


class Words:
    """Words of the real TechDocs fixtures, drawn by their own frequencies."""

    def __init__(self, rng: random.Random) -> None:
        if not FIXTURES.is_dir():
            raise web.BenchError(f"no fixtures at {FIXTURES} (../shared/fixtures)")
        counts: collections.Counter[str] = collections.Counter()
        for path in FIXTURES.rglob("*.md"):
            text = path.read_text(errors="replace").lower()
            counts.update(re.findall(r"[a-z][a-z-]{1,20}", text))
        self.words, self.weights = zip(*counts.most_common(), strict=True)
        self.rng = rng

    def __call__(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=n))

    def title(self, n: int = 3) -> str:
        return self(n).capitalize()


def page_markdown(words: Words, rng: random.Random, title: str) -> str:
    parts = [f"# {title}\n", words(rng.randint(30, 80)) + ".\n"]
    for _ in range(rng.randint(3, 6)):
        parts.append(f"## {words.title()}\n")
        for _ in range(rng.randint(2, 4)):
            parts.append(words(rng.randint(40, 120)) + ".\n")
        shape = rng.random()
        if shape < 0.3:
            parts.append(
                f"```python\ndef {words(1).replace('-', '_')}():\n    return 1\n```\n"
            )
        elif shape < 0.5:
            rows = "\n".join(f"| {words(1)} | {words(4)} |" for _ in range(5))
            parts.append(f"| Name | What |\n|---|---|\n{rows}\n")
        elif shape < 0.65:
            parts.append(f'!!! note "{words.title(2)}"\n    {words(30)}.\n')
    return "\n".join(parts)


def docs_tree(words: Words, rng: random.Random, pages: int) -> dict[str, str]:
    """A site of `pages` pages in nested folders, with its mkdocs.yml."""
    files = {"mkdocs.yml": CONFIG, "docs/index.md": page_markdown(words, rng, "Home")}
    for i in range(1, pages):
        folder = f"part-{i % 10}/chapter-{i % 7}"
        files[f"docs/{folder}/page-{i}.md"] = page_markdown(words, rng, words.title())
    return files


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=b@b"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", message], check=True)


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def setup(work: Path) -> None:
    env = {
        **os.environ,
        "GREENROOM_DATA_DIR": str(work / "data"),
        "GREENROOM_ALLOW_LOCAL_REPOS": "1",
    }
    os.environ.update(env)
    web.run(["dropdb", *web.PG, "--if-exists", "--force", DATABASE])
    web.run(["createdb", *web.PG, DATABASE])
    web.ensure_database(DATABASE, {**env, **web_env()}, rebuild=False)
    web.setup_django(DATABASE)


def web_env() -> dict[str, str]:
    return {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "SECRET_KEY": "bench",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def bench_build(
    args: argparse.Namespace, work: Path, words: Words, rng: random.Random
) -> dict[str, Any]:
    from catalog.ingest.sync import crawl_location
    from catalog.locations import register_location
    from catalog.models import Location
    from techdocs.models import DocsBuild
    from techdocs.sites import docs_changed, run_build

    repo = work / "handbook"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    descriptor = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
        "  name: handbook\n  annotations: {backstage.io/techdocs-ref: 'dir:.'}\n"
        "spec: {type: documentation, lifecycle: production, owner: team-a}\n"
    )
    tree = docs_tree(words, rng, SITE_PAGES)
    commit(repo, {"catalog-info.yaml": descriptor, **tree}, "docs")
    location, _ = register_location(f"file://{repo}")

    def crawl() -> Location:
        crawl_location(Location.objects.get(pk=location.pk))
        return Location.objects.get(pk=location.pk)

    location = crawl()
    greenroom, plain = [], []
    for i in range(args.builds):
        commit(
            repo, {"docs/index.md": tree["docs/index.md"] + f"\nRun {i}.\n"}, f"r{i}"
        )
        location = crawl()
        [build] = docs_changed(location)
        started = time.perf_counter()
        build = run_build(build)
        greenroom.append(time.perf_counter() - started)
        if build.status != DocsBuild.Status.SUCCEEDED:
            raise web.BenchError(f"the build failed: {build.error}")
        if build.pages != SITE_PAGES:
            raise web.BenchError(f"{build.pages} pages built, not {SITE_PAGES}")
        site_dir = work / f"plain-{i}"
        started = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "mkdocs"),
                "build",
                "-q",
                "-d",
                str(site_dir),
            ],
            cwd=repo,
            check=True,
            capture_output=True,
        )
        plain.append(time.perf_counter() - started)
        web.log(
            f"build {i + 1}: greenroom {greenroom[-1]:.2f} s, plain {plain[-1]:.2f} s"
        )
    ratio = statistics.median(greenroom) / statistics.median(plain) - 1
    return {
        "location": location.pk,
        "repo": str(repo),
        "greenroom_s": [round(s, 2) for s in greenroom],
        "plain_mkdocs_s": [round(s, 2) for s in plain],
        "overhead": round(ratio, 3),
        "target": OVERHEAD,
    }


def bench_skip(args: argparse.Namespace, build: dict[str, Any]) -> dict[str, Any]:
    from catalog.ingest.sync import crawl_location
    from catalog.models import Location
    from techdocs.sites import docs_changed

    repo, samples = Path(build["repo"]), []
    for i in range(args.skips):
        commit(repo, {"README.md": f"Not the docs, {i}.\n"}, f"readme {i}")
        crawl_location(Location.objects.get(pk=build["location"]))
        location = Location.objects.get(pk=build["location"])
        started = time.perf_counter()
        queued = docs_changed(location)
        samples.append((time.perf_counter() - started) * 1000)
        if queued:
            raise web.BenchError("an unchanged docs folder queued a build")
    return {**percentiles(samples), "target_ms": SKIP_MS}


def viewer() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core.roles import grant_role

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    grant_role(user, "viewer")
    client = Client()
    client.force_login(user)
    return client


def get(client: Any, url: str, expect: str) -> Callable[[], None]:
    def call() -> None:
        response = client.get(url)
        if response.status_code != 200 or expect.encode() not in response.content:
            raise web.BenchError(f"{url}: HTTP {response.status_code}, {expect!r}?")

    return call


def bench_serve(args: argparse.Namespace, client: Any) -> dict[str, Any]:
    from techdocs.models import DocsSite
    from techdocs.serve import navigation

    site = DocsSite.objects.select_related("current").get(name="handbook")
    pages = navigation(site.current)["pages"]
    urls = [f"/docs/{site.key}/{page['url']}" for page in pages[:50]]
    for url in urls:
        get(client, url, "Built from commit")()
    samples = [
        timed(get(client, urls[i % len(urls)], "Built from commit"))
        for i in range(args.requests)
    ]
    return {**percentiles(samples), "target_ms": SERVE_MS, "pages": len(urls)}


def index_pages(total: int, words: Words, rng: random.Random) -> dict[str, Any]:
    """`total` pages in sites of SITE_PAGES, indexed as a build indexes them."""
    import markdown
    from django.db import connection
    from django.utils import timezone

    from techdocs.build import Page
    from techdocs.models import DocsBuild, DocsSite
    from techdocs.sanitize import clean
    from techdocs.search import replace_sections

    render = markdown.Markdown(
        extensions=["toc", "tables", "fenced_code", "admonition"]
    )
    started, indexed, site_no = time.perf_counter(), 0, 0
    while indexed < total:
        site = DocsSite.objects.create(
            entity_ref=f"component:default/docs-{site_no}",
            namespace="default",
            kind="component",
            name=f"docs-{site_no}",
            repository=f"https://git.example.com/docs-{site_no}",
        )
        build = DocsBuild.objects.create(
            site=site, commit="0" * 40, tree="0" * 40, status="succeeded",
            finished_at=timezone.now(),
        )  # fmt: skip
        pages = []
        for i in range(min(SITE_PAGES, total - indexed)):
            title = words.title()
            html = clean(render.reset().convert(page_markdown(words, rng, title)))
            pages.append(Page(f"page-{i}/", f"page-{i}.md", title, html, []))
        replace_sections(build, pages)
        DocsSite.objects.filter(pk=site.pk).update(current=build)
        indexed += len(pages)
        site_no += 1
        if site_no % 5 == 0:
            web.log(f"indexed {indexed:,} pages")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE techdocs_docssection")
        cursor.execute("SELECT count(*) FROM techdocs_docssection")
        sections = cursor.fetchone()[0]
    return {
        "pages": indexed,
        "sites": site_no,
        "sections": sections,
        "index_s": round(time.perf_counter() - started, 1),
    }


def search_terms(words: Words) -> dict[str, str]:
    """Queries from the vocabulary: its most common word, a middling and a rare one."""
    common = next(w for w in words.words if len(w) > 4)
    middling = words.words[len(words.words) // 20]
    rare = words.words[len(words.words) // 2]
    return {
        "common word": common,
        "middling word": middling,
        "rare word": rare,
        "two words": f"{middling} {common}",
        "quoted phrase": f'"{common} {words.words[3]}"',
        "no match": "zzyzx",
    }


def bench_search(args: argparse.Namespace, client: Any, words: Words) -> dict[str, Any]:
    from techdocs.search import search

    figures = {}
    for label, query in search_terms(words).items():
        url = f"/docs/search?query={query}"
        call = get(client, url, "Documentation search")
        for _ in range(3):
            call()
        samples = [timed(call) for _ in range(args.requests)]
        found = search(query)
        figures[label] = {
            **percentiles(samples),
            "query": query,
            "matches": f"{'more than ' if found.more else ''}{len(found)}",
            "target_ms": SEARCH_MS,
        }
        web.log(f"search {label} ({query}): p95 {figures[label]['p95_ms']} ms")
    return figures


def table(results: dict[str, Any]) -> str:
    lines = [f"TechDocs, {results.get('index', {}).get('pages', 0):,} indexed pages"]
    if build := results.get("build"):
        verdict = "ok" if build["overhead"] <= OVERHEAD else "MISSED"
        ours = statistics.median(build["greenroom_s"])
        theirs = statistics.median(build["plain_mkdocs_s"])
        lines.append(
            f"build of {SITE_PAGES} pages: Greenroom {ours:.2f} s, plain mkdocs "
            f"{theirs:.2f} s (medians of {len(build['greenroom_s'])}): overhead "
            f"{build['overhead']:+.0%} (target <= {OVERHEAD:.0%}) {verdict}"
        )
    rows = []
    if skip := results.get("skip"):
        rows.append(("unchanged docs: decide to skip", skip))
    if serve := results.get("serve"):
        rows.append(("docs page served", serve))
    for label, figure in results.get("search", {}).items():
        rows.append((f"docs search, {label} ({figure['matches']})", figure))
    lines.append(
        f"{'figure':<52}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'n':>5}{'target':>9}"
    )
    for label, f in rows:
        verdict = "ok" if f["p95_ms"] <= f["target_ms"] else "MISSED"
        lines.append(
            f"{label:<52}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}{f['max_ms']:>8.1f}"
            f"{f['n']:>5}{'<= ' + format(f['target_ms'], '.0f'):>9}  {verdict}"
        )
    if index := results.get("index"):
        lines.append(
            f"index: {index['pages']:,} pages in {index['sites']} sites, "
            f"{index['sections']:,} sections, written in {index['index_s']} s"
        )
    if results.get("error"):
        lines.append(f"\nINCOMPLETE: {results['error']}")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--pages", type=int, default=10_000, help="pages in the search index")
    add("--builds", type=int, default=3, help="builds of each kind, alternating")
    add("--skips", type=int, default=20, help="unchanged-docs crawls timed")
    add("--requests", type=int, default=200, help="timed requests per figure")
    add("--seed", type=int, default=1)
    add(
        "--search-only",
        action="store_true",
        help="time search alone, on the database and index of the last full run",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, Any] = {
        "bench": "techdocs",
        "started": web.now(),
        "config": {**vars(args), "database": DATABASE, "entities": args.pages},
        "code": {
            "head": web.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
            ).strip()
        },
        "machine": {"cpus": os.cpu_count()},
        "figures": {},
    }
    status = 0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="greenroom-bench-docs-") as tmp:
        work = Path(tmp)
        try:
            words = Words(rng)
            if args.search_only:
                web.setup_django(DATABASE)
                gc.collect()
                gc.freeze()
                results["search"] = bench_search(args, viewer(), words)
                raise Done
            setup(work)
            results["build"] = bench_build(args, work, words, rng)
            results["skip"] = bench_skip(args, results["build"])
            client = viewer()
            # As portal/wsgi.py does: what is loaded now is out of the garbage
            # collector's sight, so full collections do not stall requests.
            gc.collect()
            gc.freeze()
            results["serve"] = bench_serve(args, client)
            results["index"] = index_pages(args.pages - SITE_PAGES, words, rng)
            results["index"]["pages"] += SITE_PAGES  # the built site's own
            results["search"] = bench_search(args, client, words)
        except Done:
            pass
        except Exception as exc:
            status = 2 if isinstance(exc, web.BenchError) else 1
            results["error"] = (
                str(exc) if status == 2 else traceback.format_exc(limit=8)
            )
            web.log(f"ERROR: {results['error']}")
    results["finished"] = web.now()
    text = table(results)
    print(f"\n{text}")
    path = web.write_results(results, text, [])
    web.log(f"results written to {path.relative_to(ROOT)} (and .txt)")
    return status


if __name__ == "__main__":
    sys.exit(main())
