# The relation index gains the target (every database). PostgreSQL only, like 0003:
# - full text is searched on the narrow summaries now: their vectors get the GIN
#   index (the entity column and its index went with 0004);
# - the field index also carries entity_id (INCLUDE), so facet counts over the
#   flattened rows are index-only scans; same name, so Django's state is unchanged;
# - the name trigram index becomes GiST, which can return the closest names first
#   (`ORDER BY name <-> text LIMIT n`) for misspelt searches.
# Not atomic: PostgreSQL builds each index CONCURRENTLY, a replaced one beside the
# old under a temporary name before the swap, and the relation index is added before
# the old one goes; so no build holds a lock that blocks reads (in one transaction
# they did, for 5 s at 100,000 entities: bench/migrations.py).

from django.db import migrations, models


def replace_index(name, definition):
    """Build ``name`` anew beside the old one, then swap: never without an index."""
    return [
        f"DROP INDEX CONCURRENTLY IF EXISTS {name}_new",  # left by a failed attempt
        f"CREATE INDEX CONCURRENTLY {name}_new {definition}",
        f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        f"ALTER INDEX {name}_new RENAME TO {name}",
    ]


FORWARD = [
    "DROP INDEX CONCURRENTLY IF EXISTS summary_search_vector",
    "CREATE INDEX CONCURRENTLY summary_search_vector ON catalog_entitysummary "
    "USING gin (search_vector)",
    *replace_index(
        "entityfield_key_value",
        "ON catalog_entityfield (key, value) INCLUDE (entity_id)",
    ),
    *replace_index(
        "entity_name_trgm", "ON catalog_entity USING gist (name gist_trgm_ops)"
    ),
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
    atomic = False

    dependencies = [
        ("catalog", "0004_entity_summary"),
    ]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD), atomic=False),
        migrations.AddIndex(
            model_name="relation",
            index=models.Index(
                fields=["source_ref", "type", "target_ref"], name="relation_source_type"
            ),
        ),
        migrations.RemoveIndex(model_name="relation", name="relation_source"),
    ]
