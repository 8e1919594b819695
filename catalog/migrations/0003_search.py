# Full-text and trigram search. The GIN indexes are PostgreSQL's: the embedded
# SQLite default searches without them (catalog/search.py).

import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS entity_search_vector ON catalog_entity "
    "USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS entity_name_trgm ON catalog_entity "
    "USING gin (name gin_trgm_ops)",
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in INDEXES:
            schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS entity_search_vector")
        schema_editor.execute("DROP INDEX IF EXISTS entity_name_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_entity_fields"),
    ]

    operations = [
        TrigramExtension(),  # skipped on other databases
        migrations.AddField(
            model_name="entity",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True
            ),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
