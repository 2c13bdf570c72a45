"""Mailbox adapters (Gmail API, Microsoft Graph) and the factories create_app wires.

`app.extensions["addin"].mailboxes` holds callables, all replaceable (tests do):

- "gmail"(access_token, message_token=None) -> GmailMailbox
- "outlook"(graph_token) -> GraphMailbox
- "graph_obo"(config, user_assertion) -> Graph token (msal on-behalf-of)
- "retry_policy"() -> RetryPolicy (tests inject a recording sleep)
- "gmail_token_for"(owner) / "graph_token_for"(owner) -> a token or None: how push processing
  reaches a mailbox with no user present. Nothing is stored by default; a deployment that opts in
  to push plugs in its own token store here (see docs/mailboxes.md).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Fill the default mailbox factories (tests and deployments may replace any of them)."""
    from ..auth.msal_obo import graph_token_on_behalf_of
    from .gmail import GmailMailbox
    from .graph import GraphMailbox
    from .retry import RetryPolicy

    mailboxes = app.extensions["addin"].mailboxes
    config = app.config

    def gmail(access_token: str, message_token: str | None = None) -> GmailMailbox:
        return GmailMailbox(access_token, message_token=message_token,
                            api_base=config["GMAIL_API_URL"],
                            timeout=float(config["OUTBOUND_TIMEOUT"]),
                            retry=mailboxes["retry_policy"]())

    def outlook(graph_token: str) -> GraphMailbox:
        return GraphMailbox(graph_token, base_url=config["GRAPH_URL"],
                            timeout=float(config["OUTBOUND_TIMEOUT"]),
                            retry=mailboxes["retry_policy"]())

    mailboxes.setdefault("gmail", gmail)
    mailboxes.setdefault("outlook", outlook)
    mailboxes.setdefault("graph_obo", graph_token_on_behalf_of)
    mailboxes.setdefault("retry_policy", RetryPolicy)
    mailboxes.setdefault("gmail_token_for", lambda owner: None)
    mailboxes.setdefault("graph_token_for", lambda owner: None)
