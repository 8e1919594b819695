"""The Django admin's bulk actions leave the same trail as its single ones.

"Delete selected" writes its LogEntry rows with bulk_create (no post_save): every
one must still reach the audit log, and deleting locations or entities there must
go through the catalog's own functions, so history records the removals.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEntry
from catalog.models import Entity, EntityRevision, Location, Relation
from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG, component
from tests.support.users import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser() -> Client:
    client = Client()
    client.force_login(make_user("ada-admin", "admin"))
    return client


def delete_selected(client: Client, model: str, pks: list[int]) -> None:
    response = client.post(
        f"/admin/{model}/",
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in pks],
            "post": "yes",
        },
    )
    assert response.status_code == 302, response.content[:500]


def deleted(model: str) -> list[str]:
    rows = AuditEntry.objects.filter(action="admin.delete", target__startswith=model)
    return sorted(rows.values_list("target", flat=True))


def test_deleting_two_users_at_once_is_audited(admin_browser):
    users = [make_user(name, "viewer") for name in ("uma", "ulf")]
    delete_selected(admin_browser, "auth/user", [u.pk for u in users])
    assert not get_user_model().objects.filter(username__in=["uma", "ulf"]).exists()
    assert deleted("user") == ["user: ulf", "user: uma"]
    entry = AuditEntry.objects.filter(action="admin.delete").first()
    assert (entry.actor, entry.source) == ("ada-admin", "web")


def test_deleting_two_locations_at_once_unregisters_them(admin_browser, repos):
    first = crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    second = crawl_repo(repos, "tools", {"catalog-info.yaml": component("hammer")})
    refs = set(Entity.objects.values_list("ref", flat=True))
    assert "component:default/hammer" in refs

    delete_selected(admin_browser, "catalog/location", [first.pk, second.pk])

    assert not Location.objects.exists()
    assert not Entity.objects.exists()
    assert len(deleted("location")) == 2
    assert AuditEntry.objects.filter(action="location.unregister").count() == 2
    removed = EntityRevision.objects.filter(action=EntityRevision.Action.REMOVED)
    assert set(removed.values_list("ref", flat=True)) == refs


def test_deleting_entities_in_the_admin_records_their_removal(admin_browser, repos):
    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    doomed = list(Entity.objects.filter(kind__iexact="component")[:2])
    assert doomed
    delete_selected(admin_browser, "catalog/entity", [e.pk for e in doomed])
    removed = EntityRevision.objects.filter(action=EntityRevision.Action.REMOVED)
    assert set(removed.values_list("ref", flat=True)) == {e.ref for e in doomed}
    assert AuditEntry.objects.filter(action="entity.delete").count() == len(doomed)
    assert len(deleted("entity")) == len(doomed)


def test_history_and_relations_cannot_be_deleted_in_the_admin(admin_browser, repos):
    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    revision = EntityRevision.objects.first()
    relation = Relation.objects.first()
    for model, row in (("entityrevision", revision), ("relation", relation)):
        url = f"/admin/catalog/{model}/{row.pk}/delete/"
        assert admin_browser.post(url, {"post": "yes"}).status_code == 403
    assert EntityRevision.objects.filter(pk=revision.pk).exists()
    assert Relation.objects.filter(pk=relation.pk).exists()


def test_models_and_migrations_agree_for_every_app(db):
    # Auditing the admin's log must not change LogEntry's migration state
    # (Django's own app), and our apps' models must match their migrations.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
