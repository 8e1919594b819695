"""Single sign-on and roles: the proxy's header counts only from the proxy, and
a signed-in person without a role sees nothing of the catalog."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.roles import grant_role
from core.tokens import issue_token
from tests.support.users import make_user

ROOT = Path(__file__).resolve().parents[3]
PROXY = "10.0.0.5"
OUTSIDER = "203.0.113.9"
HEADER = {"X-Forwarded-User": "ada-admin"}


@pytest.fixture
def sso(settings):
    """The portal as GREENROOM_SSO_HEADER and a proxy at 10.0.0.0/24 configure it."""
    settings.SSO_HEADER = "X-Forwarded-User"
    settings.GREENROOM_SSO_TRUSTED_PROXIES = ["10.0.0.0/24"]
    after = settings.MIDDLEWARE.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[: after + 1],
        "portal.sso.HeaderUserMiddleware",
        *settings.MIDDLEWARE[after + 1 :],
    ]
    settings.AUTHENTICATION_BACKENDS = [
        "core.roles.RoleAwareRemoteUserBackend",
        *settings.AUTHENTICATION_BACKENDS,
    ]


@pytest.mark.django_db
def test_the_header_from_any_other_address_signs_nobody_in(sso, org):
    make_user("ada-admin", "admin")
    client = Client(REMOTE_ADDR=OUTSIDER)
    assert client.get("/catalog", headers=HEADER).status_code == 302
    assert client.get("/admin/", headers=HEADER).status_code == 302
    assert client.get("/api/audit", headers=HEADER).status_code == 401
    assert client.get("/api/catalog/entities", headers=HEADER).status_code == 401
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_header_from_the_proxy_signs_in(sso, org):
    ada = make_user("ada-admin", "admin")
    client = Client(REMOTE_ADDR=PROXY)
    response = client.get("/catalog", headers=HEADER)
    assert response.status_code == 200
    assert response.wsgi_request.user == ada
    assert client.get("/api/audit", headers=HEADER).status_code == 200


@pytest.mark.django_db
def test_people_the_proxy_names_for_the_first_time_have_no_access(sso, org):
    client = Client(REMOTE_ADDR=PROXY)
    newcomer = {"X-Forwarded-User": "nina-new"}
    page = client.get("/catalog", headers=newcomer)
    assert page.status_code == 403
    assert b"ask an admin" in page.content.lower()
    assert get_user_model().objects.filter(username="nina-new").exists()
    for url in ("/catalog/default/component/billing", "/locations", "/search?q=x"):
        assert client.get(url, headers=newcomer).status_code == 403, url
    api = client.get("/api/catalog/entities", headers=newcomer)
    assert api.status_code == 403
    assert "role" in api.json()["error"]["message"]
    assert client.post("/accounts/logout/", headers=newcomer).status_code == 302

    grant_role(get_user_model().objects.get(username="nina-new"), "viewer")
    assert client.get("/catalog", headers=newcomer).status_code == 200


@pytest.mark.django_db
def test_a_password_user_without_a_role_has_no_access(client, org):
    user = get_user_model().objects.create_user("roy-roleless", password="pw-roy")
    client.force_login(user)
    assert client.get("/catalog").status_code == 403
    assert client.get("/settings/tokens").status_code == 403
    assert client.get("/api/catalog/entities").status_code == 403
    token = issue_token(user, "t")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/catalog/entities").status_code == 403
    grant_role(user, "viewer")
    assert client.get("/catalog").status_code == 200
    assert api.get("/api/catalog/entities").status_code == 200


@pytest.mark.django_db
def test_superusers_made_outside_adduser_keep_access(client, org):
    root = get_user_model().objects.create_superuser("root", password="pw-root")
    client.force_login(root)
    assert client.get("/catalog").status_code == 200


def settings_of(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh process with this environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GREENROOM_")}
    code = (
        "import portal.settings as s; print("
        + ", ".join(f"s.{name}" for name in names)
        + ")"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_header_without_trusted_proxies_refuses_to_start(tmp_path):
    data = {"GREENROOM_DATA_DIR": str(tmp_path)}
    refused = settings_of(
        data | {"GREENROOM_SSO_HEADER": "X-Forwarded-User"}, "SSO_HEADER"
    )
    assert refused.returncode != 0
    assert "GREENROOM_SSO_TRUSTED_PROXIES" in refused.stderr
    junk = {"GREENROOM_SSO_HEADER": "X-User", "GREENROOM_SSO_TRUSTED_PROXIES": "nope"}
    assert settings_of(data | junk, "SSO_HEADER").returncode != 0
    fine = settings_of(
        data
        | {
            "GREENROOM_SSO_HEADER": "X-Forwarded-User",
            "GREENROOM_SSO_TRUSTED_PROXIES": "10.0.0.0/24, 127.0.0.1",
        },
        "GREENROOM_SSO_TRUSTED_PROXIES",
    )
    assert fine.returncode == 0, fine.stderr
    assert "10.0.0.0/24" in fine.stdout


def test_x_forwarded_proto_is_trusted_only_behind_proxies(tmp_path):
    data = {"GREENROOM_DATA_DIR": str(tmp_path)}
    alone = settings_of(data, "SECURE_PROXY_SSL_HEADER")
    assert alone.stdout.strip() == "None", alone.stderr
    behind = settings_of(
        data | {"GREENROOM_TRUSTED_PROXIES": "1"}, "SECURE_PROXY_SSL_HEADER"
    )
    assert "HTTP_X_FORWARDED_PROTO" in behind.stdout, behind.stderr
