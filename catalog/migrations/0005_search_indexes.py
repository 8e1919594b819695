# The relation index gains the target (every database). PostgreSQL only, like 0003:
# - full text is searched on the narrow summaries now: their vectors get the GIN
#   index (the entity column and its index went with 0004);
# - the field index also carries entity_id (INCLUDE), so facet counts over the
#   flattened rows are index-only scans; same name, so Django's state is unchanged;
# - the name trigram index becomes GiST, which can return the closest names first
#   (`ORDER BY name <-> text LIMIT n`) for misspelt searches.

from django.db import migrations, models

FORWARD = [
    "CREATE INDEX summary_search_vector ON catalog_entitysummary "
    "USING gin (search_vector)",
    "DROP INDEX IF EXISTS entityfield_key_value",
    "CREATE INDEX entityfield_key_value ON catalog_entityfield "
    "(key, value) INCLUDE (entity_id)",
    "DROP INDEX IF EXISTS entity_name_trgm",
    "CREATE INDEX entity_name_trgm ON catalog_entity USING gist (name gist_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS summary_search_vector",
    "DROP INDEX IF EXISTS entityfield_key_value",
    "CREATE INDEX entityfield_key_value ON catalog_entityfield (key, value)",
    "DROP INDEX IF EXISTS entity_name_trgm",
    "CREATE INDEX entity_name_trgm ON catalog_entity USING gin (name gin_trgm_ops)",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_entity_summary"),
    ]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
        migrations.RemoveIndex(model_name="relation", name="relation_source"),
        migrations.AddIndex(
            model_name="relation",
            index=models.Index(
                fields=["source_ref", "type", "target_ref"], name="relation_source_type"
            ),
        ),
    ]
