"""Schemathesis over the whole OpenAPI schema, against the WSGI application on the test database, with a
business token and an integration token: every answer (errors included) must match the schema, and none
may be a server error. Bounded and deterministic: at most MAX_EXAMPLES generated cases per operation and
token (derandomized, no shrinking), plus a few with the path naming a real object of the cast."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.feedback.cases.support import case_cast, complain  # noqa: F401  (a fixture)

MAX_EXAMPLES = 20
REAL_EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def api_schema():
    from customs_portal.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def _real_objects(cast) -> dict:
    """Path parameters that name objects the callers may reach (the rest are generated)."""
    case = complain(cast)
    return {"number": cast.dx.number, "id": case.pk, "year": 2025}


def _run(operation, strategy, examples: int, header: str, failures: list) -> None:
    @settings(BOUNDED, max_examples=examples)
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers={"Authorization": header}, checks=CHECKS)

    try:
        run()
    except Exception as exc:  # collected: every operation is tried, then all failures are reported
        failures.append(f"{operation.label}: {exc}")


@pytest.mark.parametrize("role", ["business", "integration"])
def test_every_operation_answers_as_its_schema_says(case_cast, api_schema, token_for, role):  # noqa: F811
    header = token_for(getattr(case_cast.users, role))
    real = _real_objects(case_cast)
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        _run(operation, operation.as_strategy(), MAX_EXAMPLES, header, failures)
        names = {parameter.name for parameter in operation.path_parameters}
        if names and names <= set(real):
            fixed = {name: real[name] for name in names}
            _run(operation, operation.as_strategy(path_parameters=fixed), REAL_EXAMPLES, header, failures)
    assert failures == [], "\n\n".join(failures)
