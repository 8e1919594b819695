"""Login is required everywhere; viewers read, editors change; CSRF on every form."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.models import Location

PAGES = [
    "/catalog",
    "/search?query=billing",
    "/catalog/default/component/billing",
    "/catalog/default/component/billing/graph",
    "/catalog/default/component/billing/history",
    "/catalog/default/component/billing/yaml",
    "/catalog/default/api/billing-api/definition",
    "/locations",
    "/catalog-import",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_signing_in_with_a_password(client, viewer, org):
    page = client.get("/accounts/login/")
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post(
        "/accounts/login/",
        {"username": viewer.username, "password": "pw-vera-viewer", "next": "/catalog"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/catalog"
    assert client.get("/catalog").status_code == 200


def test_a_wrong_password_is_refused(client, viewer):
    response = client.post(
        "/accounts/login/", {"username": viewer.username, "password": "guess"}
    )
    assert response.status_code == 200
    assert b"did not match" in response.content


@pytest.mark.parametrize("url", [p for p in PAGES if p != "/catalog-import"])
def test_viewers_read_every_page(viewer_client, org, url):
    assert viewer_client.get(url).status_code == 200


def test_viewers_are_refused_every_write(viewer_client, org, repos):
    pk = org.pk
    assert viewer_client.get("/catalog-import").status_code == 403
    repo = repos.create("other", {"catalog-info.yaml": "kind: Group"})
    data = {"url": repo.url, "action": "register"}
    assert viewer_client.post("/catalog-import", data).status_code == 403
    assert viewer_client.post(f"/locations/{pk}/refresh").status_code == 403
    assert viewer_client.get(f"/locations/{pk}/unregister").status_code == 403
    assert viewer_client.post(f"/locations/{pk}/unregister").status_code == 403
    assert Location.objects.filter(pk=pk).exists()
    assert Location.objects.count() == 1
    page = viewer_client.get(f"/locations/{pk}").content.decode()
    assert "Refresh now" not in page
    assert "/catalog-import" not in viewer_client.get("/catalog").content.decode()


def test_editors_see_the_write_buttons(editor_client, org):
    page = editor_client.get(f"/locations/{org.pk}").content.decode()
    assert "Refresh now" in page
    assert 'href="/catalog-import"' in editor_client.get("/catalog").content.decode()
    assert editor_client.get("/catalog-import").status_code == 200


def test_forms_need_a_csrf_token(editor, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(f"/locations/{org.pk}/refresh").status_code == 403
    assert client.post(f"/locations/{org.pk}/unregister").status_code == 403
    assert Location.objects.filter(pk=org.pk).exists()


def test_single_sign_on_header(settings, client, viewer, org):
    """Behind a trusted proxy, its header names the user: no password asked."""
    settings.SSO_HEADER = "X-Forwarded-User"
    settings.GREENROOM_SSO_TRUSTED_PROXIES = ["127.0.0.1/32"]  # the test client's
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
    response = client.get("/catalog", headers={"X-Forwarded-User": viewer.username})
    assert response.status_code == 200
    assert response.wsgi_request.user == viewer


def test_pages_carry_a_strict_content_security_policy(viewer_client, org):
    policy = viewer_client.get("/catalog/default/component/billing")[
        "Content-Security-Policy"
    ]
    # Scripts from the static folder only, not from anywhere on the origin:
    # tests/techdocs/test_serving_safety.py.
    assert "script-src testserver/static/;" in policy
    assert "unsafe-inline" not in policy
    assert viewer_client.get("/catalog")["X-Frame-Options"] == "DENY"


def test_adduser_creates_people_with_a_role_and_changes_roles(db):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from core.roles import role_of

    out = io.StringIO()
    call_command(
        "adduser",
        "alice",
        "--role",
        "editor",
        "--password-stdin",
        stdin=io.StringIO("a-long-enough-passphrase\n"),
        stdout=out,
    )
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password("a-long-enough-passphrase")
    assert role_of(alice) == "editor"
    call_command("adduser", "alice", "--role", "viewer", stdout=out)
    alice = get_user_model().objects.get(username="alice")
    assert role_of(alice) == "viewer"
    assert "updated alice as viewer" in out.getvalue()
