"""Scoping of the directory: units, officers and businesses per role."""

import pytest

from directory.models import Branch, Business, Officer, Team

ALL_BRANCHES = {"MC", "HG"}


@pytest.mark.parametrize(
    ("role", "branches", "officers", "businesses"),
    [
        ("admin", ALL_BRANCHES, {"OA1", "OA2", "OB1"}, {"x", "y"}),
        ("staff", ALL_BRANCHES, {"OA1", "OA2", "OB1"}, {"x", "y"}),
        ("leader", {"MC"}, {"OA1", "OA2"}, set()),
        ("other_leader", {"HG"}, {"OB1"}, set()),
        ("team_leader", {"MC"}, {"OA1"}, set()),
        ("officer", {"MC"}, {"OA1"}, set()),
        ("business", ALL_BRANCHES, set(), {"x"}),  # the organisation chart is public, officers are not
        ("rival", ALL_BRANCHES, set(), {"y"}),
        ("broker", ALL_BRANCHES, set(), {"x", "y"}),
        ("outsider", ALL_BRANCHES, set(), set()),
    ],
)
def test_directory_scoping_per_role(cast, role, branches, officers, businesses):
    user = getattr(cast.users, role)
    assert set(Branch.objects.for_user(user).values_list("code", flat=True)) == branches
    assert set(Officer.objects.for_user(user).values_list("code", flat=True)) == officers
    names = {cast.business_x.pk: "x", cast.business_y.pk: "y"}
    assert {names[pk] for pk in Business.objects.for_user(user).values_list("pk", flat=True)} == businesses


def test_staff_of_another_department_sees_nothing_of_ours(cast):
    from directory.choices import Role
    from directory.models import Department
    from tests.conftest import make_user

    other = Department.objects.create(code="LS", name="Cục Hải quan Lạng Sơn")
    stranger = make_user("ls_staff", Role.DEPARTMENT_STAFF, department=other)
    assert not Branch.objects.for_user(stranger).exists()
    assert not Team.objects.for_user(stranger).exists()
    assert not Officer.objects.for_user(stranger).exists()
    from feedback.models import Declaration

    assert not Declaration.objects.for_user(stranger).exists()


def test_role_without_its_unit_is_refused_by_the_database(cast):
    from django.db import IntegrityError, transaction

    from directory.choices import Role
    from directory.models import User

    for role in (Role.BRANCH_LEADER, Role.TEAM_LEADER, Role.OFFICER, Role.DEPARTMENT_STAFF):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username=f"broken-{role}", role=role)
