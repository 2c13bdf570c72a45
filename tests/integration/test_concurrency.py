"""Concurrency: gunicorn workers take If-Match edits on the same and different plans at once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from .serving import Server, demo_plan, migrate, put_plan

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]

WORKERS = 4
SHARED_WRITERS = 6  # threads racing on one plan
OWN_WRITERS = 4  # threads each editing a plan of their own
EDITS_EACH = 12  # acknowledged edits a thread aims for
TIME_BUDGET = 12.0  # seconds; a thread stops earlier when its edits are done


class Editor(threading.Thread):
    """Read-modify-write with If-Match until it has its edits; 412 means reload and retry."""

    def __init__(self, base_url: str, plan_id: str, label: str, deadline: float):
        super().__init__(daemon=True)
        self.base_url, self.plan_id, self.label, self.deadline = base_url, plan_id, label, deadline
        self.acked: list[tuple[int, dict]] = []
        self.statuses: Counter = Counter()
        self.errors: list[str] = []

    def run(self) -> None:
        session = requests.Session()
        sequence = 0
        try:
            while len(self.acked) < EDITS_EACH and time.monotonic() < self.deadline:
                current = session.get(f"{self.base_url}/api/plans/{self.plan_id}", timeout=30)
                self.statuses[f"GET {current.status_code}"] += 1
                if current.status_code != 200:
                    self.errors.append(f"GET {current.status_code} {current.text[:300]}")
                    continue
                body = current.json()
                sequence += 1
                plan = dict(body["plan"], summary=f"{self.label} edit {sequence}")
                response = put_plan(session, self.base_url, self.plan_id, plan, body["version"],
                                    timeout=30)
                self.statuses[f"PUT {response.status_code}"] += 1
                if response.status_code == 200:
                    stored = response.json()
                    if stored["version"] != body["version"] + 1:
                        self.errors.append(f"{stored['version']} acked on {body['version']}")
                    self.acked.append((stored["version"], stored["plan"]))
                elif response.status_code != 412:
                    self.errors.append(f"PUT {response.status_code} {response.text[:300]}")
        except requests.RequestException as error:
            self.errors.append(f"transport: {error}")


def check_plan(session, base_url: str, plan_id: str, editors: list[Editor]) -> int:
    """Every acked version is stored with its content; versions are exactly 1..N; N = 1 + acks."""
    acked = [item for editor in editors for item in editor.acked]
    numbers = [number for number, _ in acked]
    assert len(numbers) == len(set(numbers)), f"duplicate version acked: {Counter(numbers)}"
    versions = session.get(f"{base_url}/api/plans/{plan_id}/versions", timeout=30).json()
    listed = [v["version"] for v in versions]
    assert listed == list(range(1, len(acked) + 2)), "lost update or duplicate version"
    for number, plan in acked:
        got = session.get(f"{base_url}/api/plans/{plan_id}/versions/{number}", timeout=30)
        assert got.status_code == 200
        assert got.json()["plan"] == plan, f"version {number} differs from what was acked"
    return len(acked)


def test_parallel_if_match_edits_lose_nothing_and_conflicts_get_412(
    backend, database_url, tmp_path
):
    migrate(database_url)
    server = Server(database_url, tmp_path, workers=WORKERS, name=f"concurrency-{backend}")
    try:
        server.start(timeout=120)
        session = requests.Session()

        def create() -> str:
            created = session.post(f"{server.url}/api/plans", json=demo_plan(), timeout=30)
            assert created.status_code == 201, created.text
            return created.json()["id"]

        shared = create()
        own = [create() for _ in range(OWN_WRITERS)]
        deadline = time.monotonic() + TIME_BUDGET
        shared_editors = [Editor(server.url, shared, f"s{n}", deadline)
                          for n in range(SHARED_WRITERS)]
        own_editors = [Editor(server.url, pid, f"o{n}", deadline) for n, pid in enumerate(own)]
        everyone = shared_editors + own_editors
        started = time.monotonic()
        for editor in everyone:
            editor.start()
        for editor in everyone:
            editor.join(timeout=TIME_BUDGET + 60)
        elapsed = time.monotonic() - started

        assert [e.errors for e in everyone] == [[] for _ in everyone]  # no 5xx, nothing else
        statuses = sum((e.statuses for e in everyone), Counter())
        assert not [s for s in statuses if s.split()[1].startswith("5")]
        shared_acks = check_plan(session, server.url, shared, shared_editors)
        own_acks = sum(check_plan(session, server.url, pid, [e])
                       for pid, e in zip(own, own_editors, strict=True))
        conflicts = sum(e.statuses["PUT 412"] for e in shared_editors)

        # A deliberately stale write, whatever the race did: 412 naming If-Match.
        stale = put_plan(session, server.url, shared, demo_plan(), 1)
        assert stale.status_code == 412
        assert stale.json()["field"] == "/If-Match"
        assert stale.json()["request_id"]
        print(f"\nconcurrency [{backend}]: gunicorn {WORKERS} workers, "
              f"{len(everyone)} writer threads ({SHARED_WRITERS} on one plan, {OWN_WRITERS} on "
              f"their own), {shared_acks + own_acks} acknowledged edits ({shared_acks} on the "
              f"shared plan, {own_acks} on own plans), {conflicts} conflicts answered 412, "
              f"statuses {dict(sorted(statuses.items()))}, lost 0, duplicates 0, "
              f"{elapsed:.1f}s")
        assert shared_acks >= SHARED_WRITERS  # the race let edits through, not only conflicts
        assert conflicts > 0  # they really raced
    finally:
        server.stop()
