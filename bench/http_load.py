"""HTTP throughput and latency under gunicorn, as a ratio to a bare Flask "hello" app.

    python bench/http_load.py [--duration 9] [--rounds 3] [--workers N] [--database URL]

Starts two gunicorn servers with the repository's gunicorn.conf.py and the same worker count,
on loopback only: our app (dev mode; a temporary SQLite file, or a fresh schema on the
PostgreSQL URL given) and a bare Flask app answering {"hello": "world"}. It then drives the
same load generator (wrk when installed, e.g. `apt-get install wrk`; otherwise a Python one)
against, in one run: the hello ceiling, GET /api/plans/{id}, GET /api/plans/{id}/email and
POST /api/plans/{id}/messages (a realistic Gmail reply quoting the plan email, a fresh
Message-ID on every request, into a plan of its own so the reads do not grow with it), in
interleaved slices so background load hits all alike.
Prints a table with each endpoint's requests per second and latency percentiles (merged over
the slices), and its throughput as a ratio to the ceiling.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.serving import Server, migrate  # noqa: E402

USER = "bench@localhost"
# One bench user sends far more than a seller could; the limiter still counts every request
# (its cost is measured) but with a ceiling the run cannot reach, so nothing answers 429.
BENCH_LIMITS = json.dumps({"api.ingest_message": "100000000/minute"})
HELLO_APP = '''from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"hello": "world"}
'''
REPLY_TEXT = (
    "Hi Dana,\n\nThanks for putting this together, it matches what we discussed. Two things: "
    "could the pilot at Riverside start one week later, on the Monday after? Jordan also asked "
    "whether the single sign-on review can happen before the pilot rather than during it.\n\n"
    "Best regards,\nMaria"
)
WRK_SCRIPT = r'''
local path, user, body_file, run = "%(path)s", "%(user)s", "%(body_file)s", "%(run)s"
local body = nil
if body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  body = f:read("*a")
  f:close()
end
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

request = function()
  if body == nil then
    return wrk.format("GET", path, {["X-Dev-User"] = user})
  end
  counter = counter + 1
  local id = string.format("bench-%%s-%%d-%%d@mail.gmail.com", run, tid, counter)
  local payload = body:gsub("__MESSAGE_ID__", id)
  return wrk.format("POST", path,
    {["X-Dev-User"] = user, ["Content-Type"] = "message/rfc822"}, payload)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\"requests\": %%d, \"duration_us\": %%d, \"non2xx\": %%d, " ..
    "\"socket_errors\": %%d}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
  -- the whole latency histogram (microseconds:count), so slices can be merged exactly
  local parts = {}
  for i = 1, #latency do
    local value, count = latency(i)
    parts[#parts + 1] = string.format("%%d:%%d", value, count)
  end
  io.write("HIST " .. table.concat(parts, ",") .. "\n")
end
'''


def call(method: str, url: str, body: bytes | None = None, content_type: str | None = None):
    """One request as the bench user: (status, parsed JSON body)."""
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"X-Dev-User": USER})
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def sent_plan(base: str, thread: str):
    """A plan like the demo one, sent in a Gmail thread: (plan id, the email as sent)."""
    from addin_server.cli import demo_plan
    from tests.support.mail_clients import sent_plan_email

    status, created = call("POST", base + "/api/plans", json.dumps(demo_plan()).encode(),
                           "application/json")
    assert status == 201, created
    plan_id = created["id"]
    sent = sent_plan_email(created["plan"], plan_id=plan_id, version=1)
    link = {"provider": "gmail", "thread_id": thread, "message_id": sent.message_id}
    call("POST", f"{base}/api/plans/{plan_id}/threads", json.dumps(link).encode(),
         "application/json")
    return plan_id, sent


def prepare(base: str, folder: Path, history: int) -> tuple[str, str, Path]:
    """The plan the reads hit (with `history` replies ingested, like a plan in use), a second
    plan the POSTs go to (so the reads do not slow down as the POSTs pile up messages), and
    the reply to it with a Message-ID slot."""
    from tests.support.mail_clients import gmail_reply

    def ingest(plan_id: str, raw: bytes) -> None:
        fresh = raw.replace(b"__MESSAGE_ID__", f"prep-{uuid.uuid4().hex}@mail.gmail.com".encode())
        status, _ = call("POST", f"{base}/api/plans/{plan_id}/messages", fresh, "message/rfc822")
        assert status == 201, status  # a fresh Message-ID is a new message

    read_id, read_sent = sent_plan(base, "bench-read")
    for _ in range(history):
        ingest(read_id, gmail_reply(read_sent, REPLY_TEXT, message_id="__MESSAGE_ID__"))
    post_id, post_sent = sent_plan(base, "bench-post")
    raw = gmail_reply(post_sent, REPLY_TEXT, message_id="__MESSAGE_ID__")
    body_file = folder / "reply.eml"
    body_file.write_bytes(raw)
    ingest(post_id, raw)
    for path in (f"/api/plans/{read_id}", f"/api/plans/{read_id}/email"):
        assert call("GET", base + path)[0] == 200
    return read_id, post_id, body_file


# load generators -----------------------------------------------------------------------------


def run_wrk(url: str, path: str, body_file: Path | None, duration: float, connections: int,
            threads: int, folder: Path) -> dict:
    """Drive one endpoint with wrk: requests, seconds, errors and the latency histogram (ms)."""
    script = folder / "bench.lua"
    script.write_text(WRK_SCRIPT % {"path": path, "user": USER, "run": uuid.uuid4().hex,
                                    "body_file": str(body_file or "")})
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
         "--timeout", "10s", "-s", str(script), url],
        capture_output=True, text=True, timeout=duration + 60,
    )
    lines = done.stdout.splitlines()
    result = next((ln for ln in lines if ln.startswith("RESULT ")), None)
    histogram = next((ln for ln in lines if ln.startswith("HIST")), None)
    if result is None or histogram is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    raw = json.loads(result[len("RESULT "):])
    pairs = [item.split(":") for item in histogram[len("HIST "):].split(",") if item]
    return {"requests": raw["requests"], "seconds": raw["duration_us"] / 1e6,
            "errors": raw["non2xx"] + raw["socket_errors"],
            "latencies": [(int(v) / 1000, int(c)) for v, c in pairs]}


def _python_worker(port: int, path: str, body: bytes | None, stop_at: float, threads: int,
                   queue) -> None:
    """One load process: threads each sending requests back to back until stop_at."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    run = uuid.uuid4().hex[:12]

    def loop(tid: int) -> None:
        mine, failed, counter = [], 0, 0
        while time.monotonic() < stop_at:
            counter += 1
            headers = {"X-Dev-User": USER}
            payload = None
            if body is not None:
                unique = f"bench-{run}-{tid}-{counter}@mail.gmail.com".encode()
                payload = body.replace(b"__MESSAGE_ID__", unique)
                headers["Content-Type"] = "message/rfc822"
            started = time.perf_counter()
            try:
                connection = HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("POST" if body is not None else "GET", path, payload, headers)
                response = connection.getresponse()
                response.read()
                connection.close()
                ok = 200 <= response.status < 300
            except OSError:
                ok = False
            mine.append(time.perf_counter() - started)
            failed += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors[0]))


def run_python(url: str, path: str, body_file: Path | None, duration: float, connections: int,
               threads: int, folder: Path) -> dict:
    """Drive one endpoint with the Python generator (processes x threads = connections)."""
    del folder
    port = int(url.rsplit(":", 1)[1])
    body = body_file.read_bytes() if body_file else None
    processes = max(1, min(threads, connections))
    per_process = max(1, connections // processes)
    queue = multiprocessing.get_context("fork").Queue()
    started = time.monotonic()
    stop_at = started + duration
    pool = [multiprocessing.get_context("fork").Process(
        target=_python_worker, args=(port, path, body, stop_at, per_process, queue))
        for _ in range(processes)]
    for process in pool:
        process.start()
    results = [queue.get(timeout=duration + 60) for _ in pool]
    for process in pool:
        process.join(timeout=10)
    elapsed = time.monotonic() - started
    latencies = [x * 1000 for r in results for x in r[0]]
    return {"requests": len(latencies), "seconds": elapsed,
            "errors": sum(r[1] for r in results), "latencies": [(x, 1) for x in latencies]}


def summarise(slices: list[dict]) -> dict:
    """Merge the slices of one endpoint: throughput over all of them, exact percentiles."""
    requests = sum(s["requests"] for s in slices)
    seconds = sum(s["seconds"] for s in slices)
    histogram = sorted(pair for s in slices for pair in s["latencies"])
    total = sum(count for _, count in histogram)

    def percentile(q: float) -> float:
        rank, seen = q * total, 0
        for value, count in histogram:
            seen += count
            if seen >= rank:
                return value
        return histogram[-1][0] if histogram else float("nan")

    return {"rps": requests / seconds if seconds else 0.0, "requests": requests,
            "p50": percentile(0.50), "p90": percentile(0.90), "p99": percentile(0.99),
            "errors": sum(s["errors"] for s in slices)}


# the run -------------------------------------------------------------------------------------


def machine() -> str:
    """CPU model, cores, Python and the load at the start (the machine may be shared)."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load:.2f} at start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=9.0, help="seconds per endpoint")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per endpoint")
    parser.add_argument("--history", type=int, default=5,
                        help="replies already ingested into the plan the reads hit")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="load generator threads")
    parser.add_argument("--database", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()

    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    drive = run_wrk if generator == "wrk" else run_python
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    cleanup = None
    if args.database:
        from tests.support.postgres import throwaway_schema

        database_url, cleanup = throwaway_schema(args.database, "bench_http")
    else:
        database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    (folder / "bench_hello.py").write_text(HELLO_APP)
    servers: list[Server] = []
    try:
        migrate(database_url, command=True)
        ours = Server(database_url, folder, workers=args.workers, name="app",
                      env={"ADDIN_RATE_LIMITS": BENCH_LIMITS})
        hello = Server(database_url, folder, workers=args.workers, name="hello",
                       app="bench_hello:app", pythonpath=str(folder), ready_path="/hello")
        servers = [ours, hello]
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready(timeout=120)
        plan_id, post_id, body_file = prepare(ours.url, folder, args.history)
        targets = [
            ("hello (ceiling)", hello.url, "/hello", None),
            ("GET /api/plans/{id}", ours.url, f"/api/plans/{plan_id}", None),
            ("GET /api/plans/{id}/email", ours.url, f"/api/plans/{plan_id}/email", None),
            ("POST /api/plans/{id}/messages", ours.url, f"/api/plans/{post_id}/messages",
             body_file),
        ]
        header = machine()
        for _label, url, path, body in targets:
            if args.warmup > 0:
                drive(url, path, body, args.warmup, args.connections, args.threads, folder)
        # Interleaved slices: a change in the machine's background load during the run hits
        # the ceiling and every endpoint alike instead of skewing the ratios.
        slices: dict[str, list[dict]] = {label: [] for label, *_ in targets}
        for _round in range(args.rounds):
            for label, url, path, body in targets:
                slices[label].append(drive(url, path, body, args.duration / args.rounds,
                                           args.connections, args.threads, folder))
        rows = [(label, summarise(slices[label])) for label, *_ in targets]
        hello_by_round = [round(s["requests"] / s["seconds"]) for s in slices[targets[0][0]]]
    finally:
        for server in servers:
            server.stop()
        if cleanup:
            cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    ceiling = rows[0][1]["rps"]
    backend = "PostgreSQL" if args.database else "SQLite"
    print(f"\nmachine:   {header}")
    print(f"server:    gunicorn ({args.workers} sync workers each), our app in dev mode on "
          f"{backend}; bare Flask hello app; loopback")
    print(f"data:      the read plan is the demo plan with {args.history} ingested replies; the "
          f"POSTs ingest into a second plan ({rows[3][1]['requests']:,} measured + warm-up)")
    print(f"load:      {generator}, {args.connections} connections, {args.threads} threads, "
          f"{args.duration:g}s per endpoint in {args.rounds} interleaved slices, after "
          f"{args.warmup:g}s warm-up")
    print(f"ceiling:   {ceiling:,.0f} req/s (hello per round: {hello_by_round})\n")
    print(f"{'endpoint':32} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'vs hello':>9}")
    for label, r in rows:
        print(f"{label:32} {r['rps']:8,.0f} {r['p50']:8.1f} {r['p90']:8.1f} {r['p99']:8.1f} "
              f"{r['errors']:7d} {r['rps'] / ceiling:9.2f}")


if __name__ == "__main__":
    main()
