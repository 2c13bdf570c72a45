"""Expensive endpoints are limited per user, with counts every process shares."""

from __future__ import annotations

import pytest

from addin_server import create_app

pytestmark = pytest.mark.both_databases


@pytest.fixture
def limited_app(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "RATE_LIMITS": {"api.timeline": "3/minute"}})
    yield app
    app.extensions["addin"].engine.dispose()


def _timeline(client, user):
    return client.post("/api/timeline", json={"value_realized": "2027-06-30",
                                              "today": "2026-12-04"},
                       headers={"X-Dev-User": user})


def test_a_user_past_the_limit_gets_429_in_the_error_shape(limited_app, backend):
    client = limited_app.test_client()
    answers = [_timeline(client, "a@x.example") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    # The limiter's own headers still come on limited endpoints, and only there.
    assert [a.headers.get("X-RateLimit-Remaining") for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    unlimited = client.get("/healthz")
    assert unlimited.status_code == 200 and "X-RateLimit-Limit" not in unlimited.headers
    refused = _timeline(client, "a@x.example")
    assert refused.get_json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    assert _timeline(client, "b@x.example").status_code == 200  # another user is not affected


def test_counts_are_shared_by_two_app_instances_on_one_database(database_url, backend):
    first = create_app({"TESTING": True, "DATABASE_URL": database_url,
                        "RATE_LIMITS": {"api.timeline": "3/minute"}})
    second = create_app({"TESTING": True, "DATABASE_URL": database_url,
                         "RATE_LIMITS": {"api.timeline": "3/minute"}})
    try:
        codes = [_timeline(app.test_client(), "a@x.example").status_code
                 for app in (first, second, first, second)]
        assert codes == [200, 200, 200, 429]
    finally:
        first.extensions["addin"].engine.dispose()
        second.extensions["addin"].engine.dispose()


def test_limits_switched_off_leave_every_endpoint_working(database_url, backend):
    import gc

    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "RATELIMIT_ENABLED": False, "RATE_LIMITS": {"api.timeline": "1/minute"}})
    gc.collect()
    client = app.test_client()
    try:
        assert [_timeline(client, "a@x.example").status_code for _ in range(3)] == [200] * 3
    finally:
        app.extensions["addin"].engine.dispose()


def test_every_limited_endpoint_exists(app, backend):
    from addin_server.web.limits import EXPENSIVE

    assert [name for name in EXPENSIVE if name not in app.view_functions] == []
