"""Security checks, gathered: each rejection and isolation rule has its test here or is listed.

- test_entra_tokens.py: Outlook bearer tokens (bad signature, wrong audience, wrong issuer,
  expired, alg none, HS256, unknown key id, wrong tenant, missing scope, ID token) -> 401.
- test_google_tokens.py: Gmail add-on requests (wrong audience, wrong service account,
  expired, bad signature, missing header, bad userIdToken) -> 401 and nothing runs.
- test_isolation.py: another dev user, another Entra tenant's user and a Gmail button naming
  another seller's plan get 404 (or nothing) on every endpoint and change nothing.
- test_hostile_content.py: the XSS corpora through a customer's reply and the Gmail cards;
  tests/unit/test_sanitize.py runs them through every plan field of the email, and
  tests/e2e/test_pane_hostile_content.py through both Outlook panes in Chromium.
- test_htmlguard.py: hostile HTML cannot make parsing quadratic.
- test_rate_limits.py: per-user limits on the expensive endpoints, shared across instances.
- Webhooks (their fixtures live with the push tests): tests/integration/test_webhooks.py
  test_bad_oidc_tokens_are_refused_and_nothing_is_processed (Gmail push: wrong audience,
  wrong service account, unverified email, expired, bad signature, wrong issuer, not a JWT,
  missing header), test_graph_notification_with_a_wrong_client_state_is_refused and
  test_graph_notification_for_an_unknown_subscription_is_refused.
- Tokens never logged: tests/integration/test_mailboxes.py and test_logging.py.
- Secrets only from the environment, production refuses to start without them:
  tests/unit/test_config.py.
"""
