"""The Workspace add-on deployment file, checked against the google-cloud-gsuiteaddons protos."""

from __future__ import annotations

import copy
import json

import pytest
from google.cloud import gsuiteaddons_v1
from google.protobuf import json_format

from addin_server.errors import ValidationError
from addin_server.gmail.deployment import endpoint_urls, render_deployment

BASE = "https://maps.example.org"
RESTRICTED = ("gmail.readonly", "gmail.modify", "gmail.metadata", "https://mail.google.com/",
              "gmail.compose", "gmail.insert", "gmail.send")


def parse(deployment: dict):
    """The file as gcloud reads it: a Deployment resource (unknown keys and bad enums raise)."""
    return json_format.ParseDict(deployment, gsuiteaddons_v1.Deployment.pb()())


def test_deployment_parses_as_a_gsuiteaddons_deployment():
    message = parse(render_deployment(BASE))
    assert message.add_ons.http_options.authorization_header == 1  # SYSTEM_ID_TOKEN
    assert message.add_ons.gmail.compose_trigger.draft_access == 2  # METADATA


def test_triggers_point_at_the_endpoints_of_the_base_url():
    deployment = render_deployment(BASE + "/")
    urls = endpoint_urls(BASE)
    common, gmail = deployment["addOns"]["common"], deployment["addOns"]["gmail"]
    assert common["homepageTrigger"]["runFunction"] == urls["homepage"]
    assert gmail["contextualTriggers"] == [{"unconditional": {},
                                            "onTriggerFunction": urls["message"]}]
    assert gmail["composeTrigger"]["actions"][0]["runFunction"] == urls["compose"]
    assert gmail["composeTrigger"]["draftAccess"] == "METADATA"
    assert common["logoUrl"] == f"{BASE}/static/icons/icon-128.png"
    assert deployment["addOns"]["httpOptions"] == {"authorizationHeader": "SYSTEM_ID_TOKEN"}
    assert "UPDATE_SUBJECT_AND_RECIPIENTS" in common["addOnWidgetSet"]["usedWidgets"]
    assert "DATE_PICKER" in common["addOnWidgetSet"]["usedWidgets"]


def test_scopes_are_the_add_on_ones_and_no_restricted_scope():
    scopes = render_deployment(BASE)["oauthScopes"]
    assert scopes == [
        "https://www.googleapis.com/auth/gmail.addons.execute",
        "https://www.googleapis.com/auth/gmail.addons.current.message.readonly",
        "https://www.googleapis.com/auth/gmail.addons.current.action.compose",
        "https://www.googleapis.com/auth/userinfo.email",
    ]
    assert not any(scope.endswith(bad) or scope == bad for scope in scopes for bad in RESTRICTED)


@pytest.mark.parametrize("key", ["urlFetchWhitelist", "selectActions"])
def test_apps_script_only_keys_would_fail_the_protos(key):
    broken = copy.deepcopy(render_deployment(BASE))
    broken["addOns"]["gmail"][key] = []
    with pytest.raises(json_format.ParseError):
        parse(broken)


@pytest.mark.parametrize("bad", ["http://maps.example.org", "maps.example.org", "",
                                 "https://maps.example.org/?x=1"])
def test_base_url_must_be_https(bad):
    with pytest.raises(ValidationError):
        render_deployment(bad)


def test_a_base_url_with_quotes_stays_valid_json():
    deployment = render_deployment('https://maps.example.org/a"b')
    assert deployment["addOns"]["common"]["homepageTrigger"]["runFunction"] == (
        'https://maps.example.org/a"b/gmail/homepage')


def test_server_serves_the_deployment_file(client):
    response = client.get("/manifest/gmail-deployment.json")
    assert response.status_code == 200
    served = json.loads(response.get_data(as_text=True))
    assert served == render_deployment("https://addin.example")
    parse(served)
