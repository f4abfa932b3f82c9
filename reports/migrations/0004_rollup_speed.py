# Business presence moves from one row per (unit, month, business) with counts to one row per
# (unit, year, business) with a bit per month (docs/measures.md): 8-12x fewer rows for the fold to
# upsert and the dashboards to read. Existing rows are converted in place, so participation stays right
# without waiting for the nightly rebuild.

from django.db import migrations, models

UNIT_KINDS = [(1, "Department"), (2, "Branch"), (3, "Team"), (4, "Officer")]


def convert(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        year = "CAST(EXTRACT(YEAR FROM month) AS integer)"
        bit = "(1 << (CAST(EXTRACT(MONTH FROM month) AS integer) - 1))"
    else:
        year = "CAST(substr(month, 1, 4) AS integer)"
        bit = "(1 << (CAST(substr(month, 6, 2) AS integer) - 1))"
    # (unit, month, business) was unique: the sum of distinct month bits is their OR.
    schema_editor.execute(
        "INSERT INTO reports_businesspresence (unit_kind, unit_id, year, business_id, cleared_months, rated_months) "
        f"SELECT unit_kind, unit_id, {year}, business_id, "
        f"SUM(CASE WHEN cleared > 0 THEN {bit} ELSE 0 END), SUM(CASE WHEN rated > 0 THEN {bit} ELSE 0 END) "
        f"FROM reports_businesspresencemonthly GROUP BY unit_kind, unit_id, {year}, business_id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_exports"),
    ]

    operations = [
        migrations.RenameModel("BusinessPresence", "BusinessPresenceMonthly"),
        migrations.CreateModel(
            name="BusinessPresence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit_kind", models.PositiveSmallIntegerField(choices=UNIT_KINDS, verbose_name="unit level")),
                ("unit_id", models.PositiveIntegerField(verbose_name="unit")),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                ("business_id", models.PositiveIntegerField(verbose_name="business")),
                (
                    "cleared_months",
                    models.IntegerField(default=0, verbose_name="months with a cleared declaration (bit mask)"),
                ),
                ("rated_months", models.IntegerField(default=0, verbose_name="months with a rating (bit mask)")),
            ],
            options={
                "verbose_name": "business presence",
                "verbose_name_plural": "business presences",
                "ordering": ["unit_kind", "unit_id", "year", "business_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("unit_kind", "unit_id", "year", "business_id"), name="presence_year_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(convert, migrations.RunPython.noop),
        migrations.DeleteModel("BusinessPresenceMonthly"),
    ]
