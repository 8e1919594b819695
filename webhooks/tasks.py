"""Celery tasks for webhooks: take ids, call webhooks/processing.py, safe twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from webhooks.models import Delivery
from webhooks.processing import process

STUCK_AFTER = timedelta(seconds=120)  # past the processing task's hard limit


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def process_delivery_task(delivery_id: int) -> str | None:
    # Claimed by one task only: a redelivered or re-queued copy does nothing.
    queued = Delivery.objects.filter(pk=delivery_id, verdict=Delivery.Verdict.QUEUED)
    if not queued.update(verdict=Delivery.Verdict.PROCESSING):
        return None
    delivery = Delivery.objects.select_related("webhook__location").get(pk=delivery_id)
    return process(delivery).verdict


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def requeue_stuck_deliveries_task() -> int:
    """Deliveries taken but never processed (the web process died before it could
    queue them, or a worker died while processing): queue them again."""
    stuck = Delivery.objects.filter(
        verdict__in=[Delivery.Verdict.QUEUED, Delivery.Verdict.PROCESSING],
        received_at__lt=timezone.now() - STUCK_AFTER,
    )
    ids = list(stuck.values_list("pk", flat=True)[:1000])
    Delivery.objects.filter(pk__in=ids).update(verdict=Delivery.Verdict.QUEUED)
    for pk in ids:
        process_delivery_task.delay(pk)
    return len(ids)


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def prune_deliveries_task() -> int:
    """Keep each webhook's last GREENROOM_WEBHOOK_KEEP_DELIVERIES deliveries, and
    none older than GREENROOM_WEBHOOK_KEEP_DAYS; but an accepted delivery still
    inside its replay window is kept whatever the count: its digest (and id) is
    what refuses a replay of it."""
    keep = settings.GREENROOM_WEBHOOK_KEEP_DELIVERIES
    now = timezone.now()
    cutoff = now - timedelta(days=settings.GREENROOM_WEBHOOK_KEEP_DAYS)
    window = now - timedelta(seconds=settings.GREENROOM_WEBHOOK_ROTATION_GRACE)
    guarding = Q(body_digest__isnull=False, received_at__gte=window)
    newest = Delivery.objects.filter(webhook=OuterRef("webhook")).order_by(
        "-received_at", "-id"
    )
    oldest_kept = Subquery(newest.values("received_at")[keep - 1 : keep])
    old = Delivery.objects.filter(received_at__lt=cutoff).exclude(guarding)
    crowded = Delivery.objects.filter(received_at__lt=oldest_kept).exclude(guarding)
    return old.delete()[0] + crowded.delete()[0]
