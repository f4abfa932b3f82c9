"""The CDCI leaves reports for its own app. Its tables stay where they are (db_table) with their rows,
constraints and the PostgreSQL trigger that keeps publications immutable: only Django's state moves."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('directory', '0003_user_language_blank'),
        ('reports', '0004_rollup_speed'),
        ('surveys', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CdciRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10, verbose_name='status')),
                        ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='progress (%)')),
                        ('settings', models.JSONField(blank=True, default=dict, verbose_name='method settings')),
                        ('input_checksum', models.CharField(blank=True, max_length=64, verbose_name='input checksum')),
                        ('result', models.JSONField(blank=True, null=True, verbose_name='result')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cdci_runs', to='surveys.campaign')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                    ],
                    options={
                        'db_table': 'reports_cdcirun',
                        'verbose_name': 'CDCI computation',
                        'verbose_name_plural': 'CDCI computations',
                        'ordering': ['campaign_id', '-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='CdciPublication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveSmallIntegerField(verbose_name='version')),
                        ('note', models.TextField(verbose_name='note')),
                        ('reason', models.TextField(blank=True, verbose_name='reason for a new version')),
                        ('snapshot', models.JSONField(verbose_name='snapshot')),
                        ('questionnaire_version', models.CharField(max_length=64, verbose_name='questionnaire version')),
                        ('checksum', models.CharField(max_length=64, verbose_name='checksum (SHA-256)')),
                        ('published_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='published at')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cdci_publications', to='surveys.campaign')),
                        ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='published by')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='publications', to='cdci.cdcirun')),
                    ],
                    options={
                        'db_table': 'reports_cdcipublication',
                        'verbose_name': 'CDCI publication',
                        'verbose_name_plural': 'CDCI publications',
                        'ordering': ['campaign_id', '-version'],
                    },
                ),
                migrations.CreateModel(
                    name='DepartmentAssessment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('score', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='assessment (0-100)')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cdci_assessments', to='surveys.campaign', verbose_name='campaign')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.branch', verbose_name='unit')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
                    ],
                    options={
                        'db_table': 'reports_departmentassessment',
                        'verbose_name': 'department assessment',
                        'verbose_name_plural': 'department assessments',
                        'ordering': ['campaign_id', 'unit__name'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='cdcirun',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'running', 'done', 'failed'])), name='cdci_run_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='cdcirun',
                    constraint=models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='cdci_run_progress_percent'),
                ),
                migrations.AddConstraint(
                    model_name='cdcirun',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), models.Q(('finished_at__isnull', False), ('result__isnull', False)), _connector='OR'), name='cdci_run_done_has_result'),
                ),
                migrations.AddConstraint(
                    model_name='cdcirun',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('queued', 'running'))), fields=('campaign',), name='cdci_one_active_run'),
                ),
                migrations.AddConstraint(
                    model_name='cdcipublication',
                    constraint=models.UniqueConstraint(fields=('campaign', 'version'), name='cdci_publication_version_unique'),
                ),
                migrations.AddConstraint(
                    model_name='cdcipublication',
                    constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='cdci_publication_version_from_1'),
                ),
                migrations.AddConstraint(
                    model_name='cdcipublication',
                    constraint=models.CheckConstraint(condition=models.Q(('version', 1), models.Q(('reason', ''), _negated=True), _connector='OR'), name='cdci_publication_new_version_has_reason'),
                ),
                migrations.AddConstraint(
                    model_name='departmentassessment',
                    constraint=models.UniqueConstraint(fields=('campaign', 'unit'), name='cdci_assessment_once_per_unit'),
                ),
                migrations.AddConstraint(
                    model_name='departmentassessment',
                    constraint=models.CheckConstraint(condition=models.Q(('score__gte', 0), ('score__lte', 100)), name='cdci_assessment_0_to_100'),
                ),
            ],
        ),
    ]
