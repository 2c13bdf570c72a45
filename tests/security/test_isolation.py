"""Isolation: another user gets 404 on every endpoint of my plan and changes nothing.

Each identity kind is tried: dev users, and Entra ID users of another tenant (and of the
same tenant). The owner's plan has a linked thread, an ingested reply and an open proposal,
so versions, proposals and messages all exist when the stranger asks for them.
"""

from __future__ import annotations

import pytest

from addin_server import create_app
from addin_server.store.migrate import upgrade
from tests.support.entra import (
    AUDIENCE,
    CLIENT_ID,
    OTHER_TENANT,
    TENANT,
)
from tests.support.mail_clients import gmail_reply, sent_plan_email

pytestmark = pytest.mark.both_databases


@pytest.fixture
def prod_app(entra, database_url):
    app = create_app({
        "TESTING": True, "AUTH_MODE": "production", "SECRET_KEY": "isolation-secret",
        "DATABASE_URL": database_url, "BASE_URL": "https://addin.example",
        "MS_CLIENT_ID": CLIENT_ID, "MS_CLIENT_SECRET": "s", "MS_API_AUDIENCE": AUDIENCE,
        "MS_AUTHORITY": entra.authority, "MS_JWKS_URL": entra.server.url + "/keys",
        "MS_ALLOWED_TENANTS": f"{TENANT},{OTHER_TENANT}",
    })
    upgrade(app.extensions["addin"].engine)
    yield app
    app.extensions["addin"].engine.dispose()


def _owner_state(client, headers, plan):
    """A plan sent in a thread, with a customer reply that proposes a change."""
    created = client.post("/api/plans", json=plan, headers=headers).get_json()
    client.post(f"/api/plans/{created['id']}/threads", headers=headers,
                json={"provider": "gmail", "thread_id": "thread-1"})
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    ingested = client.post(f"/api/plans/{created['id']}/messages", headers=headers,
                           data=gmail_reply(sent, "Can we push go-live to April 12?"),
                           content_type="message/rfc822").get_json()
    return created, ingested["proposals"][0]["id"], sent


def _endpoints(plan_id, proposal_id, plan, raw):
    return [
        ("get", f"/api/plans/{plan_id}", None),
        ("put", f"/api/plans/{plan_id}", {"json": plan}),
        ("get", f"/api/plans/{plan_id}/versions", None),
        ("get", f"/api/plans/{plan_id}/versions/1", None),
        ("get", f"/api/plans/{plan_id}/diff?from=1&to=1", None),
        ("get", f"/api/plans/{plan_id}/slips", None),
        ("post", f"/api/plans/{plan_id}/threads",
         {"json": {"provider": "gmail", "thread_id": "stolen"}}),
        ("get", f"/api/plans/{plan_id}/email", None),
        ("get", f"/api/plans/{plan_id}/checks", None),
        ("get", f"/api/plans/{plan_id}/suggestions", None),
        ("get", f"/api/plans/{plan_id}/messages", None),
        ("post", f"/api/plans/{plan_id}/messages",
         {"data": raw, "content_type": "message/rfc822"}),
        ("post", f"/api/plans/{plan_id}/proposals/{proposal_id}/accept", None),
        ("post", f"/api/plans/{plan_id}/proposals/{proposal_id}/reject", None),
        ("post", f"/api/plans/{plan_id}/resend", None),
        ("post", f"/api/plans/{plan_id}/sync",
         {"json": {"provider": "gmail", "thread_id": "thread-1", "access_token": "t"}}),
        ("post", f"/api/plans/{plan_id}/send",
         {"json": {"provider": "gmail", "thread_id": "thread-1", "access_token": "t"}}),
    ]


def _assert_isolated(client, owner_headers, stranger_headers, plan):
    created, proposal_id, sent = _owner_state(client, owner_headers, plan)
    plan_id = created["id"]
    raw = gmail_reply(sent, "Looks good, confirmed.", message_id="stranger-1@x.example")
    for method, path, extra in _endpoints(plan_id, proposal_id, created["plan"], raw):
        kwargs = {"headers": {**stranger_headers, "If-Match": '"1"'}, **(extra or {})}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 404, (method, path, response.get_json())
        assert response.get_json()["error"] == "not_found"
    assert client.get("/api/plans", headers=stranger_headers).get_json() == []
    assert client.get("/api/plans?thread=gmail:thread-1",
                      headers=stranger_headers).get_json() == []
    mine = client.get(f"/api/plans/{plan_id}", headers=owner_headers).get_json()
    assert (mine["version"], mine["status"], mine["confirmations"]) == (1, "sent", [])
    assert [t["thread_id"] for t in mine["threads"]] == ["thread-1"]
    messages = client.get(f"/api/plans/{plan_id}/messages", headers=owner_headers).get_json()
    assert len(messages) == 1 and messages[0]["proposals"][0]["status"] == "open"


def test_another_dev_user_gets_404_everywhere_and_changes_nothing(client, backend, examples):
    _assert_isolated(client, {"X-Dev-User": "dana@brightpath.example"},
                     {"X-Dev-User": "eve@elsewhere.example"}, examples["plan-onboarding"])


@pytest.mark.parametrize("tenant", [OTHER_TENANT, TENANT], ids=["other tenant", "same tenant"])
def test_another_entra_user_gets_404_everywhere_and_changes_nothing(prod_app, entra, backend,
                                                                     examples, tenant):
    owner = {"Authorization": "Bearer " + entra.token(entra.claims(tenant=TENANT))}
    stranger = {"Authorization": "Bearer " + entra.token(entra.claims(tenant=tenant))}
    _assert_isolated(prod_app.test_client(), owner, stranger, examples["plan-onboarding"])


@pytest.mark.parametrize("action", ["decide", "diff", "resend", "refresh"])
def test_gmail_buttons_naming_another_sellers_plan_change_and_show_nothing(client, backend,
                                                                          examples, action):
    from tests.support.gmail_events import all_text, cards_of, event

    owner = {"X-Dev-User": "dana@brightpath.example"}
    created, proposal_id, _sent = _owner_state(client, owner, examples["plan-onboarding"])
    parameters = {"action": action, "plan_id": created["id"], "proposal_id": proposal_id,
                  "accept": "1", "version": "1"}
    response = client.post("/gmail/action", json=event(parameters=parameters),
                           headers={"X-Dev-User": "eve@elsewhere.example"})
    assert response.status_code in (200, 400, 404)  # a card, or a clear error; never the plan
    shown = " ".join(all_text(card) for card in cards_of(response.get_json() or {}))
    assert "Faster customer onboarding" not in shown and "Go-live" not in shown
    messages = client.get(f"/api/plans/{created['id']}/messages", headers=owner).get_json()
    assert messages[0]["proposals"][0]["status"] == "open"
    assert client.get(f"/api/plans/{created['id']}", headers=owner).get_json()["version"] == 1
