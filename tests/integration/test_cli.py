"""The command line: migrations as their own step, and the demo plan make run loads."""

from __future__ import annotations


def test_db_upgrade_says_the_schema_is_current(runner):
    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert "latest schema" in result.output


def test_seed_demo_loads_the_onboarding_plan_once(runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "created for demo@localhost" in first.output
    again = runner.invoke(args=["seed-demo"])
    assert "already there" in again.output
    plans = client.get("/api/plans").get_json()
    assert [p["title"] for p in plans] == ["Faster customer onboarding"]
