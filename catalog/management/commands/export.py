from __future__ import annotations

import json
from itertools import islice
from typing import Any

from catalog.management.person import PersonCommand
from catalog.models import Entity
from catalog.serialize import entity_json

CHUNK = 1000


class Command(PersonCommand):
    help = "Write every entity as JSON Lines, in the Backstage catalog API's shape."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Entity.objects.order_by("ref").defer("descriptor").iterator(CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            for body in entity_json(chunk):
                line = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
                self.stdout.write(line)
