"""The CDCI from stored responses to a published snapshot: loading, computing (task, progress, failure),
the department's assessments, reproducibility, publication rules and the immutability of a snapshot."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from cdci import services as cdci_services
from cdci.method import composite as cdci
from cdci.models import CdciPublication, CdciRun, DepartmentAssessment, sha256_of
from cdci.tasks import compute_cdci_task
from core.jobs import JobStatus
from directory.choices import Role
from directory.models import AuditEvent, Branch, Department
from surveys.models import Response
from tests.conftest import make_user

from .support import closed_campaign, publish

YEAR = 2025
# The test campaign has about 5 respondents per unit: the minimum is lowered so that its three units rank.
FEW = cdci_services.RunOptions(replicates=200, min_respondents=3)


@pytest.fixture
def campaign(cast):
    # A fourth branch nobody dealt with: rated by the campaign, but with no response to score.
    Branch.objects.create(department=cast.department, code="VG", name="Chi cục Hải quan Vạn Gia")
    return closed_campaign(cast, YEAR)


def compute(campaign, actor=None, options=FEW):
    run = cdci_services.compute_now(campaign, actor=actor, options=options)
    assert run.status == JobStatus.DONE, run.error
    return run


def test_a_run_scores_each_unit_from_its_valid_responses(campaign):
    run = compute(campaign)

    units = {unit["code"]: unit for unit in run.result["units"]}
    assert set(units) == {"MC", "HG", "CL"}
    for code, unit in units.items():
        valid = Response.objects.filter(campaign=campaign, unit__code=code, is_valid=True).count()
        assert unit["respondents"] == valid > 0
        assert sum(unit["segments"].values()) == valid
        assert unit["total_low"] <= unit["total_high"]
    # The best-served branch ranks first, the worst last; the ranks follow the totals.
    assert [unit["code"] for unit in run.result["units"]] == ["MC", "HG", "CL"]
    assert [unit["rank"] for unit in run.result["units"]] == [1, 2, 3]
    assert [unit["code"] for unit in run.result["unscored_units"]] == ["VG"]
    assert run.progress == 100 and run.finished_at is not None
    assert len(run.input_checksum) == 64
    # Raw question means are stored per unit: next year's history for three-year bounds.
    assert set(run.result["question_means"]) == {"MC", "HG", "CL"}
    assert len(run.result["question_means"]["MC"]) == campaign.questions.count()


def test_running_again_on_the_same_data_gives_the_same_numbers(campaign):
    first = compute(campaign)
    second = compute(campaign)

    assert second.pk != first.pk
    assert second.input_checksum == first.input_checksum
    assert second.result == first.result


def test_an_invalid_response_is_left_out_and_changes_the_input_checksum(campaign):
    first = compute(campaign)
    response = Response.objects.filter(campaign=campaign, unit__code="HG", is_valid=True).first()
    Response.objects.filter(pk=response.pk).update(is_valid=False)

    second = compute(campaign)

    before = {unit["code"]: unit["respondents"] for unit in first.result["units"]}
    after = {unit["code"]: unit["respondents"] for unit in second.result["units"]}
    assert after["HG"] == before["HG"] - 1
    assert second.input_checksum != first.input_checksum


def test_the_assessment_takes_its_share_of_the_total(cast, campaign):
    cdci_services.save_assessments(campaign, {cast.branch_a.pk: (Decimal("90"), "Tốt")}, actor=cast.users.staff)

    run = compute(campaign)

    units = {unit["code"]: unit for unit in run.result["units"]}
    mc, hg = units["MC"], units["HG"]
    assert mc["assessment"] == 90
    # Each figure is rounded once to 2 decimals from the unrounded computation: within half a unit of the last decimal.
    assert mc["total"] == pytest.approx(0.7 * mc["business_score"] + 0.3 * 90, abs=0.01)
    # Without an assessment a unit is scored on the survey alone.
    assert hg["assessment"] is None and hg["total"] == pytest.approx(hg["business_score"], abs=1e-5)
    assessment = DepartmentAssessment.objects.get(campaign=campaign, unit=cast.branch_a)
    assert AuditEvent.objects.for_object(assessment).filter(action="cdci.assessment_saved").exists()


def test_assessments_are_for_staff_and_within_0_to_100(cast, campaign):
    with pytest.raises(PermissionDenied):
        cdci_services.save_assessments(campaign, {cast.branch_a.pk: (Decimal(80), "")}, actor=cast.users.leader)
    with pytest.raises(ValidationError):
        cdci_services.save_assessments(campaign, {cast.branch_a.pk: (Decimal(101), "")}, actor=cast.users.staff)
    assert not DepartmentAssessment.objects.exists()


def test_the_task_claims_a_queued_run_reports_progress_and_reaches_100(cast, campaign, monkeypatch):
    run = cdci_services.start_run(campaign, actor=cast.users.staff)
    assert run.status == JobStatus.QUEUED and run.progress == 0
    seen = []
    real = cdci.compute_cdci

    def watched(*args, progress, **kwargs):
        def spy(share):
            progress(share)
            seen.append(CdciRun.objects.get(pk=run.pk).progress)  # what the polling page reads

        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(cdci_services.method, "compute_cdci", watched)

    compute_cdci_task.delay(run.pk)

    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.progress == 100
    assert len(seen) == 4  # the bootstrap reports its progress in 4 steps
    assert seen == sorted(seen) and 20 <= seen[0] < seen[-1] < 100
    # Safe to run twice: the run is no longer queued, so nothing happens.
    assert cdci_services.execute_run(run.pk) is None


def test_a_run_started_by_staff_is_queued_after_commit(client, cast, campaign, django_capture_on_commit_callbacks):
    client.force_login(cast.users.staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("cdci:cdci-run-start", args=[campaign.pk]))
    assert len(callbacks) == 1
    run = CdciRun.objects.get(campaign=campaign)
    assert run.status == JobStatus.DONE
    assert AuditEvent.objects.for_object(run).filter(action="cdci.run_started", actor=cast.users.staff).exists()


def test_a_failed_run_records_its_error(cast, campaign, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("component weights sum to 90, not 100")

    monkeypatch.setattr(cdci_services, "compute", broken)

    run = cdci_services.compute_now(campaign, actor=None, options=FEW)

    assert run.status == JobStatus.FAILED
    assert "weights sum to 90" in run.error
    assert run.result is None and run.finished_at is not None
    # A failed run does not block the next one.
    monkeypatch.undo()
    assert compute(campaign).status == JobStatus.DONE


def test_only_a_closed_campaign_is_scored_and_one_run_at_a_time(cast, campaign):
    cdci_services.start_run(campaign, actor=cast.users.staff)
    with pytest.raises(ValidationError, match="already under way"):
        cdci_services.start_run(campaign, actor=cast.users.staff)
    campaign.status = "open"
    campaign.save(update_fields=["status"])
    CdciRun.objects.update(status=JobStatus.FAILED)
    with pytest.raises(ValidationError, match="closed campaign"):
        cdci_services.start_run(campaign, actor=cast.users.staff)


@pytest.mark.parametrize("role", ["leader", "other_leader", "team_leader", "officer", "business", "integration"])
def test_only_department_staff_can_compute_and_publish(cast, campaign, role):
    run = compute(campaign)
    user = getattr(cast.users, role)
    with pytest.raises(PermissionDenied):
        cdci_services.start_run(campaign, actor=user)
    with pytest.raises(PermissionDenied):
        publish(run, actor=user, note="Công bố")
    assert not CdciPublication.objects.exists()


def test_staff_of_another_department_cannot_publish(cast, campaign):
    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    outsider_staff = make_user("ls_staff", Role.DEPARTMENT_STAFF, department=other)
    run = compute(campaign)
    with pytest.raises(PermissionDenied):
        publish(run, actor=outsider_staff, note="Công bố")


def test_publishing_freezes_an_immutable_snapshot_with_a_checksum(cast, campaign):
    run = compute(campaign)

    publication = publish(run, actor=cast.users.staff, note="Kết quả CDCI 2025")

    assert publication.version == 1
    assert publication.verify()
    assert publication.checksum == sha256_of(publication.snapshot)
    assert len(publication.questionnaire_version) == 64
    snapshot = publication.snapshot
    assert snapshot["units"] == run.result["units"]
    assert snapshot["settings"]["seed"] == cdci_services.RunOptions.seed
    assert snapshot["campaign"]["year"] == YEAR
    assert AuditEvent.objects.for_object(publication).filter(action="cdci.published").exists()

    publication.note = "Sửa"
    with pytest.raises(ValidationError):
        publication.save()
    with pytest.raises(ValidationError):
        publication.delete()
    with pytest.raises(ValidationError):
        CdciPublication.objects.filter(pk=publication.pk).update(note="Sửa")
    with pytest.raises(ValidationError):
        CdciPublication.objects.filter(pk=publication.pk).delete()
    stored = CdciPublication.objects.get(pk=publication.pk)
    assert stored.note == "Kết quả CDCI 2025" and stored.verify()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_the_database_refuses_to_change_a_publication(cast, campaign):
    publication = publish(compute(campaign), actor=cast.users.staff, note="Công bố")
    for statement in (
        "UPDATE reports_cdcipublication SET snapshot = '{}' WHERE id = %s",
        "DELETE FROM reports_cdcipublication WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [publication.pk])
    assert CdciPublication.objects.get(pk=publication.pk).verify()


def test_a_tampered_snapshot_fails_verification(cast, campaign):
    publication = publish(compute(campaign), actor=cast.users.staff, note="Công bố")
    publication.snapshot["units"][0]["total"] += 1
    assert not publication.verify()


def test_publishing_again_needs_a_reason_and_makes_a_new_version(cast, campaign):
    first = publish(compute(campaign), actor=cast.users.staff, note="Công bố")
    with pytest.raises(ValidationError, match="already published"):
        publish(first.run, actor=cast.users.staff, note="Lại")

    cdci_services.save_assessments(campaign, {cast.branch_b.pk: (Decimal(95), "Bổ sung")}, actor=cast.users.staff)
    run = compute(campaign)
    with pytest.raises(ValidationError, match="reason"):
        publish(run, actor=cast.users.staff, note="Bản sửa")
    second = publish(run, actor=cast.users.staff, note="Bản sửa", reason="Bổ sung đánh giá của Cục")

    assert second.version == 2 and second.reason
    assert CdciPublication.objects.filter(campaign=campaign).count() == 2
    assert CdciPublication.objects.get(pk=first.pk).verify()  # the earlier version stays as it was


def test_a_draft_computed_before_a_change_of_assessment_cannot_be_published(cast, campaign):
    run = compute(campaign)
    cdci_services.save_assessments(campaign, {cast.branch_a.pk: (Decimal(70), "")}, actor=cast.users.staff)

    with pytest.raises(ValidationError, match="changed since"):
        publish(run, actor=cast.users.staff, note="Công bố")


def test_the_change_on_last_year_is_explained_by_its_parts(cast):
    earlier = closed_campaign(cast, YEAR - 1, quality={"MC": 0.1, "HG": 0.4, "CL": -0.2})
    publish(compute(earlier), actor=cast.users.staff, note="2024")
    campaign = closed_campaign(cast, YEAR)
    cdci_services.save_assessments(campaign, {cast.branch_a.pk: (Decimal(88), "")}, actor=cast.users.staff)

    run = compute(campaign)

    assert run.result["previous"]["year"] == YEAR - 1
    assert run.result["settings"]["history_campaigns"] == 1  # three-year bounds took in last year
    for unit in run.result["units"]:
        assert unit["total_change"] == pytest.approx(unit["total"] - unit["previous_total"], abs=1e-5)
        parts = sum(value for value in unit["contributions"].values() if value is not None)
        assert parts == pytest.approx(unit["total_change"], abs=1e-4)
        assert set(unit["component_changes"]) == {c["code"] for c in run.result["components"]}
    mc = next(unit for unit in run.result["units"] if unit["code"] == "MC")
    assert mc["contributions"]["assessment"] == pytest.approx(0.3 * 88, abs=1e-4)


def test_the_command_computes_and_publishes(cast, campaign):
    out = StringIO()
    call_command("compute_cdci", str(YEAR), "--publish", "Công bố", "--despite-warnings", stdout=out)

    text = out.getvalue()
    assert "Móng Cái" in text and "Published version 1" in text
    assert CdciPublication.objects.get(campaign=campaign).verify()
