"""Production serving: the gunicorn config, the WSGI module and migrations as a separate step."""

from __future__ import annotations

import importlib
import os
import runpy
import sys
from pathlib import Path

import pytest
from gunicorn.config import Config

from addin_server import create_app

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_ENV = ("PORT", "ADDIN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT",
                "GUNICORN_ACCESS_LOG", "GUNICORN_CONTROL_SOCKET")


def production_config(database_url: str, **extra) -> dict:
    """The least a production app needs to start (Google sign-in only)."""
    return {
        "AUTH_MODE": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "a-long-random-test-secret-0b8d2",
        "BASE_URL": "https://addin.example",
        "GOOGLE_SERVICE_ACCOUNT": "service-1@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
        "GOOGLE_OAUTH_CLIENT_ID": "1234-test.apps.googleusercontent.com",
        **extra,
    }


def gunicorn_settings(monkeypatch, **env) -> Config:
    """gunicorn.conf.py evaluated under env, applied to gunicorn's own (validating) Config."""
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_gunicorn_binds_from_port_or_addin_bind_and_sizes_workers_from_cores(monkeypatch):
    default = gunicorn_settings(monkeypatch)
    assert default.bind == ["0.0.0.0:8000"]
    assert default.workers == len(os.sched_getaffinity(0)) * 2 + 1
    assert default.preload_app is False
    assert default.timeout == 30 and default.graceful_timeout == 30
    assert gunicorn_settings(monkeypatch, PORT="9123").bind == ["0.0.0.0:9123"]
    chosen = gunicorn_settings(monkeypatch, PORT="9123", ADDIN_BIND="127.0.0.1:7000",
                               WEB_CONCURRENCY="3", GUNICORN_TIMEOUT="12")
    assert chosen.bind == ["127.0.0.1:7000"]
    assert chosen.workers == 3
    assert chosen.timeout == 12


def test_gunicorn_access_log_format_never_shows_query_strings_or_referers(monkeypatch):
    config = gunicorn_settings(monkeypatch, GUNICORN_ACCESS_LOG="-")
    assert config.accesslog == "-"
    line_format = config.access_log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({", "%(u)s"):
        assert atom not in line_format  # request line, query, referer, headers, user
    assert "%(U)s" in line_format  # the path alone
    logging_config = config.logconfig_dict
    assert logging_config["loggers"]["addin_server.request"]["propagate"] is False
    quiet = gunicorn_settings(monkeypatch).logconfig_dict
    assert quiet["loggers"]["gunicorn.access"]["handlers"] == []


def test_production_does_not_migrate_on_start_until_db_upgrade_runs(tmp_path):
    app = create_app(production_config(f"sqlite:///{tmp_path / 'prod.sqlite3'}"))
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        pending = client.get("/readyz")
        assert pending.status_code == 503
        assert pending.get_json()["status"] == "migrations pending"
        with app.app_context():  # the `flask` command pushes one itself
            result = app.test_cli_runner().invoke(args=["db-upgrade"])
        assert result.exit_code == 0, result.output
        assert client.get("/readyz").status_code == 200
    finally:
        app.extensions["addin"].engine.dispose()


def test_addin_auto_migrate_turns_migration_on_start_back_on_in_production(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("ADDIN_AUTO_MIGRATE", "true")
    app = create_app(production_config(f"sqlite:///{tmp_path / 'prod.sqlite3'}"))
    try:
        assert app.config["AUTO_MIGRATE"] is True
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        app.extensions["addin"].engine.dispose()


def test_dev_mode_still_migrates_on_start(tmp_path):
    app = create_app({"AUTH_MODE": "dev", "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    try:
        assert app.config["AUTO_MIGRATE"] is True
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        app.extensions["addin"].engine.dispose()


def test_the_wsgi_module_builds_the_app_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ADDIN_AUTH_MODE", "dev")
    monkeypatch.setenv("ADDIN_DATABASE_URL", f"sqlite:///{tmp_path / 'wsgi.sqlite3'}")
    sys.modules.pop("addin_server.wsgi", None)
    module = importlib.import_module("addin_server.wsgi")
    try:
        assert module.app.config["DATABASE_URL"].endswith("wsgi.sqlite3")
        assert module.app.test_client().get("/readyz").status_code == 200
    finally:
        module.app.extensions["addin"].engine.dispose()
        sys.modules.pop("addin_server.wsgi", None)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "BASE_URL"])
def test_production_refuses_to_start_without_its_settings(tmp_path, missing):
    settings = production_config(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    settings.pop(missing)
    with pytest.raises(RuntimeError, match=f"ADDIN_{missing}"):
        create_app(settings)


@pytest.mark.slow
def test_several_dev_workers_migrating_a_fresh_sqlite_file_at_once_all_boot(tmp_path):
    from .serving import Server, live_members

    database = tmp_path / "fresh.sqlite3"
    server = Server(f"sqlite:///{database}", tmp_path, workers=4, name="fresh",
                    env={"ADDIN_AUTO_MIGRATE": "true"})
    try:
        server.start(timeout=120)
        assert server.process.poll() is None
        log = (tmp_path / "fresh-1.log").read_text("utf-8", "replace")
        assert "database is locked" not in log
        assert "Worker failed to boot" not in log
        assert len(live_members(server.process.pid)) == 1 + 4  # master and every worker
    finally:
        server.stop()
