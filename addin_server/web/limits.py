"""Per-user rate limits on the expensive endpoints, counted where every process sees them."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

from ..errors import AddinError
from ..store import ratelimit  # noqa: F401  (registers the addin+sql:// storage scheme)

# endpoint -> limit; the ones that parse mail, render, call mailboxes or run every check.
EXPENSIVE = {
    "api.ingest_message": "60/minute",
    "api.preview": "240/minute",
    "api.timeline": "120/minute",
    "api.resend": "30/minute",
    "api.accept": "120/minute",
    "api.create_plan": "120/minute",
    "mailbox_api.sync": "30/minute",
    "mailbox_api.send": "20/minute",
    "gmail_addon.action": "240/minute",
    "api.checks": "240/minute",
    "api.suggestions": "240/minute",
    "pane_api.suggestions": "240/minute",
}


def _user_key() -> str:
    from .auth import current_user

    try:
        return "user:" + current_user().id
    except AddinError:
        return "addr:" + (request.remote_addr or "unknown")


def init_app(app: Flask) -> Limiter:
    """Attach the limiter; counts go to Redis when configured, else to the app's database."""
    uri = app.config.get("RATELIMIT_STORAGE_URI")
    options = {} if uri else {"engine": app.extensions["addin"].engine}
    limiter = Limiter(
        key_func=_user_key,
        app=app,
        storage_uri=uri or "addin+sql://",
        storage_options=options,
        strategy="fixed-window",
        headers_enabled=True,
        enabled=app.config.get("RATELIMIT_ENABLED", True),
    )
    # The wrapped views hold the limiter only weakly; when disabled, Flask-Limiter registers
    # nothing on the app, so keep it alive here.
    app.extensions["addin_limiter"] = limiter
    limits = {**EXPENSIVE, **(app.config.get("RATE_LIMITS") or {})}
    for endpoint, limit in limits.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(limit)(view)
    _only_where_limited(app, limiter, set(limits))
    return limiter


def _only_where_limited(app: Flask, limiter: Limiter, endpoints: set[str]) -> None:
    """Run Flask-Limiter's per-request check only on endpoints that have a limit.

    Its before-request hook costs about a sixth of a cheap request even where no limit
    applies, and it has no switch for that; the hook is wrapped, nothing else changes.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__self__", None) is limiter:
            hooks[index] = _when_limited(hook, endpoints)


def _when_limited(check, endpoints: set[str]):
    def check_if_limited():
        if request.endpoint in endpoints:
            return check()
        return None

    return check_if_limited
