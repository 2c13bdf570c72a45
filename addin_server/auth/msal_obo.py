"""On-behalf-of: exchange the seller's token for our API into a Graph token with msal."""

from __future__ import annotations

import logging

import msal
import requests

from ..errors import ReauthRequired, UpstreamError, ValidationError

log = logging.getLogger(__name__)

GRAPH_SCOPES = ["https://graph.microsoft.com/Mail.ReadWrite",
                "https://graph.microsoft.com/Mail.Send"]
# Errors that mean the user must sign in (again or for consent), not that Entra is down.
_REAUTH = {"invalid_grant", "interaction_required", "consent_required", "login_required"}


def graph_token_on_behalf_of(config, user_assertion: str) -> str:
    """A delegated Graph access token for the user whose API token is user_assertion."""
    client_id, secret = config.get("MS_CLIENT_ID"), config.get("MS_CLIENT_SECRET")
    if not client_id or not secret:
        raise ValidationError("Outlook mailbox access needs ADDIN_MS_CLIENT_ID and "
                              "ADDIN_MS_CLIENT_SECRET on the server.", field=None)
    application = _application(config, client_id, secret)
    try:
        result = application.acquire_token_on_behalf_of(
            user_assertion, scopes=list(config.get("MS_GRAPH_SCOPES") or GRAPH_SCOPES))
    except (requests.RequestException, ValueError) as error:
        log.warning("Microsoft sign-in service unreachable: %s", type(error).__name__)
        raise UpstreamError("The Microsoft sign-in service did not answer; try again.",
                            field=None) from None
    if "access_token" in result:
        return result["access_token"]
    code = result.get("error") or "unknown"
    log.info("On-behalf-of exchange refused: %s", code)
    if code in _REAUTH:
        raise ReauthRequired("Sign in again: Microsoft needs you to sign in to reach your "
                             "mailbox.", field=None)
    raise UpstreamError(f"Microsoft refused the mailbox token exchange ({code}).", field=None)


def _application(config, client_id: str, secret: str) -> msal.ConfidentialClientApplication:
    """Built per call from config; talks only to MS_AUTHORITY (no instance discovery)."""
    tenant = config.get("MS_TENANT") or "organizations"
    authority = f"{config['MS_AUTHORITY'].rstrip('/')}/{tenant}"
    session = _Session(verify=config.get("OUTBOUND_CA_BUNDLE") or True,
                       timeout=float(config.get("OUTBOUND_TIMEOUT") or 10.0))
    return msal.ConfidentialClientApplication(
        client_id, client_credential=secret, authority=authority,
        # A configured authority is trusted as given; with discovery on, msal would call
        # login.microsoftonline.com to validate it, which a test on loopback must never do.
        validate_authority=False, instance_discovery=False, http_client=session,
    )


class _Session(requests.Session):
    """A session whose CA bundle and timeout apply to every call.

    requests lets REQUESTS_CA_BUNDLE override a session's `verify` unless each call passes it,
    so a configured bundle would be silently ignored on hosts that set that variable.
    """

    def __init__(self, verify, timeout: float):
        super().__init__()
        self.verify = verify
        self._timeout = timeout

    def request(self, method, url, **kwargs):
        kwargs.setdefault("verify", self.verify)
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)
