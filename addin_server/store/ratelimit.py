"""Rate-limit counters in the app's own database, so every process and instance shares them."""

from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .tables import rate_limits


class SqlRateLimitStorage(Storage):
    """A fixed-window counter per key: one atomic upsert per counted request."""

    STORAGE_SCHEME = ["addin+sql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine = options["engine"]
        self._insert = postgresql.insert if self.engine.dialect.name == "postgresql" else (
            sqlite.insert)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        statement = self._insert(rate_limits).values(
            key=key, count=amount, expires_at=now + expiry)
        expired = rate_limits.c.expires_at <= now

        statement = statement.on_conflict_do_update(
            index_elements=[rate_limits.c.key],
            set_={
                "count": case((expired, amount), else_=rate_limits.c.count + amount),
                "expires_at": case((expired, now + expiry), else_=rate_limits.c.expires_at),
            },
        ).returning(rate_limits.c.count)
        with self.engine.execution_options(sqlite_immediate=True).begin() as connection:
            return connection.execute(statement).scalar_one()

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            row = connection.execute(select(rate_limits.c.count, rate_limits.c.expires_at).where(
                rate_limits.c.key == key)).first()
        return row.count if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expiry = connection.execute(select(rate_limits.c.expires_at).where(
                rate_limits.c.key == key)).scalar()
        return expiry if expiry else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.execution_options(sqlite_immediate=True).begin() as connection:
            return connection.execute(delete(rate_limits)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.execution_options(sqlite_immediate=True).begin() as connection:
            connection.execute(delete(rate_limits).where(rate_limits.c.key == key))
