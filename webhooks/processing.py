"""What an accepted push does, in a worker: crawl the locations it changed.

For each of the webhook's locations that is the pushed repository: a push to
another branch or a tag is recorded and ignored; a deleted tracked branch is
crawled, so that the location shows the error (its entities stay); a commit the
location already has costs nothing; a push whose complete file list touches
nothing the catalog or the docs read is skipped; the rest queue a crawl. The
crawl fetches from the location's own URL; the payload's commit is only a hint.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit import log as audit
from catalog.ingest.schedule import enqueue_crawl
from catalog.models import Location
from discovery.events import names_from_urls, sources_for
from discovery.tasks import check_repository_task
from techdocs.models import DocsSite
from webhooks.matching import locations_for, may_change
from webhooks.models import Delivery, DeliveryCrawl
from webhooks.payloads import Event, RefUpdate


def process(delivery: Delivery) -> Delivery:
    """Decide and queue; the verdict and its reasons are recorded on the delivery."""
    event = Event.from_json(delivery.push or {})
    webhook = delivery.webhook
    if event.kind == "repository":
        return _discover(delivery, event.names, event.urls)
    locations = locations_for(
        event.urls, location=webhook.location, owner_url=webhook.owner_url
    )
    if not locations:
        # Perhaps a descriptor was just added to a repository discovery lists as
        # uncatalogued (a merged proposal): it looks again.
        return _discover(delivery, names_from_urls(event.urls), event.urls, push=True)
    reasons, crawled = [], []
    for location in locations:
        reason = _decide(location, event)
        if reason is None:
            crawled.append(location)
            reason = "crawl queued"
        reasons.append(f"{location.url}: {reason}")
    with transaction.atomic(), audit.acting(f"webhook {webhook.uid}", "webhook"):
        for location in crawled:
            DeliveryCrawl.objects.create(delivery=delivery, location=location)
            audit.record(
                "location.refresh",
                str(location),
                location=str(location.uid),
                delivery=delivery.delivery_id,
                commit=event.updates[0].after if event.updates else "",
            )
            enqueue_crawl(location.pk)
        verdict = "crawled" if crawled else _quiet_verdict(reasons)
        return _done(delivery, verdict, "\n".join(reasons))


def _discover(
    delivery: Delivery, names: list[str], urls: list[str], *, push: bool = False
) -> Delivery:
    """Queue a discovery check of each repository for each source it is in."""
    webhook = delivery.webhook
    if webhook.location is not None:  # a repository's own hook: no organisation
        return _done(delivery, "ignored", "no registered location is this repository")
    concerned = sources_for(
        webhook.kind, [n for n in names if n], urls=urls, owner_url=webhook.owner_url
    )
    if not concerned:
        reason = (
            "no registered location is this repository"
            if push
            else "no discovery source has this repository in its scope"
        )
        return _done(delivery, "ignored", reason)
    for source, name in concerned:
        transaction.on_commit(
            lambda s=source.pk, n=name: check_repository_task.delay(s, n)
        )
    detail = "\n".join(f"{s.name}: {n}: discovery check queued" for s, n in concerned)
    return _done(delivery, "discovery", detail)


def _decide(location: Location, event: Event) -> str | None:
    """Why this push does not need a crawl of `location`; None when it does."""
    branch = location.branch or location.resolved_branch or event.default_branch
    update = _update_for(event.updates, branch)
    if update is None:
        pushed = ", ".join(u.ref for u in event.updates) or "nothing"
        tracked = branch or "its default branch"
        return f"ignored: {pushed} pushed, the location tracks {tracked}"
    if update.deleted:
        return None  # the crawl finds the branch gone and says so on the location
    if update.after and update.after == location.last_commit:
        return f"skipped: already at {update.after[:12]}"
    if (
        event.files is not None
        and update.before
        and update.before == location.last_commit
    ):
        folders = DocsSite.objects.filter(location=location).values_list(
            "folder", flat=True
        )
        if not may_change(event.files, location, folders):
            return "skipped: no catalog or docs file changed"
    return None


def _update_for(updates: list[RefUpdate], branch: str) -> RefUpdate | None:
    if not branch:
        return None
    wanted = f"refs/heads/{branch}"
    return next((u for u in updates if u.ref == wanted), None)


def _quiet_verdict(reasons: list[str]) -> str:
    return "skipped" if any(": skipped" in r for r in reasons) else "ignored"


def _done(delivery: Delivery, verdict: str, detail: str) -> Delivery:
    Delivery.objects.filter(pk=delivery.pk).update(
        verdict=verdict, detail=detail, processed_at=timezone.now()
    )
    delivery.refresh_from_db()
    return delivery
