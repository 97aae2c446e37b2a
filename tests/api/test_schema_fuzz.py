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


# Hostile input no generator makes (issue 12): a body 100,000 levels deep, one
# past the depth limit, one over the size limit, and list parameters no form
# offers. Each is sent to every operation that takes it, and checked as the
# generated cases are: no 5xx, and the answer (a 400 or a 413) as documented.
DEEP_BODIES = ["[" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 30 + "]" * 30]
HOSTILE_QUERIES = [
    {"page": "abc"},
    {"page": "²"},
    {"page_size": "١"},
    {"page": "9" * 5000},
    {"sort": "²"},
    {"status": "\u0000"},
    {"source": "0.5"},
    {"topic": "x" * 5000},
]


def test_no_operation_answers_hostile_bodies_or_list_parameters_with_a_server_error(
    db, connection_kept, subtests, settings
):
    # Small, so that the over-the-limit body costs nothing to build.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    schema, token = fuzzed_schema("negative")
    headers = {"Authorization": f"Token {token}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    sent = 0
    for operation in operations_of(schema):
        model = next((m for p, m in MODELS.items() if operation.path.startswith(p + "{id}")), None)
        first = model.objects.order_by("pk").first() if model else None
        path = {"id": first.pk if first else 1} if model else None
        with subtests.test(msg=operation.label):
            if operation.body:
                for raw in [*DEEP_BODIES, '{"a": "' + "x" * 10_001 + '"}']:
                    case = operation.Case(
                        path_parameters=path, body={}, media_type="application/json"
                    )
                    response = case.call(data=raw.encode(), headers=headers)
                    case.validate_response(response, checks=checks)
                    assert response.status_code in (400, 401, 403, 404, 405, 409, 413)
                    sent += 1
            if operation.method.upper() == "GET" and "{id}" not in operation.path:
                for query in HOSTILE_QUERIES:
                    case = operation.Case(query=query)
                    response = case.call(headers=headers)
                    case.validate_response(response, checks=checks)
                    sent += 1
    assert sent > 100


def fuzzed_schema(mode: str):
    """Return the live schema, set to generate `mode` cases, and a moderator's token."""
    Cast.setUpTestData()
    token = Token.objects.create(user=Cast.moderator).key
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application())
    schema.config.generation.update(modes=[mode], deterministic=True)
    return schema, token


def operations_of(schema) -> list:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    return operations


def application():
    from crosscheck.wsgi import application

    return application


def fuzz(subtests, *, mode: str, checks: list) -> None:
    schema, token = fuzzed_schema(mode)
    for operation in operations_of(schema):

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
