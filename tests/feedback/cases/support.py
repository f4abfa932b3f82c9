"""Shared helpers of the dissatisfaction-case tests: the cast with addresses and languages, and a
complaint opened the real way (a dissatisfied rating through submit_rating)."""

import pytest

from feedback.cases import services
from feedback.models import DissatisfactionCase
from feedback.ratings.services import submit_rating

# Who reads mail in which language: the leader and the business in English, the rest in Vietnamese.
ADDRESSES = {
    "business": ("ketoan@congty-x.vn", "en"),
    "rival": ("ketoan@congty-y.vn", "vi"),
    "broker": ("dailyhq@example.vn", "vi"),
    "officer": ("an.nv@customs.gov.vn", "vi"),
    "team_leader": ("doitruong@customs.gov.vn", "vi"),
    "leader": ("lanhdao.mc@customs.gov.vn", "en"),
    "other_leader": ("lanhdao.hg@customs.gov.vn", "vi"),
    "staff": ("cuc.qn@customs.gov.vn", "vi"),
}


@pytest.fixture
def case_cast(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for name, (email, language) in ADDRESSES.items():
        user = getattr(cast.users, name)
        user.email, user.language = email, language
        user.save(update_fields=["email", "language"])
    return cast


def complain(
    cast, declaration=None, user=None, *, officer_level=1, branch_level=2, comment="Chậm trễ"
) -> DissatisfactionCase:
    """Rate a declaration (dx by default) dissatisfied: the branch 2, officer OA1 `officer_level`, others 5."""
    declaration = declaration or cast.dx
    officers = [
        {"code": code, "level": officer_level, "reasons": ["delay"] if officer_level <= 2 else []}
        if code == "OA1"
        else {"code": code, "level": 5}
        for code in declaration.officer_links.values_list("officer__code", flat=True).order_by("id").distinct()
    ]
    rating = submit_rating(
        declaration,
        user or (cast.users.business if declaration.business_id == cast.business_x.pk else cast.users.rival),
        channel="web",
        branch_level=branch_level,
        branch_reasons=["delay"] if branch_level <= 2 else [],
        officers=officers,
        comment=comment,
    )
    return DissatisfactionCase.objects.get(rating=rating)


def walk_to(case, status, cast):
    """Take a case through the workflow as the branch leader up to `status`."""
    users = cast.users
    steps = ["assigned", "verifying", "concluded", "answered", "closed"]
    for step in steps[: steps.index(status) + 1]:
        if step == "assigned":
            case = services.assign(case, users.team_leader, users.leader)
        elif step == "verifying":
            case = services.record_findings(case, "Hồ sơ xử lý chậm 2 ngày.", users.team_leader)
        elif step == "concluded":
            case = services.conclude(case, "partly", "Nhắc nhở công chức.", "Ghi chú nội bộ: đã kỷ luật.", users.leader)
        elif step == "answered":
            case = services.answer(case, "Chi cục xin lỗi doanh nghiệp.", users.leader)
        elif step == "closed":
            case = services.accept(case, users.business)
    return case
