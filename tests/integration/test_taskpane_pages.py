"""The task pane pages and their static files: headers Outlook needs, caching, size budget."""

from __future__ import annotations

import json
import re

import pytest

from addin_server.resources import resource_dir

PANE_BUDGET = 150 * 1024


@pytest.mark.parametrize("path", ["/taskpane/compose", "/taskpane/read", "/taskpane/help"])
def test_pane_pages_can_be_framed_by_outlook_on_the_web_and_nobody_else(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", policy).group(1).split()
    assert "https://outlook.office.com" in ancestors and "https://outlook.live.com" in ancestors
    assert "*" not in ancestors and "https:" not in ancestors
    scripts = re.search(r"script-src ([^;]+)", policy).group(1).split()
    assert "https://appsforoffice.microsoft.com" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts


def test_compose_page_loads_office_js_from_microsofts_cdn_and_versioned_own_files(client):
    page = client.get("/taskpane/compose").get_data(as_text=True)
    assert '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js" defer>' in page
    own = re.findall(r'src="(/static/taskpane/[^"]+)"', page)
    assert own and all(re.search(r"\?v=[0-9a-f]{12}$", src) for src in own)


def test_the_page_config_names_no_secret(app, client):
    app.config.update(MS_CLIENT_ID="46125a3c-a758-4a1f-89c4-6dc3682344bd",
                      MS_CLIENT_SECRET="very-secret-value", MS_API_AUDIENCE="api://addin.example/x")
    page = client.get("/taskpane/compose").get_data(as_text=True)
    config = json.loads(re.search(r'id="pane-config">(.*?)</script>', page).group(1))
    assert config["apiScope"] == "api://addin.example/x/access_as_user"
    assert "very-secret-value" not in page


def test_versioned_static_files_are_cached_for_a_year_and_others_revalidated(client):
    page = client.get("/taskpane/read").get_data(as_text=True)
    versioned = re.search(r'href="(/static/taskpane/pane\.css\?v=[0-9a-f]+)"', page).group(1)
    assert "immutable" in client.get(versioned).headers["Cache-Control"]
    assert client.get("/static/taskpane/pane.css").headers["Cache-Control"] == "no-cache"
    assert client.get("/static/taskpane/pane.css?v=stale").headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/../addin_server/app.py", "/static/nope.js",
                                  "/static/%2e%2e/pyproject.toml"])
def test_nothing_outside_static_is_served(client, path):
    assert client.get(path).status_code == 404


def test_the_panes_own_scripts_and_styles_stay_under_150_kb():
    folder = resource_dir("static") / "taskpane"
    total = sum(f.stat().st_size for f in folder.iterdir() if f.suffix in (".js", ".css"))
    assert 0 < total < PANE_BUDGET


def test_suggestions_for_unsaved_notes_name_the_customers_words(client):
    notes = "Maria: 'We need onboarding under four weeks by the end of June.'"
    response = client.post("/api/pane/suggestions", json={"notes": notes})
    assert response.status_code == 200
    texts = [s["text"] for s in response.get_json()["suggestions"]]
    assert "We need onboarding under four weeks by the end of June." in texts


@pytest.mark.parametrize("body, field", [({"notes": 3}, "/notes"), ({}, "/notes"),
                                         ({"notes": "x" * 20001}, "/notes")])
def test_suggestions_refuse_bad_input_naming_the_field(client, body, field):
    response = client.post("/api/pane/suggestions", json=body)
    assert response.status_code == 422
    assert response.get_json()["field"] == field
