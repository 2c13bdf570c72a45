"""The OpenAPI document matches the API: schemathesis finds no 5xx and no off-document reply."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from addin_server.web.openapi import document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app):
    with app.app_context():
        client = app.test_client()
        seeded = client.post("/api/plans", json={
            "customer": {"organization": "Acme"}, "desired_outcome": "Faster",
            "milestones": [{"name": "Go-live", "kind": "go_live", "date": "2027-03-01",
                            "owner": "joint"}]})
        assert seeded.status_code == 201

    def on_loopback(environ, start_response):
        # schemathesis's WSGI client leaves REMOTE_ADDR unset; dev mode answers only loopback.
        environ["REMOTE_ADDR"] = environ.get("REMOTE_ADDR") or "127.0.0.1"
        return app(environ, start_response)

    return schemathesis.openapi.from_wsgi("/openapi.json", on_loopback)


EXAMPLES_PER_OPERATION = 15


@schemathesis.serializer("message/rfc822")
def _rfc822(_ctx, value):
    """Generated bodies for the message endpoint go out as raw bytes."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def test_api_conforms_to_its_openapi_document(api_schema, capsys):
    tried = {"cases": 0}

    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case):
            tried["cases"] += 1
            case.call_and_validate(checks=CHECKS)

        conforms()
    with capsys.disabled():
        print(f"\nschemathesis: {tried['cases']} cases over "
              f"{len(list(api_schema.get_all_operations()))} operations, no failure")
    assert tried["cases"] >= 100


def test_document_lists_every_api_route(app):
    documented = set(document()["paths"])
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/api/") or path.startswith("/api/pane/"):
            continue
        openapi_path = path.replace("<int:", "{").replace("<path:", "{").replace(
            "<", "{").replace(">", "}")
        assert openapi_path in documented, f"{path} is not in /openapi.json"


def test_openapi_is_served(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")
