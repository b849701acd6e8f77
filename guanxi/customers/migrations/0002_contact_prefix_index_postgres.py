"""Prefix search on contact points (`value LIKE '+8613%'`) needs a pattern
index on PostgreSQL unless the database's collation is C; SQLite's unique
(kind, value) index already serves it, so nothing is added there."""

from django.db import migrations

INDEX = "customers_contactpoint_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_contactpoint "
            "(kind varchar_pattern_ops, value varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
