"""Connections to git hosts: where an organisation's repositories live, and the
credential Greenroom uses there (the host's API, and git over https)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class HostConnection(models.Model):
    """One git host (or one part of it, by URL prefix) and a credential for it.

    The credential is sealed (core/secrets.py), never shown again, and sent only
    to `api_url` and to git URLs under `git_url`, as a header."""

    class Kind(models.TextChoices):
        GITHUB = "github", "GitHub or GitHub Enterprise"
        GITLAB = "gitlab", "GitLab"
        GITEA = "gitea", "Gitea or Forgejo"
        BITBUCKET_CLOUD = "bitbucket-cloud", "Bitbucket Cloud"
        BITBUCKET_SERVER = "bitbucket-server", "Bitbucket Data Center"

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    api_url = models.CharField(
        max_length=500, help_text="The host's API root, e.g. https://api.github.com."
    )
    git_url = models.CharField(
        max_length=500,
        help_text="Git URLs under this prefix get the credential, "
        "e.g. https://github.com/acme.",
    )
    username = models.CharField(
        max_length=200,
        blank=True,
        help_text="Sent with the token where a host wants one.",
    )
    sealed_token = models.TextField(blank=True, editable=False)
    app_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="A GitHub App's id (with its private key)."
    )
    installation_id = models.PositiveBigIntegerField(null=True, blank=True)
    sealed_private_key = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_result = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sealed_token="")
                | (
                    models.Q(app_id__isnull=False)
                    & models.Q(installation_id__isnull=False)
                    & ~models.Q(sealed_private_key="")
                ),
                name="host_connection_has_a_credential",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.api_url})"

    @property
    def is_github_app(self) -> bool:
        return self.app_id is not None


DEFAULT_DESCRIPTOR_PATHS = [
    "catalog-info.yaml",
    "catalog-info.yml",
    ".backstage/catalog-info.yaml",
]


def _default_paths() -> list[str]:
    return list(DEFAULT_DESCRIPTOR_PATHS)


class DiscoverySource(models.Model):
    """A scope of a host (an organisation, group, workspace, user or the whole
    instance) whose repositories are all kept in the catalog, or listed as
    uncatalogued, with filters on which repositories count."""

    class Visibility(models.TextChoices):
        ALL = "all", "Public and private"
        PUBLIC = "public", "Public only"
        PRIVATE = "private", "Private only"

    name = models.SlugField(max_length=100, unique=True)
    connection = models.ForeignKey(
        HostConnection, on_delete=models.PROTECT, related_name="sources"
    )
    scope = models.CharField(
        max_length=300,
        help_text="orgs/<org>, users/<user> or installation (GitHub); groups/<path>, "
        "users/<user> or instance (GitLab); orgs/<org>, users/<user> or instance "
        "(Gitea); <workspace> (Bitbucket Cloud); projects/<KEY> or instance "
        "(Bitbucket Data Center).",
    )
    include = models.JSONField(
        default=list, blank=True, help_text="Name patterns (fnmatch); empty: all."
    )
    exclude = models.JSONField(default=list, blank=True, help_text="Name patterns.")
    topics = models.JSONField(
        default=list, blank=True, help_text="Any of these topics; empty: any."
    )
    include_archived = models.BooleanField(default=False)
    include_forks = models.BooleanField(default=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.ALL
    )
    descriptor_paths = models.JSONField(
        default=_default_paths,
        help_text="Paths or globs looked for, in order; the first found is registered.",
    )
    interval = models.PositiveIntegerField(
        default=3600, help_text="Seconds between scheduled runs."
    )
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.connection.name}: {self.scope})"


class DiscoveryRun(models.Model):
    """One listing of a source's scope and what it decided, with its counts."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting for the host's rate limit"
        OK = "ok", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(
        DiscoverySource, on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(max_length=16, default="schedule")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Where a run stopped by a rate limit or a failure goes on from: the next
    # page's address, and not before when (after `attempts` failures in a row).
    resume_url = models.TextField(blank=True)
    resume_after = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    seen = models.PositiveIntegerField(default=0)
    registered = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    uncatalogued = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"], name="run_source")]

    def __str__(self) -> str:
        return f"{self.source.name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class DiscoveryProblem(models.Model):
    """An error a run met: the source's page lists every one."""

    run = models.ForeignKey(
        DiscoveryRun, on_delete=models.CASCADE, related_name="problems"
    )
    repository = models.CharField(max_length=300, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.repository}: {self.message}" if self.repository else self.message


class DiscoveredRepository(models.Model):
    """A repository of a source's scope as the host last listed it, and whether
    it is in the catalog (its location) or not (uncatalogued)."""

    class State(models.TextChoices):
        CATALOGUED = "catalogued", "Catalogued"
        UNCATALOGUED = "uncatalogued", "Without a descriptor"
        EXCLUDED = "excluded", "Left out by the source's filters"
        GONE = "gone", "Gone from the scope"

    source = models.ForeignKey(
        DiscoverySource, on_delete=models.CASCADE, related_name="repositories"
    )
    host_id = models.CharField(max_length=100)
    full_name = models.CharField(max_length=300)
    # The organisation, group, workspace or project part of the full name.
    organisation = models.CharField(max_length=300, blank=True)
    clone_url = models.CharField(max_length=2048)
    web_url = models.CharField(max_length=2048, blank=True)
    default_branch = models.CharField(max_length=255, blank=True)
    archived = models.BooleanField(default=False)
    fork = models.BooleanField(default=False)
    private = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    # Who the host says owns an uncatalogued repository: CODEOWNERS' default
    # owners at its default branch, then the teams with admin or maintain rights.
    owners = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    descriptor_path = models.CharField(max_length=1024, blank=True)
    location = models.ForeignKey(
        "catalog.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discovered_as",
    )
    # Discovery registered the location (not someone by hand, nor another
    # source): it is discovery's to unregister when the repository goes.
    registered_location = models.BooleanField(default=False)
    # What the last look at its files saw: unchanged since, no need to look again.
    checked_pushed_at = models.DateTimeField(null=True, blank=True)
    last_seen_run = models.ForeignKey(
        DiscoveryRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "host_id"], name="discovered_repository_unique"
            )
        ]
        indexes = [
            models.Index(fields=["source", "state", "full_name"], name="repo_state"),
            models.Index(fields=["state", "organisation"], name="repo_state_org"),
        ]

    def __str__(self) -> str:
        return self.full_name


class DescriptorRequest(models.Model):
    """A pull (merge) request Greenroom opened to add a descriptor."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        CLOSED = "closed", "Closed"

    repository = models.ForeignKey(
        DiscoveredRepository, on_delete=models.CASCADE, related_name="requests"
    )
    number = models.PositiveBigIntegerField()
    url = models.CharField(max_length=2048, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.repository.full_name} #{self.number} ({self.state})"
