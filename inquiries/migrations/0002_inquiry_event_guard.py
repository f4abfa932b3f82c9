"""Inquiry events are append-only below Django too: on PostgreSQL a trigger refuses UPDATE and DELETE
(as feedback's case events; SQLite relies on the model and queryset guards)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION inquiries_inquiryevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inquiry events are append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inquiries_inquiryevent_append_only
    BEFORE UPDATE OR DELETE ON inquiries_inquiryevent
    FOR EACH ROW EXECUTE FUNCTION inquiries_inquiryevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS inquiries_inquiryevent_append_only ON inquiries_inquiryevent;
DROP FUNCTION IF EXISTS inquiries_inquiryevent_append_only();
"""


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("inquiries", "0001_inquiries_faq_conferences")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
