"""The add-in manifests, filled with the public base URL: served over HTTP, written by the CLI."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Blueprint, Response, current_app
from flask.cli import with_appcontext
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..errors import NotFound, ValidationError
from ..resources import resource_dir

bp = Blueprint("manifests", __name__, url_prefix="/manifest")

# The add-in's identity in Microsoft 365: stable across releases (a new id is a new add-in).
DEFAULT_ADDIN_ID = "23914948-86f9-4a26-82e8-537237c28141"
MANIFEST_VERSION = "1.0.0"
PROVIDER = "MAP add-in"
OUTLOOK_FILES = {"outlook.xml": "outlook.xml.j2", "outlook.json": "outlook.json.j2"}
GMAIL_FILE = "gmail-deployment.json"


def normalize_base_url(value: str | None) -> str:
    """The public HTTPS origin (optionally with a path), without a trailing slash."""
    text = (value or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError(
            f"The base URL must be an https:// address, not {text!r}.", field="base_url"
        )
    if parts.query or parts.fragment or any(c in text for c in "\"'<>& "):
        raise ValidationError(
            "The base URL must be a plain origin such as https://addin.example.com.",
            field="base_url",
        )
    return text


def _environment() -> Environment:
    # XML templates escape what they insert; JSON templates insert values through |tojson.
    return Environment(
        loader=FileSystemLoader(str(resource_dir("manifest"))),
        autoescape=lambda name: bool(name) and name.endswith(".xml.j2"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _context(base_url: str, settings) -> dict:
    client_id = settings.get("MS_CLIENT_ID")
    audience = settings.get("MS_API_AUDIENCE") or (f"api://{client_id}" if client_id else None)
    return {
        "base_url": base_url,
        "host": urlsplit(base_url).netloc,
        "addin_id": settings.get("OUTLOOK_ADDIN_ID") or DEFAULT_ADDIN_ID,
        "version": MANIFEST_VERSION,
        "provider": PROVIDER,
        "ms_client_id": client_id,
        "ms_api_audience": audience,
    }


def render_outlook(name: str, base_url: str, settings) -> str:
    """One Outlook manifest ('outlook.xml' or 'outlook.json') as text."""
    template = _environment().get_template(OUTLOOK_FILES[name])
    text = template.render(**_context(normalize_base_url(base_url), settings))
    if name.endswith(".json"):
        json.loads(text)  # a template mistake must fail here, not in Outlook
    return text


def gmail_renderer():
    """The Gmail engineer's render_deployment(base_url), or None while it does not exist."""
    try:
        module = importlib.import_module("addin_server.gmail.deployment")
    except ImportError:
        return None
    return getattr(module, "render_deployment", None)


def render_all(base_url: str, settings) -> dict[str, str]:
    """Every manifest that can be built now, by file name."""
    files = {name: render_outlook(name, base_url, settings) for name in OUTLOOK_FILES}
    render_deployment = gmail_renderer()
    if render_deployment is not None:
        deployment = render_deployment(normalize_base_url(base_url))
        files[GMAIL_FILE] = json.dumps(deployment, indent=2, ensure_ascii=False) + "\n"
    return files


def _served(text: str, mimetype: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/outlook.xml")
def outlook_xml():
    """The XML add-in-only manifest (classic Outlook, Mac, web)."""
    config = current_app.config
    return _served(render_outlook("outlook.xml", config["BASE_URL"], config), "application/xml")


@bp.get("/outlook.json")
def outlook_json():
    """The unified Microsoft 365 manifest."""
    config = current_app.config
    return _served(render_outlook("outlook.json", config["BASE_URL"], config), "application/json")


@bp.get("/gmail-deployment.json")
def gmail_deployment():
    """The Google Workspace add-on deployment file."""
    render_deployment = gmail_renderer()
    if render_deployment is None:
        raise NotFound("The Gmail deployment file is not available in this build.", field=None)
    deployment = render_deployment(normalize_base_url(current_app.config["BASE_URL"]))
    text = json.dumps(deployment, indent=2, ensure_ascii=False) + "\n"
    return _served(text, "application/json")


def _package(json_text: str) -> bytes:
    """The unified manifest as an app package: manifest.json and its two icons, zipped."""
    import io
    import zipfile

    icons = resource_dir("static") / "icons"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json_text)
        for name in ("color.png", "outline.png"):
            package.write(icons / name, name)
    return buffer.getvalue()


@click.command("manifest")
@with_appcontext
@click.option("--base-url", default=None, help="Public HTTPS origin (default: ADDIN_BASE_URL).")
@click.option(
    "--out", "out", default="build/manifest", show_default=True,
    type=click.Path(file_okay=False), help="Folder to write the manifests into.",
)
def manifest_command(base_url, out):
    """Write the ready manifests (Outlook XML and JSON, Gmail deployment) for a base URL."""
    config = current_app.config
    try:
        files = render_all(base_url or config["BASE_URL"], config)
    except ValidationError as error:
        raise click.BadParameter(error.message, param_hint="--base-url") from None
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        click.echo(f"wrote {folder / name}")
    (folder / "outlook-package.zip").write_bytes(_package(files["outlook.json"]))
    click.echo(f"wrote {folder / 'outlook-package.zip'} (unified manifest with its icons)")
    if GMAIL_FILE not in files:
        click.echo("skipped gmail-deployment.json: the Gmail add-on is not in this build yet")
