"""Google-style ID tokens for tests: a local RSA key signs them, a loopback server serves the certs.

The certificates are served in the shape of https://www.googleapis.com/oauth2/v1/certs
(key id -> PEM X.509 certificate), so google.oauth2.id_token.verify_token runs unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

SERVICE_ACCOUNT = "service-123456789@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
OAUTH_CLIENT_ID = "123456789-addon.apps.googleusercontent.com"
ISSUER = "https://accounts.google.com"


class SigningKey:
    """An RSA key with a key id, its self-signed certificate, and a google.auth signer."""

    def __init__(self, key_id: str):
        self.key_id = key_id
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = self.private.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        self.signer = crypt.RSASigner.from_string(pem, key_id=key_id)
        self.certificate = _certificate(self.private, key_id)


def _certificate(private_key, key_id: str) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, key_id)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .sign(private_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


class CertsServer:
    """A loopback HTTP server answering GET /oauth2/v1/certs with the published keys."""

    def __init__(self, keys: list[SigningKey]):
        self.keys = keys
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.hits += 1
                body = json.dumps({k.key_id: k.certificate for k in server.keys}).encode()
                self.send_response(200 if self.path == "/oauth2/v1/certs" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The certs URL to put in GOOGLE_CERTS_URL."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/oauth2/v1/certs"

    def start(self) -> CertsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class TokenFactory:
    """Signs the two tokens a Gmail add-on request carries."""

    def __init__(self, key: SigningKey):
        self.key = key

    def sign(self, claims: dict, key: SigningKey | None = None) -> str:
        """Any claims, signed (by another key to forge a signature)."""
        return jwt.encode((key or self.key).signer, claims).decode("ascii")

    def system(self, audience: str, *, email: str = SERVICE_ACCOUNT, lifetime: int = 3600,
               issued: float | None = None, key: SigningKey | None = None, **extra) -> str:
        """The Authorization token Google sends: audience the endpoint URL."""
        now = int(issued if issued is not None else time.time())
        claims = {"iss": ISSUER, "aud": audience, "azp": "1122334455", "sub": "1122334455",
                  "email": email, "email_verified": True, "iat": now, "exp": now + lifetime,
                  **extra}
        return self.sign(claims, key)

    def user(self, sub: str = "110000000000000000001", email: str = "seller@example.com", *,
             audience: str = OAUTH_CLIENT_ID, lifetime: int = 3600, **extra) -> str:
        """authorizationEventObject.userIdToken: audience the add-on's OAuth client id."""
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": audience, "azp": audience, "sub": sub, "email": email,
                  "email_verified": True, "iat": now, "exp": now + lifetime, **extra}
        return self.sign(claims)
