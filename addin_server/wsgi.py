"""The WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py addin_server.wsgi:app`."""

from __future__ import annotations

from .app import create_app

# The ONE module-level app in the project, on purpose: a WSGI server needs an importable callable.
# Nothing else imports this module; tests and the CLI call create_app() themselves. With
# preload_app off, each gunicorn worker imports it and builds its own engine after the fork.
# In production mode create_app does not migrate: run `flask --app addin_server db-upgrade` first.
app = create_app()
