from __future__ import annotations

from django.apps import AppConfig


class TechdocsConfig(AppConfig):
    name = "techdocs"
    verbose_name = "TechDocs"
