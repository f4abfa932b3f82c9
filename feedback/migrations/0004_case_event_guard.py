"""Case events are append-only below Django too: on PostgreSQL a trigger refuses UPDATE and DELETE.

TRUNCATE (used by test database flushes) does not fire row triggers. SQLite, the embedded demo,
relies on the model and queryset guards only.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION feedback_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case events are append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER feedback_caseevent_append_only
    BEFORE UPDATE OR DELETE ON feedback_caseevent
    FOR EACH ROW EXECUTE FUNCTION feedback_caseevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS feedback_caseevent_append_only ON feedback_caseevent;
DROP FUNCTION IF EXISTS feedback_caseevent_append_only();
"""


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_cases")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
