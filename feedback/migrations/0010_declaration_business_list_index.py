"""A business's declarations in its list's order (newest clearance first, in progress last), on PostgreSQL.

SQLite (the embedded mode) refuses NULLS LAST in an index, and its lists are small: the index is created
there on PostgreSQL only, so it is not declared on the model (makemigrations would otherwise add it).
"""

from django.db import migrations

INDEX = "declaration_business_list_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON feedback_declaration "
            "(business_id, cleared_at DESC NULLS LAST, registered_at DESC, id DESC)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_calendar_and_charter"),
        ("feedback", "0009_case_conversation_and_handling_rating"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
