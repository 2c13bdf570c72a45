"""Request logs: one JSON line per request, with no token, cookie, query string or email body."""

from __future__ import annotations

import json
import logging

import pytest

from .serving import demo_plan

TOKEN = "eyJhbGciOiJSUzI1NiJ9.SECRET-BEARER-TOKEN-7f3a9.signature"
COOKIE = "session=COOKIE-VALUE-c41d"
QUERY_TOKEN = "QUERY-TOKEN-99e1"
BODY_PHRASE = "Our confidential budget is 4711 thousand"
SELLER = "dana.private@brightpath.example"


@pytest.fixture
def request_lines(caplog):
    """The structured request lines logged during the test."""
    caplog.set_level(logging.INFO, logger="addin_server.request")

    def lines() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records
                if r.name == "addin_server.request"]

    return lines


def _reply(plan_id: str) -> bytes:
    return (
        "From: Maria Lopez <maria.lopez@northwind-health.example>\r\n"
        f"To: {SELLER}\r\n"
        f"Subject: Re: Mutual action plan MAP-{plan_id}\r\n"
        "Message-ID: <logging-test-1@northwind-health.example>\r\n"
        "Date: Mon, 04 Jan 2027 13:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hi Dana, {BODY_PHRASE}. Can the pilot start a week later?\r\n"
    ).encode()


def test_requests_with_a_bearer_token_and_an_email_body_log_neither(client, caplog,
                                                                    request_lines):
    headers = {"Authorization": f"Bearer {TOKEN}", "Cookie": COOKIE, "X-Dev-User": SELLER}
    created = client.post("/api/plans", json=demo_plan(), headers=headers)
    assert created.status_code == 201
    plan_id = created.get_json()["id"]
    ingested = client.post(
        f"/api/plans/{plan_id}/messages?access_token={QUERY_TOKEN}", data=_reply(plan_id),
        content_type="message/rfc822", headers=headers,
    )
    assert ingested.status_code in (200, 201), ingested.get_json()
    missing = client.get(f"/api/plans/NOPLAN00?token={QUERY_TOKEN}", headers=headers)
    assert missing.status_code == 404

    everything = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (TOKEN, "SECRET-BEARER", COOKIE, "COOKIE-VALUE", QUERY_TOKEN, BODY_PHRASE,
                   "4711", SELLER, "access_token", "maria.lopez"):
        assert secret not in everything, f"{secret!r} leaked into the logs"

    lines = request_lines()
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/api/plans", 201),
        ("POST", f"/api/plans/{plan_id}/messages", ingested.status_code),
        ("GET", "/api/plans/NOPLAN00", 404),
    ]
    for line in lines:
        assert set(line) == {"ts", "event", "method", "path", "route", "status", "duration_ms",
                             "bytes", "request_id", "user"}
        assert line["duration_ms"] >= 0
        assert len(line["user"]) == 16 and line["user"] != SELLER
    assert len({line["user"] for line in lines}) == 1  # one seller, one pseudonym
    assert lines[1]["route"] == "/api/plans/<plan_id>/messages"
    assert lines[2]["request_id"] == missing.headers["X-Request-Id"]
    assert lines[2]["request_id"] == missing.get_json()["request_id"]


def test_a_request_refused_before_the_view_is_still_logged_with_its_request_id(client,
                                                                              request_lines):
    response = client.get("/api/plans", headers={"X-Dev-User": "not an email"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 400
    [line] = request_lines()
    assert line["status"] == 400
    assert line["user"] is None
    assert line["request_id"] == response.get_json()["request_id"]


def test_two_users_get_different_pseudonyms_and_no_address_is_logged(client, request_lines):
    client.get("/api/plans", headers={"X-Dev-User": "one@seller.example"})
    client.get("/api/plans", headers={"X-Dev-User": "two@seller.example"})
    first, second = request_lines()
    assert first["user"] != second["user"]
    assert "seller.example" not in json.dumps([first, second])
