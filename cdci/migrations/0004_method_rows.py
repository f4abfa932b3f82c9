"""Every existing campaign gets its method row with the defaults (what its computations used so far, the
normalisation aside: earlier publications keep their own settings in their snapshots)."""

from django.db import migrations


def create_method_rows(apps, schema_editor):
    Campaign = apps.get_model("surveys", "Campaign")
    CdciMethod = apps.get_model("cdci", "CdciMethod")
    missing = Campaign.objects.filter(cdci_method__isnull=True).values_list("pk", flat=True)
    CdciMethod.objects.bulk_create([CdciMethod(campaign_id=pk) for pk in missing])


class Migration(migrations.Migration):
    dependencies = [("cdci", "0003_method")]

    operations = [migrations.RunPython(create_method_rows, migrations.RunPython.noop)]
