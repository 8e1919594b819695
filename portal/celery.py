from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_failure

# Connects the task_prerun/postrun receivers that put the task id on log lines.
import core.logs  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class SystemTask(Task):  # type: ignore[misc]
    """Tasks see the whole catalog (catalog/visibility.py), also when run eagerly
    inside a request for someone who may not."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from catalog.visibility import system

        with system():
            return super().__call__(*args, **kwargs)


app = Celery("portal", task_cls=SystemTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect
def count_task_failure(sender: object = None, **kwargs: object) -> None:
    # Counted for /metrics in the broker, shared by every worker; imported here
    # because Django is set up by the time a task fails, not at import.
    from portal.metrics import count_task_failure

    count_task_failure(sender)
