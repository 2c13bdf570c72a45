"""A PostgreSQL connection that dies: pinged away when idle, a 503 at worst, never two."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from addin_server import create_app

pytestmark = pytest.mark.both_databases
SELLER = {"X-Dev-User": "dana@brightpath.example"}


@pytest.fixture
def postgres_only(backend):
    if backend != "postgres":
        pytest.skip("connection loss is a PostgreSQL matter: SQLite has no server to lose")


def _app(database_url, ping_after_idle):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTH_MODE": "dev",
                       "DATABASE_PING_AFTER_IDLE": ping_after_idle})


def _kill_pooled_connections(app, database_url):
    """Terminate the server side of every connection the app's pool holds."""
    engine = app.extensions["addin"].engine
    with engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    assert engine.pool.checkedin() == 1  # the one connection the requests shared
    admin = create_engine(database_url)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": pid}).scalar()
    finally:
        admin.dispose()


def test_a_connection_dead_while_idle_is_pinged_and_replaced(postgres_only, database_url,
                                                             examples):
    app = _app(database_url, ping_after_idle=0.2)
    try:
        client = app.test_client()
        plan_id = client.post("/api/plans", json=examples["plan-onboarding"],
                              headers=SELLER).get_json()["id"]
        _kill_pooled_connections(app, database_url)
        time.sleep(0.3)
        read = client.get(f"/api/plans/{plan_id}", headers=SELLER)
        assert read.status_code == 200 and read.get_json()["version"] == 1
    finally:
        app.extensions["addin"].engine.dispose()


@pytest.mark.parametrize("request_kind", ["plan read", "email", "edit"])
def test_a_connection_dead_in_use_fails_one_request_with_503_and_the_next_works(
        postgres_only, database_url, examples, request_kind):
    app = _app(database_url, ping_after_idle=3600)
    try:
        client = app.test_client()
        created = client.post("/api/plans", json=examples["plan-onboarding"],
                              headers=SELLER).get_json()
        plan_id = created["id"]

        def send():
            if request_kind == "edit":
                return client.put(f"/api/plans/{plan_id}", json=created["plan"],
                                  headers={**SELLER, "If-Match": '"1"'})
            suffix = "/email" if request_kind == "email" else ""
            return client.get(f"/api/plans/{plan_id}{suffix}", headers=SELLER)

        _kill_pooled_connections(app, database_url)
        failed = send()
        assert failed.status_code == 503
        assert failed.headers["Retry-After"] == "1"
        body = failed.get_json()
        assert body["error"] == "database_unavailable" and body["request_id"]
        assert "Traceback" not in failed.get_data(as_text=True)
        again = send()
        assert again.status_code == 200
        if request_kind == "edit":
            assert again.get_json()["version"] == 2  # the failed attempt wrote nothing
    finally:
        app.extensions["addin"].engine.dispose()
