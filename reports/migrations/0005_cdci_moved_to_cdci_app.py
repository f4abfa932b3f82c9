"""The CDCI models now belong to the cdci app (cdci/migrations/0001_initial): reports forgets them
without touching their tables."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0004_rollup_speed'),
        ('cdci', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='CdciPublication'),
                migrations.DeleteModel(name='DepartmentAssessment'),
                migrations.DeleteModel(name='CdciRun'),
            ],
        ),
    ]
