"""Version storage: database growth per one-field edit, and time to read old and new versions.

    python bench/versions.py [--edits 1000] [--database URL]

Creates a plan, applies N one-field edits through the service layer, and prints the
database growth per version in bytes and the median time to read version 1, the middle
version and the latest. SQLite by default (a temporary file); pass a PostgreSQL URL to
measure there (an empty schema is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from addin_server.services import plans as services  # noqa: E402
from addin_server.store.engine import make_engine  # noqa: E402
from addin_server.store.migrate import upgrade  # noqa: E402
from addin_server.store.repository import SqlUnitOfWork  # noqa: E402
from tests.support.postgres import throwaway_schema  # noqa: E402

PLAN = Path(__file__).resolve().parents[1] / "addin_server" / "demo_plan.json"
OWNER = "bench@localhost"


def database_bytes(engine) -> int:
    """The bytes the database uses now."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            size = connection.exec_driver_sql("PRAGMA page_size").scalar()
            free = connection.exec_driver_sql("PRAGMA freelist_count").scalar()
            return (pages - free) * size
        return connection.execute(text(
            "SELECT sum(pg_total_relation_size(quote_ident(tablename))) FROM pg_tables "
            "WHERE schemaname = current_schema()")).scalar()


def median_read(engine, plan_id: str, number: int, repeats: int = 25) -> float:
    """Median seconds to read one version through the service layer."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        services.get_version(SqlUnitOfWork(engine), OWNER, plan_id, number)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def run(url: str, edits: int) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    plan = json.loads(PLAN.read_text("utf-8"))
    created = services.create_plan(SqlUnitOfWork(engine, write=True), OWNER, plan)
    plan_id, document = created["id"], created["plan"]
    before = database_bytes(engine)
    started = time.perf_counter()
    for n in range(edits):
        milestone = document["milestones"][n % len(document["milestones"])]
        milestone["status"] = ("planned", "done", "at_risk")[n % 3]
        document["title"] = f"Faster customer onboarding (rev {n})" if n % 2 else document["title"]
        services.revise_plan(SqlUnitOfWork(engine, write=True), OWNER, plan_id, document, n + 1)
    write_seconds = time.perf_counter() - started
    after = database_bytes(engine)
    latest = edits + 1
    full_copy = len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
    result = {
        "backend": engine.dialect.name,
        "edits": edits,
        "plan_bytes": full_copy,
        "growth_per_version": (after - before) / edits,
        "writes_per_second": edits / write_seconds,
        "read_v1_ms": median_read(engine, plan_id, 1) * 1000,
        "read_mid_ms": median_read(engine, plan_id, latest // 2) * 1000,
        "read_latest_ms": median_read(engine, plan_id, latest) * 1000,
    }
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--database", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    cleanup = None
    if args.database:
        url, cleanup = throwaway_schema(args.database, "bench")
    else:
        folder = tempfile.mkdtemp()
        url = f"sqlite:///{os.path.join(folder, 'bench.sqlite3')}"
    try:
        r = run(url, args.edits)
    finally:
        if cleanup:
            cleanup()
    print(f"backend                     {r['backend']}")
    print(f"edits                       {r['edits']}")
    print(f"full plan (JSON bytes)      {r['plan_bytes']}")
    print(f"growth per version (bytes)  {r['growth_per_version']:.0f}")
    print(f"versions written per second {r['writes_per_second']:.0f}")
    print(f"read v1 (median ms)         {r['read_v1_ms']:.2f}")
    print(f"read v{(r['edits'] + 1) // 2} (median ms)       {r['read_mid_ms']:.2f}")
    print(f"read latest (median ms)     {r['read_latest_ms']:.2f}")


if __name__ == "__main__":
    main()
