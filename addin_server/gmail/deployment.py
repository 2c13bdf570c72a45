"""The Workspace add-on deployment file (gcloud workspace-add-ons deployments create ...)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..errors import ValidationError
from ..resources import resource_dir

TEMPLATE = "deployment.json.j2"
ENDPOINTS = ("homepage", "compose", "message", "action")


def _base(base_url: str) -> str:
    text = (base_url or "").strip().rstrip("/")
    parts = urlsplit(text)
    # Google calls add-on endpoints over HTTPS only.
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValidationError(f"The base URL must be an https:// address, not {text!r}.",
                              field="base_url")
    return text


def render_deployment(base_url: str) -> dict:
    """The deployment file for the server at base_url, as a dict ready for json.dumps."""
    environment = Environment(
        loader=FileSystemLoader(str(resource_dir("manifest") / "gmail")),
        undefined=StrictUndefined,
        autoescape=False,  # JSON: every inserted value goes through |tojson
    )
    text = environment.get_template(TEMPLATE).render(base_url=_base(base_url))
    return json.loads(text)


def endpoint_urls(base_url: str) -> dict[str, str]:
    """The full URL of each add-on endpoint (the audiences of Google's request tokens)."""
    base = _base(base_url)
    return {name: f"{base}/gmail/{name}" for name in ENDPOINTS}
