"""Engines: SQLite tuned for durability (WAL, synchronous=FULL); PostgreSQL by URL."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# A pooled server connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> Engine:
    """An engine for the URL; SQLite gets WAL, FULL sync, a busy timeout, early write locks."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _ping_idle_connections(engine, ping_after_idle)
    return engine


def _ping_idle_connections(engine: Engine, after: float) -> None:
    """Ping a pooled connection before use only when it sat idle for `after` seconds.

    pool_pre_ping pings on every checkout: a round trip and a third of a plan read's CPU on
    PostgreSQL. A connection in steady use was just shown to work; one that sat idle may have
    been closed by the server, a proxy or a restart. A connection that breaks inside the window
    fails its request once with 503 (web/errors.py), and SQLAlchemy then drops every pooled
    connection made before it.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool closes this connection and checks out a fresh one.
            raise DisconnectionError("a pooled connection failed its ping") from error


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin event issue BEGIN itself, so writes can take the lock first.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY when another
        # writer got in first; writers therefore take the write lock when they begin.
        # Issued on the driver's connection: through exec_driver_sql it cost a statement's worth
        # of SQLAlchemy bookkeeping on every read.
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    """True for a SQLite engine."""
    return engine.dialect.name == "sqlite"
