"""The Outlook manifests: valid against Microsoft's schemas, filled with the base URL, served."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from addin_server.resources import resource_dir
from addin_server.web.manifests import normalize_base_url, render_outlook

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BASE = "https://addin.example.com"
CLIENT_ID = "46125a3c-a758-4a1f-89c4-6dc3682344bd"
WITH_SSO = {"MS_CLIENT_ID": CLIENT_ID, "MS_API_AUDIENCE": f"api://addin.example.com/{CLIENT_ID}"}
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "v10": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "v11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
}


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found (the manifest schemas live there)")
    return path


@pytest.fixture(scope="module")
def xml_schema():
    from lxml import etree

    root = _shared("schemas", "outlook", "OfficeAppManifestV1_1.xsd")
    return etree.XMLSchema(etree.parse(str(root)))


def _json_schema_for(manifest: dict) -> dict:
    version = manifest["$schema"].rsplit("/", 2)[-2]  # .../teams/v1.17/MicrosoftTeams.schema.json
    path = _shared("schemas", "m365", version, "MicrosoftTeams.schema.json")
    return json.loads(path.read_text("utf-8-sig"))


def _json_errors(manifest: dict) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft4Validator(_json_schema_for(manifest))
    return ["/".join(map(str, e.path)) + ": " + e.message for e in validator.iter_errors(manifest)]


@pytest.mark.parametrize("settings", [{}, WITH_SSO], ids=["dev", "with-sso"])
def test_xml_manifest_is_valid_against_the_outlook_schemas(xml_schema, settings):
    from lxml import etree

    document = etree.fromstring(render_outlook("outlook.xml", BASE, settings).encode())
    assert xml_schema.validate(document), xml_schema.error_log


@pytest.mark.parametrize("settings", [{}, WITH_SSO], ids=["dev", "with-sso"])
def test_json_manifest_is_valid_against_the_m365_schema(settings):
    manifest = json.loads(render_outlook("outlook.json", BASE, settings))
    assert _json_errors(manifest) == []


def test_a_broken_xml_manifest_fails_the_schema(xml_schema):
    from lxml import etree

    text = render_outlook("outlook.xml", BASE, {}).replace(
        "<Permissions>ReadWriteItem</Permissions>", "<Permissions>ReadWriteMailbox2</Permissions>"
    )
    assert not xml_schema.validate(etree.fromstring(text.encode()))


def test_a_broken_json_manifest_fails_the_schema():
    manifest = json.loads(render_outlook("outlook.json", BASE, {}))
    manifest["extensions"][0]["ribbons"][0]["contexts"] = ["mailSomewhere"]
    assert _json_errors(manifest)


def test_xml_manifest_has_compose_and_pinnable_read_buttons_and_asks_for_read_write_item():
    from lxml import etree

    root = etree.fromstring(render_outlook("outlook.xml", BASE + "/", {}).encode())
    assert root.findtext("o:Permissions", namespaces=NS) == "ReadWriteItem"
    v10 = root.find("v10:VersionOverrides", NS)
    v11 = v10[-1]
    assert v11.tag == f"{{{NS['v11']}}}VersionOverrides"  # nested as the last child of 1.0
    surfaces = v11.xpath(".//v11:ExtensionPoint/@xsi:type", namespaces={
        **NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    assert surfaces == ["MessageComposeCommandSurface", "MessageReadCommandSurface"]
    assert v11.xpath(".//v11:SupportsPinning/text()", namespaces=NS) == ["true"]
    urls = {u.get("id"): u.get("DefaultValue") for u in v11.iterfind(".//bt:Url", NS)}
    assert urls == {"ComposeUrl": f"{BASE}/taskpane/compose", "ReadUrl": f"{BASE}/taskpane/read"}
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert all(len(i) <= 32 for i in ids)


def test_json_manifest_opens_the_compose_and_the_pinnable_read_pane():
    manifest = json.loads(render_outlook("outlook.json", BASE, WITH_SSO))
    extension = manifest["extensions"][0]
    pages = {r["id"]: r["code"]["page"] for r in extension["runtimes"]}
    assert pages == {"ComposeRuntime": f"{BASE}/taskpane/compose",
                     "ReadRuntime": f"{BASE}/taskpane/read"}
    contexts = [r["contexts"] for r in extension["ribbons"]]
    assert contexts == [["mailCompose"], ["mailRead"]]
    read_action = extension["runtimes"][1]["actions"][0]
    assert read_action["pinnable"] is True
    assert manifest["webApplicationInfo"]["id"] == CLIENT_ID
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "MailboxItem.ReadWrite.User", "type": "Delegated"}]


@pytest.mark.parametrize("bad", ["http://addin.example.com", "addin.example.com", "",
                                 "https://addin.example.com/?x=1", 'https://a"b.example'])
def test_base_url_must_be_a_plain_https_origin(bad):
    from addin_server.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        normalize_base_url(bad)
    assert caught.value.field == "base_url"


def test_every_icon_the_manifests_name_exists_at_its_size():
    icons = resource_dir("static") / "icons"
    expected = {"icon-16.png": 16, "icon-32.png": 32, "icon-64.png": 64, "icon-80.png": 80,
                "icon-128.png": 128, "color.png": 192, "outline.png": 32}
    for name, size in expected.items():
        data = (icons / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert struct.unpack(">II", data[16:24]) == (size, size), name
    xml = render_outlook("outlook.xml", BASE, {})
    unified = render_outlook("outlook.json", BASE, {})
    for name in ("icon-16.png", "icon-32.png", "icon-80.png"):
        assert f"{BASE}/static/icons/{name}" in xml and f"{BASE}/static/icons/{name}" in unified
    for name in ("icon-64.png", "icon-128.png"):  # IconUrl and HighResolutionIconUrl
        assert f"{BASE}/static/icons/{name}" in xml


def test_server_serves_manifests_filled_with_its_base_url(client):
    xml = client.get("/manifest/outlook.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b"https://addin.example/taskpane/compose" in xml.data
    manifest = client.get("/manifest/outlook.json")
    assert manifest.status_code == 200
    assert manifest.get_json()["extensions"][0]["runtimes"][0]["code"]["page"] == (
        "https://addin.example/taskpane/compose")


def test_cli_writes_every_ready_manifest(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(args=["manifest", "--base-url", "https://maps.example.org/",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    xml = (out / "outlook.xml").read_text("utf-8")
    assert "https://maps.example.org/taskpane/read" in xml
    assert json.loads((out / "outlook.json").read_text("utf-8"))["validDomains"] == [
        "maps.example.org"]
    with zipfile.ZipFile(io.BytesIO((out / "outlook-package.zip").read_bytes())) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    if (out / "gmail-deployment.json").exists():
        assert "https://maps.example.org" in (out / "gmail-deployment.json").read_text("utf-8")


def test_cli_refuses_a_plain_http_base_url(runner, tmp_path):
    result = runner.invoke(args=["manifest", "--base-url", "http://maps.example.org",
                                 "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "https://" in result.output
    assert not (tmp_path / "outlook.xml").exists()
