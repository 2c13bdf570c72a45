"""Version storage: exact read-back of any version, storage close to the size of the changes."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from addin_server.errors import NotFound, PreconditionFailed
from addin_server.services import plans as services
from addin_server.store.repository import SNAPSHOT_EVERY, utc
from addin_server.store.tables import plan_versions

pytestmark = pytest.mark.both_databases
OWNER = "dana@brightpath.example"


def _uow(app, write=False):
    return app.extensions["addin"].uow(write=write)


def _edit_many(app, plan, edits):
    created = services.create_plan(_uow(app, True), OWNER, plan)
    document = created["plan"]
    history = [copy.deepcopy(document)]
    for n in range(edits):
        milestone = document["milestones"][n % len(document["milestones"])]
        milestone["status"] = ("planned", "done", "at_risk")[n % 3]
        if n % 7 == 0:
            document["challenges"].append(f"Challenge {n}")
        services.revise_plan(_uow(app, True), OWNER, created["id"], document, n + 1)
        history.append(copy.deepcopy(document))
    return created["id"], history


def test_a_plan_edited_500_times_reads_back_exactly_without_500_full_copies(
    app, backend, examples
):
    plan_id, history = _edit_many(app, examples["plan-onboarding"], 500)
    for number in (1, 2, SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 1, 250, 499, 500,
                   501):
        got = services.get_version(_uow(app), OWNER, plan_id, number)["plan"]
        assert got == history[number - 1], number
    full = len(json.dumps(history[-1], ensure_ascii=False, separators=(",", ":")))
    with app.extensions["addin"].engine.connect() as connection:
        stored = connection.execute(
            select(func.sum(func.length(plan_versions.c.patch))
                   + func.sum(func.coalesce(func.length(plan_versions.c.snapshot), 0)))
            .where(plan_versions.c.plan_id == plan_id)
        ).scalar()
        snapshots = connection.execute(
            select(func.count()).where(plan_versions.c.plan_id == plan_id,
                                       plan_versions.c.snapshot.is_not(None))
        ).scalar()
    assert snapshots == 1 + 500 // SNAPSHOT_EVERY
    # 501 full copies would be ~501 * full; patches plus a few snapshots stay far below that.
    assert stored < 501 * full / 8
    assert stored < 15 * full + 501 * 200


def test_writer_on_a_stale_base_is_refused_and_nothing_is_written(app, backend, examples):
    created = services.create_plan(_uow(app, True), OWNER, examples["plan-onboarding"])
    document = created["plan"]
    services.revise_plan(_uow(app, True), OWNER, created["id"], document, 1)
    with pytest.raises(PreconditionFailed):
        services.revise_plan(_uow(app, True), OWNER, created["id"], document, 1)
    versions = services.list_versions(_uow(app), OWNER, created["id"])
    assert [v["version"] for v in versions] == [1, 2]


def test_versions_are_scoped_to_their_owner(app, backend, examples):
    created = services.create_plan(_uow(app, True), OWNER, examples["plan-onboarding"])
    with pytest.raises(NotFound):
        services.get_version(_uow(app), "eve@x.example", created["id"], 1)
    with pytest.raises(NotFound):
        services.revise_plan(_uow(app, True), "eve@x.example", created["id"], created["plan"], 1)


def test_version_metadata_records_author_source_and_time(app, backend, examples):
    created = services.create_plan(_uow(app, True), OWNER, examples["plan-onboarding"],
                                   source="import")
    services.revise_plan(_uow(app, True), OWNER, created["id"], created["plan"], 1,
                         source="meeting_update", author="notes@brightpath.example")
    versions = services.list_versions(_uow(app), OWNER, created["id"])
    assert [(v["source"], v["author"]) for v in versions] == [
        ("import", OWNER), ("meeting_update", "notes@brightpath.example")]
    assert all(v["created_at"].endswith("Z") for v in versions)


def test_sqlite_runs_in_wal_mode_with_full_sync(app, backend):
    if backend != "sqlite":
        pytest.skip("a SQLite setting")
    with app.extensions["addin"].engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_prepared_reads_return_what_sqlalchemy_returns(app, backend, examples):
    """The hot reads skip SQLAlchemy's Result layer; their rows must be the same, types too."""
    from addin_server.store import repository

    created = services.create_plan(_uow(app, True), OWNER, examples["plan-onboarding"])
    plan_id = created["id"]
    services.link_thread(_uow(app, True), OWNER, plan_id,
                         {"provider": "gmail", "thread_id": "t-1", "message_id": "<m1@x>"})
    services.link_thread(_uow(app, True), OWNER, plan_id,
                         {"provider": "outlook", "thread_id": "t-2", "message_id": "<m2@x>"})
    cases = [
        (repository._PLAN, {"id": plan_id, "owner": OWNER}),
        (repository._OVERVIEW, {"id": plan_id, "owner": OWNER}),
        (repository._OVERVIEW, {"id": plan_id, "owner": "someone@else.example"}),
    ]
    with _uow(app) as uow:
        for prepared, params in cases:
            expected = [dict(r) for r in uow.connection.execute(prepared.statement, params)
                        .mappings()]
            assert prepared.all(uow.connection, **params) == expected
            assert prepared.first(uow.connection, **params) == (expected[0] if expected else None)
        overview = uow.repo.plan_overview(plan_id, OWNER)
        threads = uow.repo.threads(plan_id)
    assert overview["open_proposals"] == 0 and overview["confirmations"] == []
    assert overview["created_at"].year >= 2026  # a datetime, converted by the column's type
    # The lists folded into the one query are the rows the separate queries return.
    assert [t["thread_id"] for t in threads] == ["t-1", "t-2"]
    assert overview["threads"] == [{**t, "created_at": utc(t["created_at"])} for t in threads]
    assert all(t["created_at"].tzinfo is not None for t in overview["threads"])
