"""Django's debug page: never for another machine, never with a secret in it; and
DEBUG is off unless asked for, while the laptop path keeps working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from tests.support.deliveries import recorded
from webhooks.models import Webhook
from webhooks.registry import create_webhook, payload_url
from webhooks.verify import verify

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
REMOTE = "203.0.113.9"  # TEST-NET-3: any machine but this one


@login_not_required
def explode(request: HttpRequest) -> HttpResponse:
    """A failure deep in a function that holds a webhook's secrets (an unknown
    host kind is a KeyError inside verify)."""
    webhook = Webhook.objects.get()
    verify("no-such-kind", request.headers, request.body, webhook.secrets())
    return HttpResponse("unreachable")


urlpatterns = [
    path("explode", explode),
    path("", include("portal.urls")),
]


@pytest.fixture
def webhook_and_secret() -> tuple[Webhook, str]:
    created = create_webhook("github", owner_url="https://github.com/acme")
    return created.webhook, created.secret


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__


def test_a_non_ascii_signature_is_403_with_no_traceback_and_no_secret(
    webhook_and_secret, debug_on
):
    webhook, secret = webhook_and_secret
    push = recorded("github/push-branch-added-modified.go-playground")
    headers = {**push.headers, "X-Hub-Signature-256": "sha256=\xff"}
    response = Client(raise_request_exception=False).post(
        payload_url(webhook),
        push.body,
        content_type="application/json",
        headers=headers,
        REMOTE_ADDR=REMOTE,
    )
    assert response.status_code == 403
    assert b"Traceback" not in response.content
    assert secret.encode() not in response.content


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        (REMOTE, {}),
        ("2001:db8::1", {}),
        # A proxy on this machine: REMOTE_ADDR is loopback, the client is not.
        ("127.0.0.1", {"X-Forwarded-For": REMOTE}),
        ("127.0.0.1", {"Forwarded": f"for={REMOTE}"}),
        ("::1", {"X-Real-IP": REMOTE}),
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_other_machines_get_the_plain_500_even_with_debug_on(
    webhook_and_secret, debug_on, address, headers, accept
):
    _, secret = webhook_and_secret
    response = Client(raise_request_exception=False).post(
        "/explode",
        b"{}",
        content_type="application/json",
        headers={**headers, "Accept": accept},
        REMOTE_ADDR=address,
    )
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert b"no-such-kind" not in response.content
    assert secret.encode() not in response.content


def test_this_machine_gets_the_debug_page_without_secrets(debug_on, settings):
    settings.GREENROOM_SECRETS_KEY = "sealing-key-never-shown"
    secret = create_webhook("github", owner_url="https://github.com/acme").secret
    response = Client(raise_request_exception=False).post(
        "/explode",
        b"{}",
        content_type="application/json",
        headers={"Accept": "text/html"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 500
    assert b"Traceback" in response.content  # the page is there, for this machine
    assert b"no-such-kind" in response.content
    assert secret.encode() not in response.content
    assert b"sealing-key-never-shown" not in response.content
    assert settings.SECRET_KEY.encode() not in response.content


def test_functions_holding_secrets_are_marked_sensitive():
    """Creating or rotating a webhook holds its secret (and the host token):
    the functions that hold them are marked for the debug page's filter."""
    from webhooks import keys, registry, views

    for function in (
        registry.create_webhook,
        registry.rotate_secret,
        Webhook.secrets,
        keys.seal,
        keys.unseal,
        views._show_secret,
        verify,
    ):
        assert hasattr(function, "__wrapped__"), function


def run_settings(tmp_path: Path, **env: str) -> str:
    """Import the settings in a fresh process with only `env` set."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DATABASE", "DEBUG", "SECRET", "ALLOWED", "SECURE", "CELERY", "GREENROOM")
        )
    }
    clean |= {"GREENROOM_DATA_DIR": str(tmp_path / "data"), **env}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'portal.settings'); django.setup(); from django.conf import settings as s; "
        "from django.test import Client; from django.test.utils import "
        "setup_test_environment; setup_test_environment(); "
        "r = Client().get('/accounts/login/'); "
        "print(s.DEBUG, repr(s.SECRET_KEY), s.ALLOWED_HOSTS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, r.status_code, sep='|')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_debug_is_off_unless_asked_for_and_the_laptop_path_still_works(tmp_path):
    debug, key, hosts, redirect, secure, status = run_settings(tmp_path).split("|")
    assert debug == "False"
    assert "insecure" not in key  # made once, kept in the data dir
    assert len(key) > 40
    assert {"localhost", "127.0.0.1"} <= set(eval(hosts))
    assert (redirect, secure) == ("False", "False")  # http://127.0.0.1:8000 works
    assert status == "200"  # pages render without collectstatic
    again = run_settings(tmp_path).split("|")[1]
    assert again == key  # sessions survive a restart
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"

    debug, key, *_ = run_settings(tmp_path, DEBUG="1").split("|")
    assert debug == "True"
    production = run_settings(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/none",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.com",
    )
    assert production.split("|")[:2] == ["False", repr("x" * 50)]
