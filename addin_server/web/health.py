"""Liveness and readiness for load balancers and make run."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..store.migrate import is_current

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the app and its database answer."""
    try:
        with current_app.extensions["addin"].engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify({"status": "database unavailable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """200 when the database is reachable and migrated to the latest schema."""
    try:
        current = is_current(current_app.extensions["addin"].engine)
    except SQLAlchemyError:
        return jsonify({"status": "database unavailable"}), 503
    if not current:
        return jsonify({"status": "migrations pending"}), 503
    return jsonify({"status": "ready"})
