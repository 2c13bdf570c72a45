"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py addin_server.wsgi:app`.

Every setting comes from the environment so one image serves every deployment:
  PORT / ADDIN_BIND     where to listen (ADDIN_BIND wins: 127.0.0.1:8000, unix:/run/addin.sock)
  WEB_CONCURRENCY       worker processes (default 2 x CPU cores + 1)
  GUNICORN_TIMEOUT      seconds a worker may spend on one request before it is replaced (30)
  GUNICORN_ACCESS_LOG   "-" for gunicorn's own access log on stdout (off by default: the app writes
                        one structured JSON line per request, see addin_server/web/logging.py)
  FORWARDED_ALLOW_IPS   proxies whose X-Forwarded-* headers are trusted (gunicorn reads it itself)
Migrations are not run here: `flask --app addin_server db-upgrade` runs once before instances start.
"""

from __future__ import annotations

import copy
import multiprocessing
import os

from gunicorn.glogging import CONFIG_DEFAULTS


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _bind() -> list[str]:
    if os.environ.get("ADDIN_BIND"):
        return [part.strip() for part in os.environ["ADDIN_BIND"].split(",") if part.strip()]
    return [f"0.0.0.0:{_int('PORT', 8000)}"]


def _cores() -> int:
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return multiprocessing.cpu_count()


bind = _bind()
workers = _int("WEB_CONCURRENCY", _cores() * 2 + 1)
worker_class = "sync"  # requests are short and CPU-bound; a buffering load balancer sits in front
# Each worker imports the app itself: no state is built in the master and shared by fork
# (database pools and sockets must never cross a fork), and a reload picks up new code.
preload_app = False

# Worker heartbeats go to a file; in memory, a slow or overlay disk cannot stall them.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# A request stuck this long is a bug or a hung database: the worker is replaced, not waited on.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Sync workers close each connection after the response; this only applies to threaded workers.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers after this many requests (0: never) to bound slow memory growth.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# Request line limits: long query strings or header floods are refused before Flask sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 16384

# Gunicorn's access log, when enabled, shows the path WITHOUT the query string (%(U)s, never
# %(r)s or %(q)s) and no Referer, because either can carry tokens; no headers, no bodies.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
# Gunicorn 25+ opens a control socket at one fixed path per user, so two servers on one host
# would take each other's; off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def _logconfig() -> dict:
    """Gunicorn's own logging, plus the app's JSON request lines as bare lines on stdout."""
    config = copy.deepcopy(CONFIG_DEFAULTS)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["json_stdout"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["addin_server.request"] = {
        "level": "INFO",
        "handlers": ["json_stdout"],
        "propagate": False,
    }
    # Gunicorn's defaults also propagate its messages to the root handler: each line twice.
    config["loggers"]["gunicorn.error"]["propagate"] = False
    # With a logging config gunicorn always writes access lines; keep them only when asked for.
    config["loggers"]["gunicorn.access"] = {
        "level": "INFO" if accesslog else "WARNING",
        "handlers": ["console"] if accesslog else [],
        "propagate": False,
    }
    # Application errors (log.exception in web/errors.py) go to stderr with the process id.
    config["loggers"]["addin_server"] = {
        "level": "INFO",
        "handlers": ["error_console"],
        "propagate": False,
    }
    return config


logconfig_dict = _logconfig()
