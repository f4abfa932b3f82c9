from django.db import migrations, models

from core.search_text import fold


def fill_search_text(apps, schema_editor):
    """Entries published before the column existed get their folded text (a department has a few dozen)."""
    FaqEntry = apps.get_model("inquiries", "FaqEntry")
    for entry in FaqEntry.objects.only("pk", "question", "answer"):
        FaqEntry.objects.filter(pk=entry.pk).update(search_text=fold(f"{entry.question}\n{entry.answer}"))


class Migration(migrations.Migration):
    dependencies = [
        ("inquiries", "0002_inquiry_event_guard"),
    ]

    operations = [
        migrations.AddField(
            model_name="faqentry",
            name="search_text",
            field=models.TextField(blank=True, editable=False, verbose_name="searchable text"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
