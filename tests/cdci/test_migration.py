"""Moving the CDCI out of reports keeps what a running deployment has: a database migrated up to the last
state before the move, holding a publication and its audit rows, migrates forward with its rows, its
audit trail still resolving to the publication, and the trigger that keeps publications immutable."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cdci.models import CdciPublication, CdciRun
from directory.models import AuditEvent, Department
from surveys.services.campaigns import create_campaign

BEFORE_MOVE = [("reports", "0004_rollup_speed"), ("cdci", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets[0]).apps


def leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_seeded_database_keeps_its_publication_audit_rows_and_trigger_across_the_move():
    department = Department.objects.create(code="QN", name="Cục Hải quan Quảng Ninh", province_tax_prefix="57")
    today = timezone.localdate()
    campaign = create_campaign(
        department,
        2025,
        actor=None,
        open_on=today - datetime.timedelta(days=10),
        close_on=today + datetime.timedelta(days=20),
    )
    try:
        old = migrate(BEFORE_MOVE)
        content_type = old.get_model("contenttypes", "ContentType")
        run_model = old.get_model("reports", "CdciRun")
        publication_model = old.get_model("reports", "CdciPublication")
        audit_model = old.get_model("directory", "AuditEvent")
        run = run_model.objects.create(
            campaign_id=campaign.pk, status="done", progress=100, result={"units": []}, finished_at=timezone.now()
        )
        publication = publication_model.objects.create(
            campaign_id=campaign.pk,
            run=run,
            version=1,
            note="Kết quả CDCI 2025",
            snapshot={"units": []},
            questionnaire_version="v1",
            checksum="0" * 64,
        )
        publication_type = content_type.objects.get_or_create(app_label="reports", model="cdcipublication")[0]
        audit_model.objects.create(
            action="cdci.published", target_type=publication_type, target_id=str(publication.pk), changes={}
        )

        migrate(leaf_nodes())

        moved = CdciPublication.objects.get(pk=publication.pk)
        assert moved.note == "Kết quả CDCI 2025" and moved.run == CdciRun.objects.get(pk=run.pk)
        trail = AuditEvent.objects.for_object(moved)
        assert [event.action for event in trail] == ["cdci.published"]
        assert trail.get().target_type.model_class() is CdciPublication
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE reports_cdcipublication SET note = 'changed' WHERE id = %s", [moved.pk])
        assert CdciPublication.objects.get(pk=moved.pk).note == "Kết quả CDCI 2025"
    finally:
        migrate(leaf_nodes())
