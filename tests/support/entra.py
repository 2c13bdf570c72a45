"""A fake Entra ID on loopback: signs access tokens with a local RSA key and serves its JWKS."""

from __future__ import annotations

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Response

from tests.support.loopback import LoopbackServer

CLIENT_ID = "46125a3c-a758-4a1f-89c4-6dc3682344bd"
AUDIENCE = f"api://addin.example/{CLIENT_ID}"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "0d2b4c5e-1111-4222-8333-944455556666"
STRANGER_TENANT = "99999999-aaaa-4bbb-8ccc-dddddddddddd"
KID = "local-key-1"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(private_key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class Entra:
    """A fake Entra ID: signs tokens with its key and serves the public half as a JWKS."""

    def __init__(self):
        self.key = _key()
        self.jwks = {"keys": [_jwk(self.key, KID)]}
        self.server = LoopbackServer(self._app)
        self.authority = self.server.url  # tests point the issuer template at loopback

    def _app(self, environ, start_response):
        return Response(json.dumps(self.jwks), mimetype="application/json")(
            environ, start_response)

    def claims(self, tenant=TENANT, oid=None, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "aud": CLIENT_ID,
            "iss": f"{self.authority}/{tenant}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "tid": tenant,
            "oid": oid or str(uuid.uuid4()),
            "scp": "access_as_user",
            "preferred_username": "Dana@BrightPath.example",
            "ver": "2.0",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, claims=None, *, key=None, kid=KID, algorithm="RS256") -> str:
        return jwt.encode(claims or self.claims(), key or self.key, algorithm=algorithm,
                          headers={"kid": kid})

