from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_outbox"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("vi", "Tiếng Việt"), ("en", "English")],
                default="",
                max_length=8,
                verbose_name="language",
            ),
        ),
    ]
