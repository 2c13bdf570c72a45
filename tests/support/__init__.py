"""Helpers shared by the test suites (mail client builders, shared-folder lookup)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """../shared beside the checkout; skips the calling test when it is absent."""
    path = Path(__file__).resolve().parents[2].parent / "shared"
    if not path.is_dir():
        pytest.skip("../shared is absent: the example plans live there")
    return path


def example_plan(name: str, plan_id: str | None = None) -> dict:
    """An example plan from ../shared/examples, normalised (validated, ids given)."""
    from addin_server.plans.model import normalize

    plan = json.loads((shared_dir() / "examples" / name).read_text(encoding="utf-8"))
    return normalize(plan)
