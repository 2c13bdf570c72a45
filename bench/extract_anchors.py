"""Reply extraction on the shared corpus: ours against talon and email_reply_parser, one run.

Usage: python bench/extract_anchors.py [--cases PATH]

Creates bench/.venv-anchors when missing and installs `talon` and `email_reply_parser` from
PyPI into it. Each extractor is scored by this same file in worker mode: ours under the project's
.venv, the anchors under the anchors venv. Scores follow the corpus's score.py: exact match after
whitespace normalisation, bag-of-tokens F1, and cases per second spent inside the extractor after
a warm-up pass. The anchors' HTML output (talon returns HTML) and email_reply_parser's HTML input
(it only reads text) go through the stdlib HTML-to-text function below.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
import venv
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT / "bench" / ".venv-anchors"
DEFAULT_CASES = ROOT.parent / "shared" / "corpora" / "replies" / "cases.jsonl"
PACKAGES = {"talon": "talon.quotations", "email_reply_parser": "email_reply_parser"}
TOKEN = re.compile(r"\w+|[^\w\s]")
CONTENT_TYPE = {"text": "text/plain", "html": "text/html"}


# ------------------------------------------------------------------ scoring (worker side)


def normalise(text: str, mode: str) -> str:
    """The corpus comparison: whitespace removed or collapsed."""
    text = text or ""
    if mode == "ws_insensitive":
        return re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def token_f1(output: str, expected: str) -> float:
    """Bag-of-tokens F1, as score.py computes it."""
    a = collections.Counter(TOKEN.findall((output or "").lower()))
    b = collections.Counter(TOKEN.findall((expected or "").lower()))
    if not a and not b:
        return 1.0
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


class _Visible(HTMLParser):
    """Visible text of an HTML fragment: block tags and <br> become newlines."""

    BLOCKS = frozenset("p div br li tr blockquote h1 h2 h3 h4 h5 h6 hr table ul ol pre".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Stdlib HTML-to-text used for the anchors' HTML (never for ours)."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    parser = _Visible()
    parser.feed(html or "")
    parser.close()
    return "".join(parser.parts)


def load_extractor(name: str):
    """The function (body, content_type) -> text for one contender."""
    if name == "ours":
        sys.path.insert(0, str(ROOT))
        from addin_server.replies import extract_reply

        return extract_reply
    if name == "talon":
        from talon import quotations

        # talon's HTML cutters use XPath functions that talon.init() registers; only the
        # quotation part is needed here, not the signature classifier init() also loads.
        quotations.register_xpath_extensions()

        def talon_extract(body: str, content_type: str) -> str:
            if content_type == "text/html":
                return html_to_text(quotations.extract_from_html(body))
            return quotations.extract_from_plain(body)

        return talon_extract
    if name == "email_reply_parser":
        from email_reply_parser import EmailReplyParser

        def erp_extract(body: str, content_type: str) -> str:
            text = html_to_text(body) if content_type == "text/html" else body
            return EmailReplyParser.parse_reply(text)

        return erp_extract
    raise SystemExit(f"unknown extractor {name!r}")


def score(name: str, cases_path: str) -> dict:
    """Score one extractor on the corpus; crashes count as empty output."""
    extract = load_extractor(name)
    cases = [json.loads(line) for line in open(cases_path, encoding="utf-8")]
    crashes = 0

    def run(case):
        nonlocal crashes
        try:
            return extract(case["body"], CONTENT_TYPE[case["format"]]) or ""
        except Exception:  # an anchor crashing on a case is a result, not a bench failure
            crashes += 1
            return ""

    for case in cases[:20]:
        run(case)
    crashes = 0
    exact = f1 = seconds = cpu = 0.0
    for case in cases:
        started, started_cpu = time.perf_counter(), time.process_time()
        output = run(case)
        seconds += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        mode = case.get("compare", "ws_collapse")
        exact += normalise(output, mode) == normalise(case["expected_reply"], mode)
        f1 += token_f1(output, case["expected_reply"])
    n = len(cases)
    return {
        "name": name,
        "n": n,
        "exact": exact / n,
        "f1": f1 / n,
        "rate": n / seconds if seconds else float("inf"),
        # CPU time is steadier than wall time on a shared machine.
        "cpu_rate": n / cpu if cpu else float("inf"),
        "crashes": crashes,
        "python": sys.version.split()[0],
    }


# ------------------------------------------------------------------- driver (parent side)


def _python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_anchors() -> dict[str, str]:
    """Create the anchors venv if missing and install each anchor; returns name -> status."""
    if not _python(ANCHORS).exists():
        print(f"creating {ANCHORS.relative_to(ROOT)} ...", flush=True)
        venv.create(ANCHORS, with_pip=True)
    status = {}
    for package, module in PACKAGES.items():
        if _importable(module):
            status[package] = "ok"
            continue
        print(f"installing {package} into {ANCHORS.relative_to(ROOT)} ...", flush=True)
        done = subprocess.run(
            [str(_python(ANCHORS)), "-m", "pip", "install", "-q", package],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0 and _importable(module):
            status[package] = "ok"
        else:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            status[package] = "install failed: " + " | ".join(tail)[:300]
    return status


def _importable(module: str) -> bool:
    probe = subprocess.run(
        [str(_python(ANCHORS)), "-c", f"import {module}"], capture_output=True, text=True
    )
    return probe.returncode == 0


def run_worker(python: Path, name: str, cases: Path) -> dict:
    """Score one contender in its own interpreter; errors become a row note."""
    # -P: only the project root, never bench/, goes on the worker's path.
    script = str(Path(__file__).resolve())
    done = subprocess.run(
        [str(python), "-P", script, "--worker", name, "--cases", str(cases)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"name": name, "error": f"worker failed: {tail[0][:200]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    print()
    head = f"{'extractor':20s} {'cases/s':>8s} {'cpu c/s':>8s} {'exact':>6s} {'tok F1':>6s}  note"
    print(head)
    print("-" * 78)
    for row in rows:
        if "error" in row:
            print(f"{row['name']:20s} {'-':>8s} {'-':>8s} {'-':>6s} {'-':>6s}  {row['error']}")
            continue
        note = f"python {row['python']}, n={row['n']}"
        if row["crashes"]:
            note += f", {row['crashes']} cases raised"
        print(
            f"{row['name']:20s} {row['rate']:8.0f} {row['cpu_rate']:8.0f} {row['exact']:6.3f}"
            f" {row['f1']:6.3f}  {note}"
        )
    print("cases/s: wall clock inside the extractor (as score.py); cpu c/s: process CPU time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=str(DEFAULT_CASES))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(score(args.worker, args.cases)))
        return 0
    cases = Path(args.cases)
    if not cases.exists():
        print(f"corpus not found: {cases} (../shared is absent)")
        return 1
    project_python = _python(ROOT / ".venv")
    if not project_python.exists():
        project_python = Path(sys.executable)
    status = ensure_anchors()
    rows = [run_worker(project_python, "ours", cases)]
    for package, state in status.items():
        if state == "ok":
            rows.append(run_worker(_python(ANCHORS), package, cases))
        else:
            rows.append({"name": package, "error": state})
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
