"""Response headers: the closed policy on JSON, the pane policy on pages, request ids."""

from __future__ import annotations

import re

from flask import Response


def test_json_answers_carry_a_closed_policy_and_nosniff(client):
    response = client.get("/healthz")
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'none'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert len(response.headers.getlist(name)) == 1


def test_pages_get_the_pane_policy_and_https_gets_hsts(client):
    response = client.get("/taskpane/compose", base_url="https://addin.example")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_header_a_view_set_itself_is_kept(app):
    @app.get("/own-policy")
    def own_policy():
        return Response("<p>x</p>", mimetype="text/html",
                        headers={"Content-Security-Policy": "default-src 'none'",
                                 "referrer-policy": "no-referrer"})

    response = app.test_client().get("/own-policy")
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_well_formed_request_id_is_echoed_and_anything_else_replaced(client):
    echoed = client.get("/healthz", headers={"X-Request-Id": "lb-4f2a-99"})
    assert echoed.headers["X-Request-Id"] == "lb-4f2a-99"
    for hostile in ("a b", "x" * 65, "<script>", "id\u00e9;drop"):
        answer = client.get("/healthz", headers={"X-Request-Id": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])
    first, second = (client.get("/healthz").headers["X-Request-Id"] for _ in range(2))
    assert first != second
