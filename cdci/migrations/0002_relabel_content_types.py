"""Content types of the moved CDCI models follow them to the cdci app, so audit rows (which point at a
content type) and permissions still resolve. Reversible: the reverse gives them back to reports."""

from django.db import migrations

MODELS = ("cdcirun", "cdcipublication", "departmentassessment")


def relabel(apps, old_label: str, new_label: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(content_type.objects.filter(app_label=new_label, model__in=MODELS).values_list("model", flat=True))
    content_type.objects.filter(app_label=old_label, model__in=set(MODELS) - taken).update(app_label=new_label)


def to_cdci(apps, schema_editor):
    relabel(apps, "reports", "cdci")


def to_reports(apps, schema_editor):
    relabel(apps, "cdci", "reports")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('cdci', '0001_initial'),
        ('reports', '0005_cdci_moved_to_cdci_app'),
    ]

    operations = [
        migrations.RunPython(to_cdci, to_reports),
    ]
