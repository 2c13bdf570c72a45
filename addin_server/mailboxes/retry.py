"""Retries for mailbox calls: exponential backoff with full jitter, honouring Retry-After."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import UpstreamError

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class Retryable(Exception):
    """A transient failure worth another try; carries the server's Retry-After when it sent one."""

    def __init__(self, status: int | None, retry_after: float | None = None, detail: str = ""):
        super().__init__(f"transient failure (status {status})")
        self.status = status
        self.retry_after = retry_after
        self.detail = detail


@dataclass
class RetryPolicy:
    """How often and how long to wait; `sleep` and `rand` are injectable so tests need not wait."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    # The seller is waiting (a card action times out at 30 s): never sleep longer than this in
    # total; a provider asking for a longer pause is reported as busy instead.
    max_total_wait: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    rand: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt+1: Retry-After when given, else jittered backoff."""
        if retry_after is not None:
            return max(retry_after, 0.0)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * self.rand()

    def call(self, operation: Callable[[], object], what: str = "The mailbox"):
        """Run operation, retrying Retryable failures; UpstreamError when they persist."""
        waited = 0.0
        for attempt in range(1, self.max_attempts + 1):
            try:
                return operation()
            except Retryable as failure:
                pause = self.delay(attempt, failure.retry_after)
                if attempt == self.max_attempts or waited + pause > self.max_total_wait:
                    raise _gave_up(what, failure, attempt) from None
                self.sleep(pause)
                waited += pause
        raise AssertionError("unreachable")  # the loop always returns or raises


def _gave_up(what: str, failure: Retryable, attempts: int) -> UpstreamError:
    status = f"HTTP {failure.status}" if failure.status else "no connection"
    later = (f"try again in {int(failure.retry_after) + 1} seconds"
             if failure.retry_after else "try again in a minute")
    return UpstreamError(f"{what} is busy or unavailable ({status}) after {attempts} "
                         f"attempts; {later}.", field=None)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
