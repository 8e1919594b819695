from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from catalog.models import Entity


class Command(BaseCommand):
    help = "Write every entity as JSON Lines, in the Backstage catalog API's shape."

    def handle(self, *args: Any, **options: Any) -> None:
        for body in (
            Entity.objects.order_by("ref")
            .values_list("body", flat=True)
            .iterator(chunk_size=2000)
        ):
            self.stdout.write(
                json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            )
