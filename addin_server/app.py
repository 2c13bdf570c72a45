"""The application factory: the one place that chooses the concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, g
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface

from . import config, jsontext
from .store.engine import make_engine
from .store.migrate import upgrade
from .store.repository import SqlUnitOfWork


@dataclass
class Addin:
    """What create_app wired: storage, token verifiers, mailbox factories."""

    engine: object
    verifiers: list = field(default_factory=list)
    mailboxes: dict = field(default_factory=dict)

    def __post_init__(self):
        self._engines = SqlUnitOfWork.engines(self.engine)

    def uow(self, write: bool = False) -> SqlUnitOfWork:
        """A unit of work on the configured database."""
        return SqlUnitOfWork(self.engine, write, engines=self._engines)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, non-ASCII kept and keys in their order, with stored JSON text spliced in."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return jsontext.dumps(obj, **kwargs)


class NoSessions(SecureCookieSessionInterface):
    """No cookie sessions: the server keeps no state per browser, and skips signing work."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config layers, storage (migrated), blueprints, handlers."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.json = JSONProvider(app)
    config.load(app, test_config)
    app.session_interface = NoSessions()  # state lives in the database, never in cookies
    engine = make_engine(app.config["DATABASE_URL"],
                         ping_after_idle=float(app.config["DATABASE_PING_AFTER_IDLE"]))
    if app.config["AUTO_MIGRATE"]:
        upgrade(engine)
    app.extensions["addin"] = Addin(engine=engine)
    _verifiers(app)
    _register(app)
    return app


def _verifiers(app: Flask) -> None:
    """Token verifiers for production mode, one per configured identity provider."""
    if app.config.get("MS_CLIENT_ID"):
        from .auth.entra import EntraVerifier

        app.extensions["addin"].verifiers.append(EntraVerifier.from_config(app.config))


def _register(app: Flask) -> None:
    from .web import api, errors, health, openapi, security

    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    _register_outlook(app)
    from . import mailboxes
    from .web import mailbox_api, webhooks

    mailboxes.init_app(app)
    app.register_blueprint(mailbox_api.bp)
    app.register_blueprint(webhooks.bp)
    from .web import gmail_addon

    app.register_blueprint(gmail_addon.bp)
    _request_hooks(app)
    from .web import limits

    limits.init_app(app)  # last: it wraps the views registered above
    from . import cli

    cli.init_app(app)


def _register_outlook(app: Flask) -> None:
    from .web import manifests, taskpane

    app.register_blueprint(manifests.bp)
    app.register_blueprint(taskpane.bp)
    app.register_blueprint(taskpane.pane_api)


def _request_hooks(app: Flask) -> None:
    from .web import logging as request_log
    from .web.auth import guard_dev_mode
    from .web.errors import request_id

    request_log.init_app(app)  # first, so the clock starts before any other hook can refuse
    app.before_request(guard_dev_mode)

    @app.after_request
    def _request_id(response):
        response.headers["X-Request-Id"] = request_id()
        return response

    @app.teardown_appcontext
    def _forget_user(_exc):
        g.pop("user", None)
