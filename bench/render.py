"""Renders per second (subject + HTML + text) of the onboarding plan: median of several runs.

Usage: .venv/bin/python bench/render.py [--runs 7] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from addin_server.mailtext.render import render_email  # noqa: E402

EXAMPLE = ROOT.parent / "shared" / "examples" / "plan-onboarding.json"


def one_run(plan: dict, seconds: float) -> tuple[float, float]:
    """Renders per wall-clock second and per CPU second over one run of about `seconds`."""
    count, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        render_email(plan, plan_id="7F3K", version=3)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed, count / max(time.process_time() - cpu, 1e-9)


def main() -> None:
    """Warm the caches, then print each run and the median."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    if not EXAMPLE.exists():
        sys.exit(f"{EXAMPLE} not found: the benchmark needs ../shared beside the checkout")
    plan = json.loads(EXAMPLE.read_text("utf-8"))
    for _ in range(20):
        render_email(plan, plan_id="7F3K", version=3)  # compile templates, load catalogs
    runs = [one_run(plan, args.seconds) for _ in range(args.runs)]
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    print("runs (renders/s, wall clock):", ", ".join(f"{r:.0f}" for r in wall))
    print(f"median: {statistics.median(wall):.0f} renders/s (HTML + text, onboarding plan)")
    # On a busy machine the wall figure drops; per CPU second shows the code's own cost.
    print(f"median per CPU second: {statistics.median(cpu):.0f} renders/s")

if __name__ == "__main__":
    main()
