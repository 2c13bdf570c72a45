"""Two server processes on one PostgreSQL database behave as one: no state lives in a process."""

from __future__ import annotations

import pytest
import requests

from .serving import Server, demo_plan, migrate, put_plan

pytestmark = pytest.mark.slow


def test_a_plan_made_on_one_instance_is_read_edited_and_versioned_on_the_other(
    postgres_schema_url, tmp_path
):
    migrate(postgres_schema_url, command=True)  # the separate step a deployment runs
    first = Server(postgres_schema_url, tmp_path, workers=1, name="instance-a")
    second = Server(postgres_schema_url, tmp_path, workers=1, name="instance-b")
    try:
        first.launch()
        second.launch()
        first.wait_ready(timeout=120)
        second.wait_ready(timeout=120)
        assert first.port != second.port
        a, b = requests.Session(), requests.Session()

        created = a.post(f"{first.url}/api/plans", json=demo_plan(), timeout=30)
        assert created.status_code == 201, created.text
        plan_id, original = created.json()["id"], created.json()["plan"]

        read = b.get(f"{second.url}/api/plans/{plan_id}", timeout=30)
        assert read.status_code == 200
        assert read.headers["ETag"] == '"1"'
        assert read.json()["plan"] == original

        edited = dict(original, summary="Edited on instance B after reading it there.")
        on_b = put_plan(b, second.url, plan_id, edited, 1)
        assert on_b.status_code == 200, on_b.text
        assert on_b.json()["version"] == 2

        seen_on_a = a.get(f"{first.url}/api/plans/{plan_id}", timeout=30).json()
        assert seen_on_a["version"] == 2
        assert seen_on_a["plan"]["summary"] == "Edited on instance B after reading it there."

        stale = put_plan(a, first.url, plan_id, dict(original, summary="stale"), 1)
        assert stale.status_code == 412
        assert stale.json()["field"] == "/If-Match"

        on_a = put_plan(a, first.url, plan_id, dict(edited, title="Renamed on instance A"), 2)
        assert on_a.status_code == 200
        assert on_a.json()["version"] == 3

        versions = b.get(f"{second.url}/api/plans/{plan_id}/versions", timeout=30).json()
        assert [v["version"] for v in versions] == [1, 2, 3]
        v2 = b.get(f"{second.url}/api/plans/{plan_id}/versions/2", timeout=30).json()
        assert v2["plan"] == on_b.json()["plan"]
        v1 = a.get(f"{first.url}/api/plans/{plan_id}/versions/1", timeout=30).json()
        assert v1["plan"] == original
        diff = b.get(f"{second.url}/api/plans/{plan_id}/diff?from=1&to=3", timeout=30).json()
        assert {c["path"] for c in diff["changes"]} >= {"/summary", "/title"}

        # Autosaved work in progress follows the seller to whichever instance answers next.
        saved = a.put(f"{first.url}/api/drafts/compose-1", json={"title": "half written"},
                      timeout=30)
        assert saved.status_code == 200
        draft = b.get(f"{second.url}/api/drafts/compose-1", timeout=30).json()
        assert draft["document"] == {"title": "half written"}
        print(f"\nmulti-instance: 2 gunicorn processes on one PostgreSQL schema, plan {plan_id} "
              "created on A, read + edited on B (v2), stale write on A got 412, A wrote v3, "
              "B lists versions [1, 2, 3] with the acknowledged contents")
    finally:
        first.stop()
        second.stop()
