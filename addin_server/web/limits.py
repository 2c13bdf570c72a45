"""Per-user rate limits on the expensive endpoints, counted where every process sees them."""

from __future__ import annotations

import functools

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
    """Run Flask-Limiter's per-request hooks only on endpoints that have a limit.

    Its check before the request, its headers after it and its teardown cost together about a
    sixth of a cheap request even where no limit applies, and it has no switch for that; the
    hooks are wrapped, nothing else changes.
    """
    stages = (
        (app.before_request_funcs.get(None, []), False),
        (app.after_request_funcs.get(None, []), True),  # must hand the response back
        (app.teardown_request_funcs.get(None, []), False),
    )
    for hooks, returns_response in stages:
        for index, hook in enumerate(hooks):
            if _belongs_to(hook, limiter):
                hooks[index] = _when_limited(hook, endpoints, returns_response)


def _belongs_to(hook, limiter: Limiter) -> bool:
    owner = getattr(hook, "__self__", None)  # a bound method
    if owner is None and isinstance(hook, functools.partial) and hook.args:
        owner = hook.args[0]  # Limiter registers its header hook as partial(method, limiter)
    return owner is limiter


def _when_limited(hook, endpoints: set[str], returns_response: bool):
    def run_if_limited(*args):
        if request.endpoint in endpoints:
            return hook(*args)
        return args[0] if returns_response else None

    return run_if_limited
