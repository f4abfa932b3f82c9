"""Fixtures of the feedback tests beyond the shared cast (tests/conftest.py)."""

from tests.feedback.cases.support import case_cast  # noqa: F401  (a fixture, found by pytest here)
