"""The Dockerfile, .dockerignore, docker-compose.yml and lock files, kept correct
without a Docker engine: read as Docker reads them, and the image's build steps
run here (collectstatic with the build's environment, a page served with the
production one)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support.containerfiles import (
    ROOT,
    Instruction,
    build_context,
    command_words,
    compose,
    copied_files,
    dockerfile,
    env_assignments,
    image_env,
    interpolate,
    service_environment,
)
from tests.support.production import NGINX_CONF, Places, service_commands

APP_SERVICES = ("web", "worker", "beat")
# What compose's `${VAR:?}` asks the operator for, as an operator would set it.
OPERATOR_ENV = {"SECRET_KEY": secrets.token_urlsafe(50)}
# Settings production refuses to start without, or runs wrongly without: each
# must come from compose's environment (the image sets none of them).
PRODUCTION_REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "CELERY_BROKER_URL",
    "CACHE_URL",
)
# `check --deploy` warnings accepted with compose's defaults: none (the proxy
# service terminates TLS; the portal redirects plain http and sends HSTS).
ACCEPTED_DEPLOY_WARNINGS: set[str] = set()
# ...and with GREENROOM_PLAIN_HTTP=1, the documented plain-http mode for a trusted
# network: no https redirect, no HSTS, cookies sent over http. Nothing else.
PLAIN_HTTP_DEPLOY_WARNINGS = {
    "security.W004",
    "security.W008",
    "security.W012",
    "security.W016",
}


def _instructions() -> list[Instruction]:
    return dockerfile(ROOT / "Dockerfile")


def _local_packages() -> set[str]:
    """Our own top-level packages: INSTALLED_APPS' and pyproject's."""
    apps = {app.split(".")[0] for app in settings.INSTALLED_APPS}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in found}
    return {name for name in apps | packages | {"portal"} if (ROOT / name).is_dir()}


def test_the_image_gets_every_package_the_portal_imports() -> None:
    copied = copied_files(ROOT, _instructions())

    missing = sorted(
        f"{package}/{path.relative_to(ROOT / package).as_posix()}"
        for package in _local_packages()
        for path in (ROOT / package).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and f"{package}/{path.relative_to(ROOT / package).as_posix()}" not in copied
    )
    assert not missing
    for needed in ("manage.py", "portal/scorecards.yaml", "requirements.txt"):
        assert needed in copied
    assert any(name.startswith("templates/") for name in copied)


def test_the_build_context_leaves_out_local_state() -> None:
    context = build_context(ROOT)

    for prefix in (".venv/", ".git/", "data/", "build/", "tests/", ".hypothesis/"):
        assert not any(name.startswith(prefix) for name in context), prefix
    assert not any("node_modules/" in name for name in context)
    assert not any(name.endswith((".pyc", ".sqlite3")) for name in context)


def _lock(name: str) -> dict[str, str]:
    """A lock file's pins (normalised name -> version); every pin carries hashes."""
    pins: dict[str, str] = {}
    text = (ROOT / name).read_text()
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block)
        if match:
            assert "--hash=sha256:" in block, f"{match.group(1)} has no hash in {name}"
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def _requirement_names(requirements: list[str]) -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.\-]+", r).group(0)).lower()  # type: ignore[union-attr]
        for r in requirements
    }


def test_the_locks_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _lock("requirements.txt"), _lock("requirements-dev.txt")

    assert _requirement_names(project["dependencies"]) <= runtime.keys()
    assert _requirement_names(project["optional-dependencies"]["dev"]) <= dev.keys()
    # The dev lock is compiled against the runtime lock: tests run what ships.
    assert {name: dev[name] for name in runtime} == runtime


def test_the_image_installs_from_the_lock() -> None:
    instructions = _instructions()
    runs = [i.args for i in instructions if i.keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]

    assert installs
    for install in installs:
        assert "--require-hashes" in install
        assert "-r requirements.txt" in install
    first_install = next(i for i, x in enumerate(instructions) if x.args in installs)
    copied_before = copied_files(ROOT, instructions[:first_install])
    assert "requirements.txt" in copied_before


def test_make_installs_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):(.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)

    assert stamp
    assert "requirements-dev.txt" in stamp.group(1)
    assert "--require-hashes -r requirements-dev.txt" in stamp.group(2)
    assert "--no-deps" in stamp.group(2)
    assert re.search(r"^upgrade:", makefile, re.MULTILINE)


def _compose_services() -> dict[str, dict[str, object]]:
    services: dict[str, dict[str, object]] = compose(ROOT / "docker-compose.yml")[
        "services"
    ]
    return services


def _imported(dotted: str) -> object:
    module, _, attribute = dotted.partition(":")
    return (
        getattr(import_module(module), attribute)
        if attribute
        else import_module(module)
    )


def test_compose_commands_name_what_exists() -> None:
    services = _compose_services()
    web = command_words(services["web"]["command"])  # type: ignore[arg-type]
    worker = command_words(services["worker"]["command"])  # type: ignore[arg-type]
    beat = command_words(services["beat"]["command"])  # type: ignore[arg-type]

    assert web[web.index("manage.py") + 1] == "migrate"
    assert web.index("migrate") < web.index("gunicorn")
    assert callable(_imported(web[web.index("gunicorn") + 1]))
    for words, role in ((worker, "worker"), (beat, "beat")):
        assert words[0] == "celery"
        assert role in words
        app = words[words.index("-A") + 1]
        assert hasattr(_imported(app), "celery_app")  # what `celery -A portal` finds
    image_cmd = next(i for i in _instructions() if i.keyword == "CMD")
    assert callable(_imported(json.loads(image_cmd.args)[1]))


def test_compose_gives_every_app_service_what_production_requires() -> None:
    data = compose(ROOT / "docker-compose.yml")

    for service in APP_SERVICES:
        environment = service_environment(data, service, OPERATOR_ENV)
        for name in PRODUCTION_REQUIRED:
            assert environment.get(name), f"{service} has no {name}"
        assert data["services"][service].get("image") == "greenroom:latest"


def test_compose_puts_the_tested_proxy_in_front() -> None:
    services = _compose_services()
    proxy = services["proxy"]
    volumes = [interpolate(str(v), {}).split(":") for v in proxy["volumes"]]  # type: ignore[attr-defined]
    mounts = {inside: outside for outside, inside, *_ in volumes}

    # tests/ops/test_production.py runs the portal behind this very file.
    assert (ROOT / mounts["/etc/nginx/conf.d/default.conf"]).resolve() == NGINX_CONF
    assert "/etc/nginx/certs" in mounts
    assert "http://web:8000" in NGINX_CONF.read_text()
    # Only the proxy is published: the portal trusts X-Forwarded-* from it alone.
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["proxy"]
    for service in APP_SERVICES:
        environment = service_environment(
            compose(ROOT / "docker-compose.yml"), service, OPERATOR_ENV
        )
        assert environment["GREENROOM_TRUSTED_PROXIES"] == "1"


def test_the_smoke_test_runs_composes_commands() -> None:
    """Every app service's command is one the production smoke test runs (it
    reads them from compose); with only its address and /data moved."""
    places = Places(app=Path("/srv/app"), data=Path("/srv/data"))
    for service in APP_SERVICES:
        commands = service_commands(service)
        assert commands
        for words in commands:
            moved = places.command(words)
            assert Path(moved[0]).name in (Path(sys.executable).name, words[0])
            assert [w for w in words[1:] if w not in moved[1:]] == [
                w for w in words[1:] if w == "0.0.0.0:8000" or "/data" in w
            ]


def _production_env(root: Path, data_dir: Path, **overrides: str) -> dict[str, str]:
    """Exactly what a container sees: the image's ENV, then compose's environment
    (operator variables filled in), paths moved from /app and /data to here."""
    env = image_env(_instructions()) | service_environment(
        compose(ROOT / "docker-compose.yml"), "web", OPERATOR_ENV
    )
    moved = {
        name: value.replace("/app", str(root)).replace("/data", str(data_dir))
        if value.startswith(("/app", "/data"))
        else value
        for name, value in env.items()
    }
    return moved | {"PATH": os.environ["PATH"]} | overrides


def _manage(
    root: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("overrides", "accepted"),
    [
        ({}, ACCEPTED_DEPLOY_WARNINGS),
        ({"GREENROOM_PLAIN_HTTP": "1"}, PLAIN_HTTP_DEPLOY_WARNINGS),
    ],
    ids=["behind-the-tls-proxy", "plain-http"],
)
def test_check_deploy_passes_with_compose_environment(
    tmp_path: Path, overrides: dict[str, str], accepted: set[str]
) -> None:
    env = _production_env(ROOT, tmp_path, **overrides)
    result = _manage(ROOT, env, "check", "--deploy")

    assert result.returncode == 0, result.stderr
    warnings = set(re.findall(r"\((security\.W\d+)\)", result.stdout + result.stderr))
    assert warnings == accepted, result.stdout + result.stderr


def _copy_context(destination: Path) -> None:
    """The tree as the image's COPY instructions put it there."""
    for name in copied_files(ROOT, _instructions()):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def _collectstatic_run() -> str:
    runs = [i.args for i in _instructions() if i.keyword == "RUN"]
    return next(run for run in runs if "collectstatic" in run)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


# What gunicorn does with `portal.wsgi:application`: import it, call it.
SERVE = """
import sys
from wsgiref.util import setup_testing_defaults
from portal.wsgi import application
for path in sys.argv[1:]:
    # As compose's proxy passes it on (GREENROOM_TRUSTED_PROXIES=1).
    environ = {"PATH_INFO": path, "HTTP_HOST": "localhost",
               "HTTP_X_FORWARDED_PROTO": "https"}
    setup_testing_defaults(environ)
    statuses = []
    body = application(environ, lambda status, headers: statuses.append(status))
    b"".join(body)
    print(path, statuses[0].split()[0])
# Our apps must come from the copy (an editable install here would hide a gap).
from importlib import import_module
from django.conf import settings
for app in settings.INSTALLED_APPS:
    print("module", import_module(app).__file__)
"""


@pytest.mark.django_db(transaction=True)
def test_the_built_image_serves_pages(tmp_path: Path) -> None:
    app, data = tmp_path / "app", tmp_path / "data"
    _copy_context(app)
    build_env = _production_env(app, data) | env_assignments(_collectstatic_run())
    for name in PRODUCTION_REQUIRED:
        if name not in env_assignments(_collectstatic_run()):
            build_env.pop(name, None)  # a build has no compose environment

    built = _manage(app, build_env, "collectstatic", "--noinput")

    assert built.returncode == 0, built.stderr
    static_root = Path(
        _production_env(app, data).get("GREENROOM_STATIC_ROOT") or data / "static"
    )
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    assert manifest["paths"]
    assert not str(static_root).startswith(str(data))  # not in the data volume

    hashed = next(iter(manifest["paths"].values()))
    served = subprocess.run(
        [sys.executable, "-c", SERVE, "/accounts/login/", "/", f"/static/{hashed}"],
        cwd=app,
        env=_production_env(app, data, DATABASE_URL=_database_url()),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert served.returncode == 0, served.stderr
    lines = [line.split() for line in served.stdout.splitlines()]
    modules = [Path(name) for kind, name in lines if kind == "module"]
    ours = [m for m in modules if "site-packages" not in m.parts]
    assert ours
    assert all(app in module.parents for module in ours), ours
    statuses = {kind: code for kind, code in lines if kind != "module"}
    assert statuses == {
        "/accounts/login/": "200",
        "/": "302",
        f"/static/{hashed}": "200",
    }
