"""Configuration: production refuses to start without its secrets, naming each one."""

from __future__ import annotations

import pytest

from addin_server import create_app


def test_production_refuses_default_secret_and_missing_settings(tmp_path):
    with pytest.raises(RuntimeError) as refused:
        create_app({"AUTH_MODE": "production",
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    message = str(refused.value)
    assert "ADDIN_SECRET_KEY" in message
    assert "ADDIN_BASE_URL" in message
    assert "ADDIN_MS_CLIENT_ID or ADDIN_GOOGLE_SERVICE_ACCOUNT" in message


def test_production_with_microsoft_needs_its_client_secret(tmp_path):
    with pytest.raises(RuntimeError) as refused:
        create_app({"AUTH_MODE": "production", "SECRET_KEY": "s3cr3t-from-env",
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                    "BASE_URL": "https://map.example", "MS_CLIENT_ID": "abc"})
    assert "ADDIN_MS_CLIENT_SECRET" in str(refused.value)
    assert "ADDIN_SECRET_KEY" not in str(refused.value)


def test_unknown_auth_mode_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="ADDIN_AUTH_MODE"):
        create_app({"AUTH_MODE": "open", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})


def test_settings_come_from_addin_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("ADDIN_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("ADDIN_BASE_URL", "https://map.example")
    app = create_app()
    assert app.config["BASE_URL"] == "https://map.example"
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    app.extensions["addin"].engine.dispose()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("ADDIN_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "DATABASE_URL": None, "AUTO_MIGRATE": False})
    assert app.config["DATABASE_URL"] == f"sqlite:///{app.instance_path}/addin.sqlite3"
    app.extensions["addin"].engine.dispose()
