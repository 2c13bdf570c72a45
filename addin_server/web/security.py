"""Security headers: a strict CSP for pages (framable by Outlook), a closed one for JSON."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

OFFICE_CDN = "https://appsforoffice.microsoft.com"
MSAL_CDN = "https://alcdn.msauth.net"
# Outlook on the web and the new Outlook frame the task pane from these origins.
OUTLOOK_FRAMERS = (
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://outlook.live.com",
    "https://*.outlook.com",
    "https://*.office.com",
    "https://*.office365.com",
    "https://*.microsoft.com",
    "https://*.cloud.microsoft",
)


def _script_origins(msal_js_url: str | None) -> str:
    """Our origin, the Office CDN, and wherever MSAL.js is configured to load from."""
    origins = ["'self'", OFFICE_CDN, MSAL_CDN]
    parts = urlsplit(msal_js_url or "")
    if parts.scheme == "https" and parts.netloc:
        origins.append(f"https://{parts.netloc}")
    return " ".join(dict.fromkeys(origins))


def page_policy(msal_js_url: str | None = None) -> str:
    """The CSP for the task pane pages."""
    framers = " ".join(("'self'",) + OUTLOOK_FRAMERS)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {_script_origins(msal_js_url)}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: https:",
            "font-src 'self'",
            "connect-src 'self' https://login.microsoftonline.com https://graph.microsoft.com",
            "frame-src 'self' https://login.microsoftonline.com " + OFFICE_CDN,
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {framers}",
        ]
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    # Built once: the settings it depends on are fixed when the app is created.
    pages = page_policy(app.config.get("MSAL_JS_URL"))
    closed = "default-src 'none'; frame-ancestors 'none'"

    @app.after_request
    def _headers(response):
        # One pass over the few headers already set; werkzeug's setdefault and mimetype each
        # cost more than this whole hook (a KeyError built per miss, a header parse).
        present = {name.lower() for name, _ in response.headers.items()}
        html = (response.content_type or "").startswith("text/html")
        wanted = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Content-Security-Policy", pages if html else closed),
        ]
        if request.is_secure:
            wanted.append(("Strict-Transport-Security", "max-age=31536000"))
        for name, value in wanted:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
