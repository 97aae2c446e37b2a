"""
Schemathesis runs every operation of the live OpenAPI schema, loaded from the
Django WSGI app, as a moderator with a token, so writes run too: no answer
is a 5xx, and every answer conforms to the schema (its status code, content
type, headers and body).

Bounded: EXAMPLES inputs per operation, generated deterministically (the same
inputs on every run). The first test sends valid data (the schema's
"positive" cases) and checks every answer against the schema; the second
sends data the schema forbids (wrong types, missing fields, out-of-range
values: the "negative" cases) and checks only that none is a server error,
since the exact 4xx for each malformed input is not in the schema. All
operations run in one test each, on the January cast, inside its
transaction (pytest-django's `db`).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from claims.models import Claim, Conflict, Detainee, Document, Topic
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast

pytestmark = pytest.mark.api_fuzz

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Cast(RoleCast, JanuaryCast):
    """The January case and a user per role, built for the fuzzing run."""


# Most ids drawn at random name nothing (404): an operation on one record is
# also run on the records that exist, so that its writes are exercised.
MODELS = {
    "/api/claims/": Claim,
    "/api/conflicts/": Conflict,
    "/api/detainees/": Detainee,
    "/api/documents/": Document,
    "/api/notes/": CredibilityNote,
    "/api/sources/": Source,
    "/api/topics/": Topic,
}


def on_existing_records(operation):
    cases = operation.as_strategy()
    model = next((m for p, m in MODELS.items() if operation.path.startswith(p + "{id}")), None)
    if model is None:
        return cases
    ids = sorted(model.objects.values_list("pk", flat=True))

    def on(case, pk: int):
        case.path_parameters = {**(case.path_parameters or {}), "id": pk}
        return case

    return st.one_of(cases, st.builds(on, cases, st.sampled_from(ids)))


@pytest.fixture
def connection_kept():
    """Keep the test's database connection across requests, as Django's test client does.

    The WSGI app closes connections at the end of each request; inside the
    test's transaction that would close it on PostgreSQL.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_answers_without_a_server_error_and_as_documented(
    db, connection_kept, subtests
):
    fuzz(subtests, mode="positive", checks=CHECKS)


def test_no_operation_answers_malformed_input_with_a_server_error(db, connection_kept, subtests):
    fuzz(subtests, mode="negative", checks=[not_a_server_error])


def fuzz(subtests, *, mode: str, checks: list) -> None:
    from crosscheck.wsgi import application

    Cast.setUpTestData()
    token = Token.objects.create(user=Cast.moderator).key
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    schema.config.generation.update(modes=[mode], deterministic=True)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:

        @given(case=on_existing_records(operation))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)

        with subtests.test(msg=operation.label):
            run()
