"""Location.allow_org_kinds: which locations may publish Group and User entities.

Existing locations that already publish other kinds than the default ones keep
doing so (flagged here), so an upgrade does not empty the organisation; review
them in the admin (filter "may publish groups and users").
"""

from django.db import migrations, models

DEFAULT_KINDS = [
    "component",
    "api",
    "resource",
    "system",
    "domain",
    "location",
    "template",
]


def flag_existing_publishers(apps, schema_editor):
    Entity = apps.get_model("catalog", "Entity")
    Location = apps.get_model("catalog", "Location")
    publishers = (
        Entity.objects.exclude(kind__iregex=r"^(" + "|".join(DEFAULT_KINDS) + r")$")
        .values_list("location_id", flat=True)
        .distinct()
    )
    Location.objects.filter(pk__in=list(publishers)).update(allow_org_kinds=True)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0011_revision_owner_ref"),
    ]

    operations = [
        migrations.AddField(
            model_name="location",
            name="allow_org_kinds",
            field=models.BooleanField(
                default=False,
                help_text="Read every kind from this repository and the repositories "
                "its Location entities name, Group and User included (catalog/ingest/"
                "kind_rules.py). Set only for repositories your organisation controls.",
                verbose_name="may publish groups and users",
            ),
        ),
        migrations.RunPython(flag_existing_publishers, migrations.RunPython.noop),
    ]
