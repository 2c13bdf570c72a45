"""Settings in layers: defaults, then the instance folder, then ADDIN_* variables, then tests."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "AUTH_MODE": "dev",
    "BASE_URL": "https://localhost:5000",
    "SECRET_KEY": "dev-only-not-secret",
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "DATABASE_PING_AFTER_IDLE": 10.0,  # seconds a pooled PostgreSQL connection idles before a ping
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "MAX_MESSAGE_BYTES": 5 * 1024 * 1024,
    "AUTO_MIGRATE": None,  # None: migrate on start in dev only; production runs `db-upgrade`
    "DEMO_USER": "demo@localhost",
    # Microsoft (Outlook add-in, Graph)
    "MS_CLIENT_ID": None,
    "MS_CLIENT_SECRET": None,
    "MS_API_AUDIENCE": None,  # e.g. api://<host>/<client id>
    "MS_API_SCOPE": "access_as_user",
    "MS_AUTHORITY": "https://login.microsoftonline.com",
    "MS_JWKS_URL": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
    "MS_ALLOWED_TENANTS": None,  # comma-separated tenant ids; None allows any tenant
    # MSAL.js 3+ (Nested App Authentication) is no longer on Microsoft's CDN: npm's UMD build.
    "MSAL_JS_URL": "https://cdn.jsdelivr.net/npm/@azure/msal-browser@3.28.1/lib/msal-browser.min.js",
    "OUTLOOK_ADDIN_ID": None,  # the manifests' add-in id (a GUID); None uses the built-in one
    "GRAPH_URL": "https://graph.microsoft.com/v1.0",
    # Google (Gmail add-on, Gmail API)
    "GOOGLE_SERVICE_ACCOUNT": None,  # service-<N>@gcp-sa-gsuiteaddons.iam.gserviceaccount.com
    "GOOGLE_CERTS_URL": "https://www.googleapis.com/oauth2/v1/certs",
    "GOOGLE_OAUTH_CLIENT_ID": None,  # the add-on's OAuth client id: userIdToken audience
    "GOOGLE_PUBSUB_AUDIENCE": None,
    "GOOGLE_PUBSUB_SERVICE_ACCOUNT": None,
    "GMAIL_API_URL": "https://gmail.googleapis.com/",
    "GRAPH_CLIENT_STATE": None,
    "OUTBOUND_TIMEOUT": 10.0,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": None,  # e.g. redis://127.0.0.1:6379; None: the app's database
    "RATE_LIMITS": None,  # {endpoint: "N/period"} to override the defaults in web/limits.py
    # Mailboxes and push (docs/mailboxes.md)
    "MS_TENANT": "organizations",  # the tenant part of the on-behalf-of authority
    "OUTBOUND_CA_BUNDLE": None,  # a CA file for outbound HTTPS (corporate proxy); None: system
    "GOOGLE_PUBSUB_TOPIC": None,  # projects/<project>/topics/<topic> for Gmail users.watch
    "GRAPH_NOTIFICATION_URL": None,  # default: BASE_URL + /webhooks/graph
}

# Settings production refuses to start without, with the reason shown to the operator.
REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a random secret key",
    "DATABASE_URL": "the PostgreSQL URL",
    "BASE_URL": "the public HTTPS origin of the server",
}


def load(app, test_config: dict | None) -> None:
    """Fill app.config from the layers."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ADDIN")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        database = os.path.join(app.instance_path, "addin.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{database}"
    app.config["AUTH_MODE"] = str(app.config["AUTH_MODE"]).lower()
    if app.config["AUTH_MODE"] not in ("dev", "production"):
        raise RuntimeError("ADDIN_AUTH_MODE must be 'dev' or 'production'.")
    if app.config["AUTO_MIGRATE"] is None:
        app.config["AUTO_MIGRATE"] = app.config["AUTH_MODE"] == "dev"
    if app.config["AUTH_MODE"] == "production":
        check_production(app.config)


def check_production(config) -> None:
    """Refuse to run in production with a default secret or a missing setting, naming it."""
    missing = [
        f"ADDIN_{key} ({why})"
        for key, why in REQUIRED_IN_PRODUCTION.items()
        if not config.get(key) or config.get(key) == DEFAULTS.get(key)
    ]
    has_ms = config.get("MS_CLIENT_ID")
    has_google = config.get("GOOGLE_SERVICE_ACCOUNT")
    if not (has_ms or has_google):
        missing.append("ADDIN_MS_CLIENT_ID or ADDIN_GOOGLE_SERVICE_ACCOUNT (a way to sign in)")
    if has_google and not config.get("GOOGLE_OAUTH_CLIENT_ID"):
        missing.append("ADDIN_GOOGLE_OAUTH_CLIENT_ID (to identify the Gmail user)")
    if has_ms and not config.get("MS_CLIENT_SECRET"):
        missing.append("ADDIN_MS_CLIENT_SECRET (for Graph on behalf of the seller)")
    if has_ms and not config.get("MS_API_AUDIENCE"):
        missing.append("ADDIN_MS_API_AUDIENCE (the API's application id URI)")
    if missing:
        raise RuntimeError("Production mode needs these settings: " + "; ".join(missing))
