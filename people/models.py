"""Organisation providers: where people and teams really live, and each read of them."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from people.identities import OidcIdentity

__all__ = ["OidcIdentity", "OrgProvider", "ProviderRun"]


class OrgProvider(models.Model):
    """One source of Group and User entities: a GitHub organisation, a GitLab
    group, an LDAP directory, or what a SCIM client (Okta, Entra ID) pushes.

    Its entities belong to `location`, a catalog location of the provider's own
    type (never crawled: catalog/models.py), so they have the history, pages and
    API of any other entity, and `backstage.io/managed-by-location` names it.
    """

    class Kind(models.TextChoices):
        GITHUB = "github", "GitHub organisation"
        GITLAB = "gitlab", "GitLab group"
        LDAP = "ldap", "LDAP or Active Directory"
        SCIM = "scim", "SCIM 2.0 provisioning"

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    connection = models.ForeignKey(
        "discovery.HostConnection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="org_providers",
        help_text="GitHub and GitLab: the host connection to read with.",
    )
    scope = models.CharField(
        max_length=500,
        blank=True,
        help_text="GitHub: the organisation's login; GitLab: the group's full path; "
        "LDAP: the server URL, e.g. ldaps://ldap.example.com.",
    )
    settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="LDAP: bind DN, base DNs, filters and attribute maps "
        "(people/sources/ldap.py).",
    )
    sealed_secret = models.TextField(
        blank=True,
        editable=False,
        help_text="LDAP: the bind password, sealed (core/secrets.py).",
    )
    namespace = models.CharField(max_length=63, default="default")
    interval = models.PositiveIntegerField(
        default=3600, help_text="Seconds between scheduled runs."
    )
    enabled = models.BooleanField(default=True)
    location = models.OneToOneField(
        "catalog.Location",
        on_delete=models.PROTECT,
        related_name="org_provider",
        editable=False,
    )
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    scim_token_digest = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text="SCIM: the SHA-256 of the bearer token Okta or Entra ID sends "
        "(people/scim/tokens.py); the token itself is never kept.",
    )
    scim_token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ProviderRun(models.Model):
    """One read of a provider, with what it changed: a crawl's counterpart."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        UNCHANGED = "unchanged", "Unchanged"
        FAILED = "failed", "Failed"

    provider = models.ForeignKey(
        OrgProvider, on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(max_length=32, default="schedule")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    people = models.PositiveIntegerField(default=0)
    teams = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the read failed, if it did.")
    notes = models.JSONField(
        default=list, blank=True, help_text="What the source noted while reading."
    )

    class Meta:
        indexes = [
            models.Index(fields=["provider", "-started_at"], name="providerrun_recent")
        ]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.provider_id}: {self.status}"


class ScimUser(models.Model):
    """A user a SCIM client (Okta, Entra ID) pushed to a SCIM provider: served
    back at /scim/v2/Users and read by people/sources/scim.py.

    `resource` holds what the client sent (less passwords and read-only
    attributes, at most people/scim/resources.py's MAX_RESOURCE_BYTES): the
    columns are what Greenroom reads and filters on, taken from it on every write.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.ForeignKey(
        OrgProvider, on_delete=models.CASCADE, related_name="scim_users"
    )
    user_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)
    display_name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(
        max_length=320, blank=True, help_text="The primary (else work, else first) one."
    )
    resource = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # SCIM's userName is unique and case-insensitive (RFC 7643, 4.1.1).
            models.UniqueConstraint(
                Lower("user_name"), "provider", name="scimuser_unique_user_name"
            )
        ]
        indexes = [
            models.Index(fields=["provider", "external_id"], name="scimuser_external")
        ]

    def __str__(self) -> str:
        return f"{self.user_name} ({self.provider_id})"


class ScimGroup(models.Model):
    """A group a SCIM client pushed: served back at /scim/v2/Groups, read as a
    team. Members are users of the same provider (people/scim/resources.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.ForeignKey(
        OrgProvider, on_delete=models.CASCADE, related_name="scim_groups"
    )
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(ScimUser, related_name="scim_groups", blank=True)
    resource = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["provider", "display_name"], name="scimgroup_name"),
            models.Index(fields=["provider", "external_id"], name="scimgroup_external"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.provider_id})"
