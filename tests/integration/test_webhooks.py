"""Push: webhooks verify and store once, the processor resyncs exactly once, watches renew."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, update

from addin_server.services import push
from tests.support.fake_google import FakeGmail, GoogleSigner, pubsub_envelope
from tests.support.fake_graph import FakeGraph
from tests.support.mail_clients import gmail_reply, outlook_reply, sent_plan_email
from tests.support.mailbox_env import CUSTOMER, SELLER, Sleeps, sent_raw

HEADERS = {"X-Dev-User": SELLER}

pytestmark = pytest.mark.both_databases


@pytest.fixture(autouse=True)
def _every_backend(backend):
    """Run each test on SQLite and, where configured, PostgreSQL."""
    return backend
PUSH_ACCOUNT = "gmail-push@map-addin.iam.gserviceaccount.com"
AUDIENCE = "https://addin.example/webhooks/gmail"


@pytest.fixture
def signer():
    server = GoogleSigner()
    yield server
    server.close()


@pytest.fixture
def gmail(app, signer):
    server = FakeGmail(me=SELLER, token="ya29.push-token")
    app.config.update(GMAIL_API_URL=server.url, GOOGLE_CERTS_URL=signer.certs_url,
                      GOOGLE_PUBSUB_SERVICE_ACCOUNT=PUSH_ACCOUNT,
                      GOOGLE_PUBSUB_TOPIC="projects/map-addin/topics/gmail")
    mailboxes = app.extensions["addin"].mailboxes
    mailboxes["retry_policy"] = Sleeps().policy
    mailboxes["gmail_token_for"] = lambda owner: server.token if owner == SELLER else None
    yield server
    server.close()


@pytest.fixture
def graph(app, tmp_path):
    server = FakeGraph(tmp_path / "tls", me=SELLER, token="eyJ0.push-graph-token")
    app.config.update(GRAPH_URL=server.url, MS_CLIENT_ID="11111111-2222-3333-4444-555555555555")
    mailboxes = app.extensions["addin"].mailboxes
    mailboxes["retry_policy"] = Sleeps().policy
    mailboxes["graph_token_for"] = lambda owner: server.token if owner == SELLER else None
    yield server
    server.close()


def _rows(app, table_name: str) -> list[dict]:
    with app.extensions["addin"].uow() as uow:
        table = getattr(uow.repo, table_name)
        return [dict(r) for r in uow.repo.c.execute(select(table).order_by(table.c.id))
                .mappings()]


def _messages(client, plan_id):
    return client.get(f"/api/plans/{plan_id}/messages", headers=HEADERS).get_json()


def _process(app, now=None):
    return push.process_pending(push.deps_for(app), now=now)


# Gmail -------------------------------------------------------------------------------------


def _gmail_setup(client, examples, gmail):
    """A plan sent in a Gmail thread, push switched on, then the customer replies."""
    created = client.post("/api/plans", json=examples["plan-onboarding"], headers=HEADERS
                          ).get_json()
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    thread_id = gmail.deliver(sent_raw(sent), labels=("SENT",))["threadId"]
    client.post(f"/api/plans/{created['id']}/threads", headers=HEADERS,
                json={"provider": "gmail", "thread_id": thread_id})
    watched = client.post("/api/mailbox/watch", headers=HEADERS,
                          json={"provider": "gmail", "access_token": gmail.token})
    assert watched.status_code == 201, watched.get_json()
    gmail.deliver(gmail_reply(sent, "Can we push go-live to April 12?"), thread_id=thread_id)
    return created, sent, thread_id


def _push(client, signer, history_id, message_id, token=None, **envelope_args):
    token = token or signer.token(audience=AUDIENCE, email=PUSH_ACCOUNT)
    return client.post("/webhooks/gmail", json=pubsub_envelope(SELLER, history_id, message_id,
                                                               **envelope_args),
                       headers={"Authorization": f"Bearer {token}"})


def test_gmail_push_delivered_five_times_is_processed_once(app, client, examples, gmail,
                                                          signer):
    created, _sent, _thread = _gmail_setup(client, examples, gmail)
    answers = [_push(client, signer, gmail.state.history_id, "pubsub-1").status_code
               for _ in range(5)]
    assert answers == [204] * 5
    assert len(_rows(app, "notifications")) == 1
    assert _process(app) == {"done": 1, "failed": 0}
    assert _process(app) == {"done": 0, "failed": 0}
    [row] = _rows(app, "notifications")
    assert (row["status"], row["attempts"]) == ("done", 1)
    replies = [m for m in _messages(client, created["id"]) if m["reply"]["from"] == CUSTOMER]
    assert len(replies) == 1
    assert replies[0]["proposals"][0]["new"] == "2027-04-12"
    [watch] = _rows(app, "mailbox_watches")
    assert watch["cursor"] == str(gmail.state.history_id)


def test_an_older_gmail_notification_after_a_newer_one_changes_nothing(app, client, examples,
                                                                       gmail, signer):
    _gmail_setup(client, examples, gmail)
    _push(client, signer, gmail.state.history_id, "pubsub-new")
    _process(app)
    gmail.state.requests.clear()
    _push(client, signer, gmail.state.history_id - 7, "pubsub-old")
    assert _process(app) == {"done": 1, "failed": 0}
    assert gmail.state.requests == []  # nothing new: Gmail was not even asked
    cursor = _rows(app, "mailbox_watches")[0]["cursor"]
    assert cursor == str(gmail.state.history_id)


def test_an_expired_history_cursor_resyncs_the_linked_threads(app, client, examples, gmail,
                                                              signer):
    created, _sent, _thread = _gmail_setup(client, examples, gmail)
    with app.extensions["addin"].uow(write=True) as uow:
        table = uow.repo.mailbox_watches
        uow.repo.c.execute(update(table).values(cursor="100"))
        uow.commit()
    gmail.forget_history_before(gmail.state.history_id - 1)
    _push(client, signer, gmail.state.history_id, "pubsub-2")
    assert _process(app) == {"done": 1, "failed": 0}
    assert [m["reply"]["from"] for m in _messages(client, created["id"])].count(CUSTOMER) == 1
    assert _rows(app, "mailbox_watches")[0]["cursor"] == str(gmail.state.history_id)


def test_a_processing_failure_is_retried_later_and_not_lost(app, client, examples, gmail,
                                                            signer):
    created, _sent, _thread = _gmail_setup(client, examples, gmail)
    _push(client, signer, gmail.state.history_id, "pubsub-3")
    gmail.fail("/history", 503, times=50)
    now = dt.datetime.now(dt.UTC)
    assert _process(app, now) == {"done": 0, "failed": 1}
    [row] = _rows(app, "notifications")
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "Gmail" in row["last_error"]
    assert _process(app, now) == {"done": 0, "failed": 0}  # not due yet: backing off
    gmail.state.failures.clear()
    assert _process(app, now + dt.timedelta(minutes=2)) == {"done": 1, "failed": 0}
    assert [m["reply"]["from"] for m in _messages(client, created["id"])].count(CUSTOMER) == 1
    assert _rows(app, "notifications")[0]["attempts"] == 2


def test_a_notification_claimed_by_a_crashed_worker_is_picked_up_after_the_lease(app, client,
                                                                                examples, gmail,
                                                                                signer):
    _gmail_setup(client, examples, gmail)
    _push(client, signer, gmail.state.history_id, "pubsub-4")
    now = dt.datetime.now(dt.UTC)
    claimed = push._claim(app.extensions["addin"].uow, _rows(app, "notifications")[0]["id"], now)
    assert claimed is not None  # ...and the worker dies here
    assert _process(app, now) == {"done": 0, "failed": 0}
    assert _process(app, now + push.LEASE + dt.timedelta(seconds=1)) == {"done": 1, "failed": 0}


def _bad_tokens(signer):
    # the same key id with another key: a forged signature
    other = GoogleSigner(key_id=signer.key_id, key_name="forger")
    other.close()
    long_ago = int(dt.datetime.now(dt.UTC).timestamp()) - 7200
    return {
        "wrong audience": signer.token(audience="https://evil.example/webhooks/gmail",
                                       email=PUSH_ACCOUNT),
        "wrong service account": signer.token(audience=AUDIENCE,
                                              email="attacker@evil.iam.gserviceaccount.com"),
        "email not verified": signer.token(audience=AUDIENCE, email=PUSH_ACCOUNT,
                                           email_verified=False),
        "expired": signer.token(audience=AUDIENCE, email=PUSH_ACCOUNT, issued_at=long_ago),
        "bad signature": signer.token(audience=AUDIENCE, email=PUSH_ACCOUNT,
                                      signer=other.signer),
        "wrong issuer": signer.token(audience=AUDIENCE, email=PUSH_ACCOUNT,
                                     issuer="https://evil.example"),
        "not a jwt": "not-a-token",
    }


def test_bad_oidc_tokens_are_refused_and_nothing_is_processed(app, client, examples, gmail,
                                                              signer):
    _gmail_setup(client, examples, gmail)
    for name, token in _bad_tokens(signer).items():
        response = _push(client, signer, gmail.state.history_id, f"pubsub-{name}", token=token)
        assert response.status_code == 401, name
        assert response.get_json()["error"] == "unauthorized", name
    missing = client.post("/webhooks/gmail",
                          json=pubsub_envelope(SELLER, gmail.state.history_id, "pubsub-x"))
    assert missing.status_code == 401
    assert _rows(app, "notifications") == []
    assert _process(app) == {"done": 0, "failed": 0}


def test_google_certificates_are_fetched_once_and_again_after_a_key_rotation(app, client,
                                                                           gmail, signer):
    answers = [_push(client, signer, 10 + n, f"pubsub-cache-{n}").status_code for n in range(3)]
    assert answers == [204] * 3 and signer.fetches == 1
    signer.rotate("loopback-key-2", "rotated")
    assert _push(client, signer, 20, "pubsub-rotated").status_code == 204
    assert signer.fetches == 2
    assert len(_rows(app, "notifications")) == 4


def test_a_malformed_push_body_is_a_clear_400(app, client, gmail, signer):
    token = signer.token(audience=AUDIENCE, email=PUSH_ACCOUNT)
    response = client.post("/webhooks/gmail", json={"message": {"messageId": "m1",
                                                                "data": "%%%"}},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "/message/data"
    assert _rows(app, "notifications") == []


def test_gmail_push_is_refused_when_not_configured(app, client, gmail, signer):
    app.config["GOOGLE_PUBSUB_SERVICE_ACCOUNT"] = None
    response = _push(client, signer, 1, "pubsub-off")
    assert response.status_code == 403 and _rows(app, "notifications") == []


@pytest.mark.parametrize("provider", ["gmail", "outlook"])
def test_opting_in_to_push_on_a_server_without_push_settings_says_which(app, client, provider):
    app.config.update(GOOGLE_PUBSUB_TOPIC=None, MS_CLIENT_ID=None)
    response = client.post("/api/mailbox/watch", headers=HEADERS,
                           json={"provider": provider, "access_token": "token"})
    assert response.status_code == 409
    assert "ADDIN_" in response.get_json()["message"]
    assert _rows(app, "mailbox_watches") == []


# Microsoft Graph ---------------------------------------------------------------------------


def test_graph_validation_handshake_echoes_the_decoded_token_as_text(client):
    response = client.post("/webhooks/graph?validationToken=Validation%3A%20Testing%20client"
                           "%20application%20at%202026-12-04")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "Validation: Testing client application at " \
                                              "2026-12-04"


def _graph_setup(client, examples, graph):
    created = client.post("/api/plans", json=examples["plan-onboarding"], headers=HEADERS
                          ).get_json()
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    graph.deliver(sent_raw(sent), "AAQkADpush", folder="sentitems")
    client.post(f"/api/plans/{created['id']}/threads", headers=HEADERS,
                json={"provider": "outlook", "thread_id": "AAQkADpush"})
    watched = client.post("/api/mailbox/watch", headers=HEADERS,
                          json={"provider": "outlook", "access_token": graph.token})
    assert watched.status_code == 201, watched.get_json()
    [subscription] = graph.state.subscriptions.values()
    assert subscription["notificationUrl"] == "https://addin.example/webhooks/graph"
    reply = graph.deliver(outlook_reply(sent, "Can we push go-live to April 12?"), "AAQkADpush")
    return created, subscription, reply


def _notification(subscription, message, client_state=None, **extra):
    item = {
        "subscriptionId": subscription["id"],
        "subscriptionExpirationDateTime": subscription["expirationDateTime"],
        "changeType": "created",
        "resource": f"Users/8b2a3c4d/Messages/{message['id']}",
        "resourceData": {"@odata.type": "#Microsoft.Graph.Message",
                         "@odata.id": f"Users/8b2a3c4d/Messages/{message['id']}",
                         "@odata.etag": 'W/"CQAAABYAAAA"', "id": message["id"]},
        "clientState": subscription["clientState"] if client_state is None else client_state,
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    }
    item.update(extra)
    return {"value": [item]}


def test_graph_notification_delivered_five_times_is_processed_once(app, client, examples,
                                                                   graph):
    created, subscription, reply = _graph_setup(client, examples, graph)
    answers = [client.post("/webhooks/graph", json=_notification(subscription, reply)
                           ).status_code for _ in range(5)]
    assert answers == [202] * 5
    [row] = _rows(app, "notifications")
    assert "clientState" not in json.loads(row["payload"])  # the shared secret is not kept
    assert _process(app) == {"done": 1, "failed": 0}
    replies = [m for m in _messages(client, created["id"]) if m["reply"]["from"] == CUSTOMER]
    assert len(replies) == 1 and replies[0]["proposals"][0]["new"] == "2027-04-12"


@pytest.mark.parametrize("client_state", ["wrong-state", ""])
def test_graph_notification_with_a_wrong_client_state_is_refused(app, client, examples, graph,
                                                                 client_state):
    created, subscription, reply = _graph_setup(client, examples, graph)
    response = client.post("/webhooks/graph",
                           json=_notification(subscription, reply, client_state=client_state))
    assert response.status_code == 202
    assert _rows(app, "notifications") == []
    assert _process(app) == {"done": 0, "failed": 0}
    assert [m for m in _messages(client, created["id"]) if m["reply"]["from"] == CUSTOMER] == []


def test_graph_notification_for_an_unknown_subscription_is_refused(app, client, examples, graph):
    _created, subscription, reply = _graph_setup(client, examples, graph)
    forged = _notification({**subscription, "id": "00000000-0000-0000-0000-000000000000"},
                           reply)
    assert client.post("/webhooks/graph", json=forged).status_code == 202
    assert _rows(app, "notifications") == []


def _lifecycle(subscription, event):
    return {"value": [{"subscriptionId": subscription["id"],
                       "subscriptionExpirationDateTime": subscription["expirationDateTime"],
                       "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                       "clientState": subscription["clientState"], "lifecycleEvent": event}]}


def test_graph_reauthorization_required_renews_the_subscription(app, client, examples, graph):
    _created, subscription, _reply = _graph_setup(client, examples, graph)
    before = _rows(app, "mailbox_watches")[0]["expires_at"]
    graph.state.requests.clear()
    client.post("/webhooks/graph", json=_lifecycle(subscription, "reauthorizationRequired"))
    assert _process(app) == {"done": 1, "failed": 0}
    assert [(m, p) for m, p, _ in graph.state.requests] == [
        ("PATCH", f"/v1.0/subscriptions/{subscription['id']}")]
    assert _rows(app, "mailbox_watches")[0]["expires_at"] >= before


def test_graph_subscription_removed_is_recreated(app, client, examples, graph):
    _created, subscription, _reply = _graph_setup(client, examples, graph)
    graph.state.subscriptions.clear()
    client.post("/webhooks/graph", json=_lifecycle(subscription, "subscriptionRemoved"))
    assert _process(app) == {"done": 1, "failed": 0}
    [fresh] = graph.state.subscriptions.values()
    watches = _rows(app, "mailbox_watches")
    assert [(w["external_id"], w["status"]) for w in watches] == [
        (subscription["id"], "removed"), (fresh["id"], "active")]
    assert watches[1]["client_state"] == fresh["clientState"] != subscription["clientState"]


def test_graph_missed_notifications_resync_the_linked_conversations(app, client, examples,
                                                                    graph):
    created, subscription, _reply = _graph_setup(client, examples, graph)
    client.post("/webhooks/graph", json=_lifecycle(subscription, "missed"))
    assert _process(app) == {"done": 1, "failed": 0}
    assert [m["reply"]["from"] for m in _messages(client, created["id"])].count(CUSTOMER) == 1


# renewal and the CLI -----------------------------------------------------------------------


def test_watches_expiring_within_a_day_are_renewed(app, client, examples, gmail, graph):
    _gmail_setup(client, examples, gmail)
    _graph_setup(client, examples, graph)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    with app.extensions["addin"].uow(write=True) as uow:
        uow.repo.c.execute(update(uow.repo.mailbox_watches).values(expires_at=soon))
        uow.commit()
    report = push.renew_watches(push.deps_for(app))
    assert report == {"renewed": 2, "failed": 0}
    assert len(gmail.state.watches) == 2
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    for watch in _rows(app, "mailbox_watches"):
        assert watch["expires_at"].replace(tzinfo=dt.UTC) > later
    assert push.renew_watches(push.deps_for(app)) == {"renewed": 0, "failed": 0}


def test_the_cli_processes_notifications_and_renews_watches(app, client, runner, examples,
                                                            gmail, signer):
    _gmail_setup(client, examples, gmail)
    _push(client, signer, gmail.state.history_id, "pubsub-cli")
    result = runner.invoke(args=["process-notifications"])
    assert result.exit_code == 0, result.output
    assert "1 done, 0 to retry" in result.output
    result = runner.invoke(args=["renew-watches"])
    assert result.exit_code == 0 and "renewed: 0" in result.output
    with app.extensions["addin"].uow() as uow:
        table = uow.repo.notifications
        done = uow.repo.c.execute(select(func.count()).where(table.c.status == "done")).scalar()
    assert done == 1
