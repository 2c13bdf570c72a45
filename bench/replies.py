"""Reply understanding speed: extraction on the shared corpus, and end-to-end ingestion.

    python bench/replies.py [--seconds 5]

Extraction: cases per second of addin_server.replies.extract_reply over the 119 cases of
../shared/corpora/replies (the time inside the extractor, after a warm-up pass, like
score.py). Ingestion: replies per second through the whole path a pane's request takes
(MIME parse, extraction, edit read-back, proposals, intent, storage on SQLite) for a
realistic Gmail reply to the onboarding plan that moves the go-live date.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from addin_server.auth import User  # noqa: E402
from addin_server.replies import extract_reply  # noqa: E402
from addin_server.services import plans as plan_services  # noqa: E402
from addin_server.services import replies as reply_services  # noqa: E402
from addin_server.store.engine import make_engine  # noqa: E402
from addin_server.store.migrate import upgrade  # noqa: E402
from addin_server.store.repository import SqlUnitOfWork  # noqa: E402
from tests.support.mail_clients import gmail_reply, sent_plan_email  # noqa: E402

CASES = ROOT.parent / "shared" / "corpora" / "replies" / "cases.jsonl"
TYPES = {"text": "text/plain", "html": "text/html"}


def extraction_rate(rounds: int = 5) -> float | None:
    """Median cases per second over several passes of the corpus."""
    if not CASES.exists():
        return None
    cases = [json.loads(line) for line in CASES.open(encoding="utf-8")]
    for case in cases:
        extract_reply(case["body"], TYPES[case["format"]])
    rates = []
    for _ in range(rounds):
        spent = 0.0
        for case in cases:
            started = time.perf_counter()
            extract_reply(case["body"], TYPES[case["format"]])
            spent += time.perf_counter() - started
        rates.append(len(cases) / spent)
    return statistics.median(rates)


def ingestion_rate(seconds: float) -> tuple[float, float]:
    """Replies ingested per second (each a new Message-ID), and the median ms per reply."""
    folder = tempfile.mkdtemp()
    engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
    upgrade(engine)
    user = User(id="dana@brightpath.example", email="dana@brightpath.example")
    plan = json.loads((ROOT / "addin_server" / "demo_plan.json").read_text("utf-8"))
    created = plan_services.create_plan(SqlUnitOfWork(engine, True), user.id, plan)
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    timings = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        raw = gmail_reply(sent, "Thanks Dana, one change from our side, see the go-live below.",
                          edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12"),
                          message_id=f"bench-{n}@mail.gmail.com")
        started = time.perf_counter()
        result, _ = reply_services.ingest_message(
            SqlUnitOfWork(engine, True), user, created["id"], raw)
        timings.append(time.perf_counter() - started)
        assert result["proposals"], "the reply should propose the go-live change"
    engine.dispose()
    return len(timings) / sum(timings), statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    rate = extraction_rate()
    per_second, median_ms = ingestion_rate(args.seconds)
    print("measure                                   figure")
    if rate is None:
        print("extraction (corpus cases/s)               ../shared is absent")
    else:
        print(f"extraction (corpus cases/s, median of 5)  {rate:,.0f}")
    print(f"ingestion end to end (replies/s)          {per_second:,.0f}")
    print(f"ingestion end to end (median ms/reply)    {median_ms:.2f}")


if __name__ == "__main__":
    main()
