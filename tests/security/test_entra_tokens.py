"""Entra ID access tokens: signed with a local RSA key, its JWKS served from a loopback server."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest

from addin_server import create_app
from addin_server.store.migrate import upgrade
from tests.support.entra import (
    AUDIENCE,
    CLIENT_ID,
    KID,
    OTHER_TENANT,
    STRANGER_TENANT,
    TENANT,
    _key,
)


@pytest.fixture
def prod_app(entra, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "AUTH_MODE": "production",
            "SECRET_KEY": "test-secret-not-default",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "BASE_URL": "https://addin.example",
            "MS_CLIENT_ID": CLIENT_ID,
            "MS_CLIENT_SECRET": "test-client-secret",
            "MS_API_AUDIENCE": AUDIENCE,
            "MS_AUTHORITY": entra.authority,
            "MS_JWKS_URL": entra.server.url + "/discovery/v2.0/keys",
            "MS_ALLOWED_TENANTS": f"{TENANT},{OTHER_TENANT}",
        }
    )
    upgrade(app.extensions["addin"].engine)  # production does not migrate on start
    yield app
    app.extensions["addin"].engine.dispose()


def _plan() -> dict:
    return {
        "customer": {"organization": "Northwind Health"},
        "desired_outcome": "Onboard new clinics in under four weeks.",
        "milestones": [{"name": "Kickoff", "kind": "kickoff", "date": "2027-01-11",
                        "owner": "joint"}],
    }


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _plan_count(app) -> int:
    from sqlalchemy import text

    with app.extensions["addin"].engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM plans")).scalar()


def _none_token(claims: dict) -> str:
    return jwt.encode(claims, None, algorithm="none", headers={"kid": KID})


def _hs256_token(claims: dict) -> str:
    # The classic confusion attack: HMAC "signed" with the public key's PEM as the secret.
    return jwt.api_jws.PyJWS().encode(
        json.dumps(claims).encode(), b"not-the-rsa-key-" * 4, algorithm="HS256",
        headers={"kid": KID})


def _past() -> dict:
    now = int(time.time())
    return {"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200}


# case -> (how the token is made, the reason the 401 gives)
REJECTIONS = {
    "bad_signature": (lambda e: e.token(key=_key()), "signature is not valid"),
    "wrong_audience": (lambda e: e.token(e.claims(aud="api://someone-else/1234")),
                       "another application"),
    "wrong_issuer": (lambda e: e.token(e.claims(iss=f"https://evil.example/{TENANT}/v2.0")),
                     "unexpected issuer"),
    "expired": (lambda e: e.token(e.claims(**_past())), "expired"),
    "alg_none": (lambda e: _none_token(e.claims()), "RS256"),
    "alg_hs256": (lambda e: _hs256_token(e.claims()), "RS256"),
    "unknown_kid": (lambda e: e.token(key=_key(), kid="rotated-away"), "unknown key"),
    "wrong_tenant": (lambda e: e.token(e.claims(tenant=STRANGER_TENANT)), "organization"),
    "missing_scope": (lambda e: e.token(e.claims(scp="User.Read")), "access_as_user"),
    "id_token_without_scope": (lambda e: e.token(e.claims(scp=None)), "access_as_user"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_each_bad_token_is_refused_with_401_and_nothing_runs(prod_app, entra, case):
    client = prod_app.test_client()
    make, reason = REJECTIONS[case]
    token = make(entra)
    response = client.post("/api/plans", json=_plan(), headers=_bearer(token))
    assert response.status_code == 401, response.get_json()
    body = response.get_json()
    assert body["error"] == "unauthorized"
    assert body["field"] == "Authorization"
    assert reason in body["message"]
    assert token not in json.dumps(body)  # tokens never come back in an error
    assert _plan_count(prod_app) == 0


def test_a_request_without_a_token_is_refused(prod_app):
    response = prod_app.test_client().get("/api/plans")
    assert response.status_code == 401
    assert "bearer token" in response.get_json()["message"]


def test_a_good_token_works_and_names_the_user_by_tenant_and_object_id(prod_app, entra):
    client = prod_app.test_client()
    oid = str(uuid.uuid4())
    token = entra.token(entra.claims(oid=oid))
    created = client.post("/api/plans", json=_plan(), headers=_bearer(token))
    assert created.status_code == 201, created.get_json()
    listed = client.get("/api/plans", headers=_bearer(token)).get_json()
    assert [p["id"] for p in listed] == [created.get_json()["id"]]
    verifier = prod_app.extensions["addin"].verifiers[0]
    user = verifier(token)
    assert user.id == f"ms:{TENANT}:{oid}"
    assert user.email == "dana@brightpath.example"
    assert user.provider == "microsoft"


def test_another_tenants_user_gets_404_on_the_first_users_plan(prod_app, entra):
    client = prod_app.test_client()
    first = entra.token(entra.claims())
    plan_id = client.post("/api/plans", json=_plan(), headers=_bearer(first)).get_json()["id"]
    second = entra.token(entra.claims(tenant=OTHER_TENANT))
    response = client.get(f"/api/plans/{plan_id}", headers=_bearer(second))
    assert response.status_code == 404
    assert client.get(f"/api/plans/{plan_id}", headers=_bearer(first)).status_code == 200


def test_the_api_audience_uri_is_accepted_as_well_as_the_client_id(prod_app, entra):
    token = entra.token(entra.claims(aud=AUDIENCE))
    response = prod_app.test_client().get("/api/plans", headers=_bearer(token))
    assert response.status_code == 200


def test_dev_mode_needs_no_microsoft_at_all(client):
    assert client.get("/api/plans", headers={"X-Dev-User": "dana@localhost"}).status_code == 200
