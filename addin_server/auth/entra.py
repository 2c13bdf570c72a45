"""Microsoft Entra ID access tokens for our API (what the Outlook pane sends after NAA sign-in)."""

from __future__ import annotations

import jwt

from ..errors import Unauthorized, UpstreamError
from . import User

ALGORITHMS = ["RS256"]
# Clock skew tolerated between Entra ID and this server, in seconds.
LEEWAY = 60


class EntraVerifier:
    """Verify an Entra ID access token: key, algorithm, audience, issuer, expiry, tenant, scope."""

    def __init__(
        self,
        *,
        client_id: str,
        audience: str | None,
        scope: str,
        authority: str,
        jwks_url: str,
        allowed_tenants=None,
        timeout: float = 10.0,
    ):
        self.audiences = [a for a in dict.fromkeys((audience, client_id)) if a]
        self.scope = scope
        self.authority = authority.rstrip("/")
        self.allowed_tenants = _tenant_set(allowed_tenants)
        # Keys are fetched on first use and cached; an unknown kid refetches once.
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=timeout)

    @classmethod
    def from_config(cls, config) -> EntraVerifier:
        """A verifier built from the MS_* settings."""
        return cls(
            client_id=config["MS_CLIENT_ID"],
            audience=config.get("MS_API_AUDIENCE"),
            scope=config.get("MS_API_SCOPE") or "access_as_user",
            authority=config.get("MS_AUTHORITY") or "https://login.microsoftonline.com",
            jwks_url=config["MS_JWKS_URL"],
            allowed_tenants=config.get("MS_ALLOWED_TENANTS"),
            timeout=float(config.get("OUTBOUND_TIMEOUT") or 10.0),
        )

    def __call__(self, token: str) -> User | None:
        """The user behind the token; None when it is not an Entra token for us."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        if not self._looks_ours(unverified):
            return None
        claims = self._verified_claims(token, header)
        self._check_issuer_and_tenant(claims)
        self._check_scope(claims)
        return self._user(claims, token)

    def _looks_ours(self, claims: dict) -> bool:
        issuer = str(claims.get("iss") or "")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        return issuer.startswith(self.authority + "/") or any(
            a in self.audiences for a in audiences
        )

    def _verified_claims(self, token: str, header: dict) -> dict:
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized(
                "Sign in again: the token is not signed with RS256.", field="Authorization"
            )
        key = self._signing_key(token)
        try:
            return jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audiences,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud", "tid", "oid"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                "Sign in again: the token has expired.", field="Authorization"
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(
                "Sign in again: the token was issued for another application.",
                field="Authorization",
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthorized(
                f"Sign in again: the token has no {error.claim} claim.", field="Authorization"
            ) from None
        except jwt.PyJWTError:
            raise Unauthorized(
                "Sign in again: the token's signature is not valid.", field="Authorization"
            ) from None

    def _signing_key(self, token: str):
        try:
            return self._keys.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise UpstreamError(
                "Microsoft's signing keys could not be fetched; try again in a minute.",
                field=None,
            ) from None
        except jwt.PyJWTError:
            raise Unauthorized(
                "Sign in again: the token was signed with an unknown key.", field="Authorization"
            ) from None

    def _check_issuer_and_tenant(self, claims: dict) -> None:
        tenant = str(claims["tid"])
        if claims["iss"] != f"{self.authority}/{tenant}/v2.0":
            raise Unauthorized(
                "Sign in again: the token comes from an unexpected issuer.", field="Authorization"
            )
        if self.allowed_tenants is not None and tenant.lower() not in self.allowed_tenants:
            raise Unauthorized(
                "Your organization is not allowed to use this add-in.", field="Authorization"
            )

    def _check_scope(self, claims: dict) -> None:
        scopes = str(claims.get("scp") or "").split()
        if self.scope not in scopes:
            raise Unauthorized(
                f"Sign in again: the token does not grant the {self.scope} permission.",
                field="Authorization",
            )

    @staticmethod
    def _user(claims: dict, token: str) -> User:
        email = claims.get("preferred_username") or claims.get("upn") or claims.get("email") or ""
        return User(
            id=f"ms:{claims['tid']}:{claims['oid']}".lower(),
            email=str(email).lower(),
            provider="microsoft",
            token=token,
        )


def _tenant_set(value) -> set[str] | None:
    """MS_ALLOWED_TENANTS as a set of lower-case ids; None allows every tenant."""
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return {str(item).strip().lower() for item in items if str(item).strip()}
