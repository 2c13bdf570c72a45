"""Shared fixtures: the app on SQLite (and PostgreSQL where a module asks), clients."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from addin_server import create_app
from addin_server.store.tables import metadata
from tests.support.postgres import throwaway_schema

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES = ("plan-onboarding", "plan-logistics-de", "plan-weak")


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent ({path} not found); this test reads the shared corpora")
    return path


def load_example(name: str) -> dict:
    """One of the shared example plans, as written."""
    return json.loads(shared_path("examples", f"{name}.json").read_text("utf-8"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_databases: run the module's tests on SQLite and on PostgreSQL"
    )


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ADDIN_TEST_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow reliability test: set ADDIN_TEST_SLOW=1 (.ci/run does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize("backend", ["sqlite", "postgres"] if both else ["sqlite"],
                             indirect=True)


@pytest.fixture(scope="session")
def postgres_schema_url():
    """A fresh schema on the test PostgreSQL server for this session, dropped at the end."""
    url = os.environ.get("ADDIN_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need ADDIN_TEST_POSTGRES_URL (.ci/run sets it)")
    try:
        schema_url, drop = throwaway_schema(url, "addin_test")
    except Exception as error:  # any connection failure must fail loudly when CI asked for it
        if os.environ.get("ADDIN_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL at {url} cannot be used: {error}")
        pytest.skip(f"PostgreSQL at {url} cannot be used: {error}")
    yield schema_url
    drop()


@pytest.fixture
def backend(request):
    """The database backend of this test run: 'sqlite' or 'postgres'."""
    return request.param


@pytest.fixture
def database_url(request, tmp_path):
    """A clean database for one test: a new SQLite file, or the PostgreSQL schema emptied."""
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'addin.sqlite3'}"
    url = request.getfixturevalue("postgres_schema_url")
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = [t.name for t in metadata.sorted_tables]
        exists = connection.execute(text("SELECT to_regclass('plans')")).scalar()
        if exists:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    """The app in dev mode on a clean database."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "AUTH_MODE": "dev",
            "BASE_URL": "https://addin.example",
        }
    )
    application.instance_path = str(tmp_path / "instance")
    yield application
    application.extensions["addin"].engine.dispose()


@pytest.fixture
def client(app):
    """A test client speaking as the demo user."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def entra():
    """A fake Entra ID on loopback that signs access tokens and serves its JWKS."""
    from tests.support.entra import Entra

    fake = Entra()
    yield fake
    fake.server.close()


@pytest.fixture
def examples():
    """The three shared example plans."""
    return {name: load_example(name) for name in EXAMPLES}
