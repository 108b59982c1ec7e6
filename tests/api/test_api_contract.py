"""The API against its own OpenAPI document, by requests Schemathesis generates from it:
no server error for any request, and every answer (status, content type, body) as documented.

Runs on SQLite: the operations are the same on PostgreSQL (tests/api/test_*_api.py run on
both), and the generated requests are the point here. Each operation gets a budget of
examples (CONTRACT_EXAMPLES) with a fixed seed, so a run is repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from qa_app import db
from tests.api.conftest import make_token

CONTRACT_EXAMPLES = 40


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value) -> bytes:
    """The bulk operation's body: the generated call (or calls) one JSON object a line."""
    import json

    items = value if isinstance(value, list) else [value]
    return b"\n".join(json.dumps(item).encode("utf-8", "surrogatepass") for item in items)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


@pytest.fixture
def api_app(sqlite_url):
    from qa_app.store.rubrics import register_rubric_files, rubric_files
    from qa_app.store.users import create_user
    from tests.conftest import RUBRICS_DIR, _make_app
    from tests.views.conftest import PASSWORD, add_call

    for app in _make_app(sqlite_url):
        app.config["API_RATE_LIMIT"] = "100000 per minute"
        with db.transaction(db.get_engine_for(app)) as session:
            register_rubric_files(session, rubric_files(RUBRICS_DIR))
            create_user(session, "lead@test.example", "Lead", "lead", PASSWORD)
        add_call(app, "C-1")
        app.config["TEST_TOKEN"] = make_token(
            app, "lead@test.example",
            "calls:write,calls:read,outcomes:write,customers:write,reviews:read,flags:read,"
            "machine:read,calibration:read",
        )
        yield app


def test_every_answer_is_as_documented(api_app):
    """Every operation of the document, each with its own generated requests."""
    from hypothesis import given

    token = api_app.config["TEST_TOKEN"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} >= {
        "PUT /api/v1/calls/{external_id}", "GET /api/v1/calls/{external_id}",
        "GET /api/v1/reviews", "PUT /api/v1/calls/{external_id}/outcomes",
        "PUT /api/v1/customers/{customer_id}", "POST /api/v1/customers/{customer_id}/events",
        "POST /api/v1/calls:bulk", "GET /api/v1/flags/summary", "GET /api/v1/machine/scores",
        "GET /api/v1/calibration/sessions",
    }  # fmt: skip
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=CONTRACT_EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def answers_as_documented(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        answers_as_documented()


def test_the_guide_lists_every_operation_of_the_document(api_app):
    """docs/api.md's table of operations is the OpenAPI document's, no more and no less."""
    import re

    from tests.conftest import PROJECT_ROOT

    document = api_app.test_client().get("/api/v1/openapi.json").get_json()
    served = {f"{method.upper()} {path}" for path, item in document["paths"].items()
              for method in item if method in ("get", "put", "post", "patch", "delete")}
    served.add("GET /api/v1/openapi.json")
    page = (PROJECT_ROOT / "docs" / "api.md").read_text()
    listed = set(re.findall(r"^\| `((?:GET|PUT|POST|PATCH|DELETE) /api/v1/[^`]*)`", page, re.M))
    assert listed == served
