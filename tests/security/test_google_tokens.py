"""Production-mode verification of Gmail add-on requests with locally signed Google ID tokens.

A local RSA key signs the tokens; a loopback server publishes its certificate the way
Google's oauth2/v1/certs does; google.oauth2.id_token verifies them unchanged.
"""

from __future__ import annotations

import time

import pytest

from addin_server import create_app
from addin_server.services import plans as plan_services
from tests.support.gmail_events import cards_of, compose_gmail, event, parse_card
from tests.support.google_tokens import (
    OAUTH_CLIENT_ID,
    SERVICE_ACCOUNT,
    CertsServer,
    SigningKey,
    TokenFactory,
)

BASE = "https://addin.example"
HOMEPAGE = f"{BASE}/gmail/homepage"
ACTION = f"{BASE}/gmail/action"


@pytest.fixture(scope="module")
def keys():
    return SigningKey("key-1"), SigningKey("key-1")  # the second forges key-1's signatures


@pytest.fixture(scope="module")
def certs(keys):
    server = CertsServer([keys[0]]).start()
    yield server
    server.stop()


@pytest.fixture
def tokens(keys):
    return TokenFactory(keys[0])


@pytest.fixture
def prod_app(database_url, tmp_path, certs):
    application = create_app({
        "TESTING": True,
        "AUTH_MODE": "production",
        "SECRET_KEY": "test-secret-not-default",
        "DATABASE_URL": database_url,
        "BASE_URL": BASE,
        "GOOGLE_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "GOOGLE_OAUTH_CLIENT_ID": OAUTH_CLIENT_ID,
        "GOOGLE_CERTS_URL": certs.url,
        "AUTO_MIGRATE": True,
    })
    application.instance_path = str(tmp_path / "instance")
    yield application
    application.extensions["addin"].engine.dispose()


@pytest.fixture
def prod(prod_app):
    return prod_app.test_client()


def seed_plan(app, owner: str, examples) -> str:
    with app.app_context():
        created = plan_services.create_plan(app.extensions["addin"].uow(write=True), owner,
                                            examples["plan-onboarding"])
    return created["id"]


def homepage(prod, tokens, *, system=None, user=None, headers=None):
    body = event(user_id_token=user if user is not None else tokens.user())
    auth = {"Authorization": f"Bearer {system or tokens.system(HOMEPAGE)}"}
    return prod.post("/gmail/homepage", json=body, headers=auth if headers is None else headers)


def test_a_google_signed_request_is_answered_for_the_user_of_the_user_token(
        prod, prod_app, tokens, examples):
    plan_id = seed_plan(prod_app, "google:110000000000000000001", examples)
    response = homepage(prod, tokens)
    assert response.status_code == 200, response.get_json()
    card = cards_of(response.get_json())[0]
    parse_card(card)
    assert f"MAP-{plan_id}" in str(card)
    # Another Google user, same valid request shape: does not see that plan.
    other = homepage(prod, tokens, user=tokens.user(sub="220000000000000000002",
                                                    email="other@example.com"))
    assert other.status_code == 200
    assert f"MAP-{plan_id}" not in str(other.get_json())


@pytest.mark.parametrize("case, reason", [
    ("wrong_audience", "wrong audience"),
    ("wrong_service_account", "another service account"),
    ("expired", "expired"),
    ("bad_signature", "bad signature"),
    ("unverified_email", "another service account"),
    ("not_google_issuer", "not issued by Google"),
])
def test_a_bad_system_token_gets_401_and_nothing_runs(prod, prod_app, tokens, keys, case,
                                                      reason):
    system = {
        "wrong_audience": lambda: tokens.system(f"{BASE}/gmail/compose"),
        "wrong_service_account": lambda: tokens.system(
            ACTION, email="attacker@project.iam.gserviceaccount.com"),
        "expired": lambda: tokens.system(ACTION, issued=time.time() - 7200, lifetime=3600),
        "bad_signature": lambda: tokens.system(ACTION, key=keys[1]),
        "unverified_email": lambda: tokens.system(ACTION, email_verified=False),
        "not_google_issuer": lambda: tokens.system(ACTION, iss="https://evil.example"),
    }[case]()
    body = event(parameters={"action": "insert", "page": "basics"}, gmail=compose_gmail(),
                 user_id_token=tokens.user(),
                 texts={"f.customer.organization": "Contoso", "f.desired_outcome": "Faster",
                        "milestones.0.name": "Go"})
    response = prod.post("/gmail/action", json=body, headers={"Authorization": f"Bearer {system}"})
    assert response.status_code == 401
    assert response.get_json()["field"] == "Authorization"
    assert reason in response.get_json()["message"]
    with prod_app.app_context():
        uow = prod_app.extensions["addin"].uow()
        assert plan_services.list_plans(uow, "google:110000000000000000001") == []
        with pytest.raises(Exception, match="No draft"):
            plan_services.get_draft(prod_app.extensions["addin"].uow(),
                                    "google:110000000000000000001",
                                    "gmail:google:110000000000000000001")


def test_a_missing_or_malformed_authorization_header_gets_401(prod, tokens):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer not.a.jwt"}, {"X-Dev-User": "demo@localhost"}):
        response = homepage(prod, tokens, headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"] == "unauthorized"


def test_the_body_is_not_read_before_the_system_token_is_verified(prod):
    response = prod.post("/gmail/action", data="{broken", content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("case", ["missing", "wrong_audience", "expired", "bad_signature"])
def test_a_bad_user_token_gets_401(prod, tokens, keys, case):
    user = {
        "missing": lambda: "",
        "wrong_audience": lambda: tokens.user(audience="someone-else.apps.googleusercontent.com"),
        "expired": lambda: tokens.user(lifetime=-120),
        "bad_signature": lambda: TokenFactory(keys[1]).user(),
    }[case]()
    response = homepage(prod, tokens, user=user)
    assert response.status_code == 401
    assert response.get_json()["field"] == "authorizationEventObject.userIdToken"


def test_the_certificates_are_fetched_once_for_many_requests(prod, tokens, certs):
    before = certs.hits
    for _ in range(3):
        assert homepage(prod, tokens).status_code == 200
    assert certs.hits - before <= 1


def test_production_refuses_to_start_without_the_oauth_client_id(database_url):
    with pytest.raises(RuntimeError, match="ADDIN_GOOGLE_OAUTH_CLIENT_ID"):
        create_app({"AUTH_MODE": "production", "SECRET_KEY": "x-not-default",
                    "DATABASE_URL": database_url, "BASE_URL": BASE,
                    "GOOGLE_SERVICE_ACCOUNT": SERVICE_ACCOUNT})


@pytest.mark.parametrize("action", ["refresh", "diff", "resend", "decide"])
def test_another_google_user_naming_my_plan_in_a_button_sees_and_changes_nothing(
        prod, prod_app, tokens, examples, action):
    plan_id = seed_plan(prod_app, "google:110000000000000000001", examples)
    body = event(parameters={"action": action, "plan_id": plan_id, "version": "1",
                             "proposal_id": "1", "accept": "1"},
                 user_id_token=tokens.user(sub="220000000000000000002",
                                           email="other@example.com"))
    response = prod.post("/gmail/action", json=body,
                         headers={"Authorization": f"Bearer {tokens.system(ACTION)}"})
    assert response.status_code in (200, 400, 404)
    assert "Faster customer onboarding" not in str(response.get_json())
    assert "Go-live" not in str(response.get_json())
    with prod_app.app_context():
        kept = plan_services.get_plan(prod_app.extensions["addin"].uow(),
                                      "google:110000000000000000001", plan_id)
    assert kept["version"] == 1 and kept["status"] == "draft"
