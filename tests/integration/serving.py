"""Run the real server as separate processes (gunicorn, our gunicorn.conf.py) for the slow tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "addin_server" / "demo_plan.json"


def free_port() -> int:
    """A port nobody listens on now (the OS picks it when we bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_plan() -> dict:
    """The packaged demo plan (no ../shared needed)."""
    return json.loads(DEMO_PLAN.read_text("utf-8"))


def server_env(database_url: str, **extra: str) -> dict:
    """The environment of a dev-mode server on database_url."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADDIN_", "GUNICORN_"))}
    env.update(
        ADDIN_AUTH_MODE="dev",
        ADDIN_DATABASE_URL=database_url,
        ADDIN_BASE_URL="https://addin.example",
        ADDIN_AUTO_MIGRATE="false",  # migrated once by migrate(), as in production
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def migrate(database_url: str, *, command: bool = False) -> None:
    """Bring the database to the latest schema before servers start, as production does.

    With command=True through the documented `flask --app addin_server db-upgrade` (a process
    of its own, slower on a busy machine); otherwise in-process with the function it calls.
    """
    if not command:
        from addin_server.store.engine import make_engine
        from addin_server.store.migrate import upgrade

        engine = make_engine(database_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        return
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "addin_server", "db-upgrade"],
        env=server_env(database_url), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"db-upgrade failed:\n{done.stdout}\n{done.stderr}"


class Server:
    """One gunicorn (master and workers in their own process group) on a free loopback port."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int = 2, name: str = "server",
                 env: dict | None = None, app: str = "addin_server.wsgi:app",
                 pythonpath: str | None = None, ready_path: str = "/readyz"):
        self.database_url = database_url
        self.app = app  # another WSGI app (with pythonpath) serves as a benchmark's ceiling
        self.pythonpath = pythonpath
        self.ready_path = ready_path
        self.extra_env = env or {}
        self.log_dir = Path(log_dir)
        self.workers = workers
        self.name = name
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        """Start gunicorn and wait until its ready path (/readyz) answers 200."""
        self.launch()
        self.wait_ready(timeout)
        return self

    def launch(self) -> None:
        """Start gunicorn without waiting (to boot several servers side by side)."""
        self.starts += 1
        log = open(self.log_dir / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115
        env = server_env(
            self.database_url, ADDIN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(self.workers), **self.extra_env,
        )
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        if self.pythonpath:
            command += ["--pythonpath", self.pythonpath]
        command.append(self.app)
        # A new session: one killpg reaches the master and every worker, like a machine crash.
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log,
                                        start_new_session=True)
        log.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the ready path answers 200; fail with the log when the server died or
        hangs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                if requests.get(self.url + self.ready_path, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} was not ready after {timeout}s:\n" + self.log_tail())

    def kill(self) -> None:
        """SIGKILL the whole process group (no shutdown code runs) and reap the master."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._wait_group_gone()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then by force; safe to call twice."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        self._wait_group_gone()

    def _wait_group_gone(self, timeout: float = 10.0) -> None:
        # Workers are reparented when the master dies; wait until none of the group still runs.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and live_members(self.process.pid):
            time.sleep(0.02)

    def log_tail(self, lines: int = 40) -> str:
        path = self.log_dir / f"{self.name}-{self.starts}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])


def live_members(group: int) -> list[int]:
    """Processes of a process group that are not zombies (read from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def put_plan(session: requests.Session, base: str, plan_id: str, plan: dict, version: int,
             user: str | None = None, timeout: float = 15.0) -> requests.Response:
    """PUT a new version based on version (If-Match)."""
    headers = {"If-Match": f'"{version}"'}
    if user:
        headers["X-Dev-User"] = user
    return session.put(f"{base}/api/plans/{plan_id}", json=plan, headers=headers,
                       timeout=timeout)
