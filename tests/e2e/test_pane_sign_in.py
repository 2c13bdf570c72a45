"""Production mode in the browser: Nested App Authentication through a stand-in MSAL.js, the
access token verified by the server against a loopback JWKS; the fallback sign-in button."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, pane_opener
from tests.support.entra import AUDIENCE, CLIENT_ID

pytestmark = pytest.mark.browser

MSAL_URL = "https://cdn.jsdelivr.net/npm/@azure/msal-browser@3.28.1/lib/msal-browser.min.js"
# MSAL.js as the pane uses it: createNestablePublicClientApplication, silent, then popup.
FAKE_MSAL = """
window.__msal = { requests: [], config: null };
window.msal = {
  createNestablePublicClientApplication: function (config) {
    window.__msal.config = config;
    function answer(kind, request) {
      window.__msal.requests.push([kind, request.scopes]);
      var token = kind === "silent" ? window.__msalSilentToken : window.__msalPopupToken;
      return token ? Promise.resolve({ accessToken: token })
                   : Promise.reject(new Error(kind + " failed"));
    }
    return Promise.resolve({
      getAllAccounts: function () { return []; },
      acquireTokenSilent: function (r) { return answer("silent", r); },
      acquireTokenPopup: function (r) { return answer("popup", r); }
    });
  }
};
"""


@pytest.fixture
def production(tmp_path, entra, chromium_browser):
    server = LiveServer(
        tmp_path, AUTH_MODE="production", SECRET_KEY="e2e-secret-not-default",
        MS_CLIENT_ID=CLIENT_ID, MS_CLIENT_SECRET="e2e-client-secret",
        MS_API_AUDIENCE=AUDIENCE, MS_AUTHORITY=entra.server.url,
        MS_JWKS_URL=entra.server.url + "/keys", MSAL_JS_URL=MSAL_URL,
    )
    contexts: list = []
    yield server, pane_opener(chromium_browser, server, contexts)
    for context in contexts:
        context.close()
    server.close()


def test_the_pane_signs_in_silently_and_the_server_accepts_its_token(production, entra):
    server, open_pane = production
    oid = str(uuid.uuid4())
    token = entra.token(entra.claims(oid=oid))
    page = open_pane("/taskpane/compose", scripts={MSAL_URL: FAKE_MSAL},
                     init=f"window.__msalSilentToken = {json.dumps(token)};")
    config = page.evaluate("window.__msal.config")
    assert config["auth"]["clientId"] == CLIENT_ID
    assert page.evaluate("window.__msal.requests")[0] == [
        "silent", [f"{AUDIENCE}/access_as_user"]]
    assert page.locator("#signin").is_hidden()
    assert page.locator("#devbar").is_hidden()  # no X-Dev-User in production
    page.fill("#org", "Northwind Health")
    page.fill("#outcome", "Onboard new clinics in under four weeks.")
    page.fill("#value-date", "2027-06-30")
    page.click("#build-timeline")
    expect(page.locator("#milestones > li").nth(4)).to_be_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#insert")
    expect(page.locator("#saved")).to_have_text("Copied version 1 to the clipboard")
    mine = server.api.get("/api/plans", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["version"] for p in mine] == [1]
    stranger = server.api.get("/api/plans", headers={
        "Authorization": f"Bearer {entra.token(entra.claims())}"}).get_json()
    assert stranger == []


def test_when_single_sign_on_fails_the_pane_offers_a_sign_in_button(production, entra):
    _server, open_pane = production
    page = open_pane("/taskpane/compose", scripts={MSAL_URL: FAKE_MSAL})
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("Sign in to continue")
    kinds = [kind for kind, _scopes in page.evaluate("window.__msal.requests")]
    assert kinds[:2] == ["silent", "popup"]
    page.evaluate(f"window.__msalPopupToken = {json.dumps(entra.token(entra.claims()))}")
    page.click("#signin-button")
    expect(page.locator("#signin")).to_be_hidden()
