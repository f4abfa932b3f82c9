"""The customer service charter's commitments of a department: every department starts with the charter's
defaults (CHARTER_DEFAULTS) and may then change its own."""

from .models import CHARTER_DEFAULTS, CharterCommitment, Department


def create_default_commitments(department: Department) -> None:
    """Give `department` every commitment it does not have yet, at the charter's default (idempotent)."""
    CharterCommitment.objects.bulk_create(
        [
            CharterCommitment(department=department, code=code, limit=limit, unit=unit)
            for code, (limit, unit) in CHARTER_DEFAULTS.items()
        ],
        ignore_conflicts=True,
    )


def commitments_of(department_id: int) -> dict[str, CharterCommitment]:
    """The department's commitments by code."""
    return {c.code: c for c in CharterCommitment.objects.filter(department_id=department_id)}
