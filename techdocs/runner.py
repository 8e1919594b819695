"""The build process: MkDocs on a sanitised config, inside the sandbox.

Started by techdocs/build.py as `python -m techdocs.runner JOB.json` with a
scrubbed environment, resource limits and a timeout; it never imports Django and
holds no secrets. It loads the options techdocs/config.py kept (never a file from
the repository), builds, and writes what the portal serves: every page's rendered
content, title and table of contents, and the navigation (`pages.json`), beside
the site MkDocs wrote (images and other files, `techdocs_metadata.json`).
"""

from __future__ import annotations

import importlib
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from techdocs.config import PYTHON_NAMES

PYTHON_NAME = "__python_name__"


def objects(value: Any) -> Any:
    """JSON options back to MkDocs' values: allowlisted Python names imported."""
    if isinstance(value, dict):
        if set(value) == {PYTHON_NAME}:
            dotted = value[PYTHON_NAME]
            if dotted not in PYTHON_NAMES:
                raise ValueError(f"{dotted} is not an allowed Python name")
            module, _, name = dotted.rpartition(".")
            return getattr(importlib.import_module(module), name)
        return {key: objects(item) for key, item in value.items()}
    if isinstance(value, list):
        return [objects(item) for item in value]
    return value


def _toc(items: Any) -> list[dict[str, Any]]:
    return [
        {"title": i.title, "id": i.id, "level": i.level, "children": _toc(i.children)}
        for i in items
    ]


def _nav(items: Any) -> list[dict[str, Any]]:
    result = []
    for item in items:
        entry: dict[str, Any] = {"title": item.title}
        if getattr(item, "is_page", False):
            entry["url"] = item.url
        elif getattr(item, "is_link", False):
            entry["link"] = item.url
        if getattr(item, "children", None):
            entry["children"] = _nav(item.children)
        result.append(entry)
    return result


def capture_plugin(output: Path) -> Any:
    from mkdocs.plugins import BasePlugin, event_priority

    class Capture(BasePlugin):  # type: ignore[type-arg]
        """Keeps what the portal shows; runs after techdocs-core set things up."""

        def __init__(self) -> None:
            self.pages: list[dict[str, Any]] = []
            self.site_nav: Any = None

        @event_priority(-100)
        def on_config(self, config: Any) -> Any:
            # Without the plantuml program a ```plantuml block would fail the
            # whole site; without the extension it shows as its source instead.
            if shutil.which("plantuml") is None:
                extensions = config["markdown_extensions"]
                if "plantuml_markdown" in extensions:
                    extensions.remove("plantuml_markdown")
                config["mdx_configs"].pop("plantuml_markdown", None)
            return config

        def on_nav(self, nav: Any, config: Any, files: Any) -> Any:
            self.site_nav = nav  # read at the end: page titles come from content
            return nav

        @event_priority(-100)
        def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
            self.pages.append(
                {
                    "url": page.url,
                    "src": page.file.src_uri,
                    "title": page.title,
                    "content": html,
                    "toc": _toc(page.toc.items),
                }
            )
            return html

        def on_post_build(self, config: Any) -> None:
            data = {"site_name": config["site_name"], "nav": _nav(self.site_nav.items)}
            data["pages"] = self.pages
            output.write_text(json.dumps(data))

    return Capture()


def build(job: dict[str, Any]) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    root = Path(job["root"])
    options = objects(job["options"])
    config = load_config(
        config_file=io.StringIO("{}"),  # the options are all given here
        config_file_path=str(root / "mkdocs.yml"),
        docs_dir=str(root / job["docs_dir"]),
        site_dir=job["site_dir"],
        **options,
    )
    config.plugins["greenroom-capture"] = capture_plugin(Path(job["output"]))
    mkdocs_build(config)


if __name__ == "__main__":
    build(json.loads(Path(sys.argv[1]).read_text()))
