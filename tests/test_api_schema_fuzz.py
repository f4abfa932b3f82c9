"""Schemathesis over the whole OpenAPI schema, against the WSGI application on the test database, with a
business token and an integration token: every answer (errors included) must match the schema, and none
may be a server error. Bounded and deterministic: at most MAX_EXAMPLES generated cases per operation and
token (derandomized, no shrinking), plus a few with the path naming a real object of the cast."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
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
def same_connection():
    """Requests through the WSGI handler run in this thread, on the test's transaction: the handler must not
    close the connection at the end of each request (Django's test client disconnects the same signals)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, same_connection):
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
    except (Exception, BaseExceptionGroup) as exc:  # collected: every operation is tried, then all are reported
        details = "\n".join(str(inner) for inner in getattr(exc, "exceptions", [exc]))
        failures.append(f"{operation.label}: {details}")


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
