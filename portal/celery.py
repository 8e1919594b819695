from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_failure

# Connects the task_prerun/postrun receivers that put the task id on log lines.
import core.logs  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect
def count_task_failure(sender: object = None, **kwargs: object) -> None:
    # Counted for /metrics in the broker, shared by every worker; imported here
    # because Django is set up by the time a task fails, not at import.
    from portal.metrics import count_task_failure

    count_task_failure(sender)
