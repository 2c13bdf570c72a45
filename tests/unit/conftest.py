"""Fixtures for the domain tests: the shared example plans, normalised (ids given)."""

from __future__ import annotations

import pytest

from tests.support import example_plan


@pytest.fixture(scope="module")
def onboarding():
    return example_plan("plan-onboarding.json")


@pytest.fixture(scope="module")
def german():
    return example_plan("plan-logistics-de.json")
