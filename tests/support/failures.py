"""Injected failures for the fake provider servers: the next N requests to a path fail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Failure:
    """`times` requests whose path contains `path` get `status` (and Retry-After when set)."""

    path: str
    status: int
    times: int = 1
    retry_after: str | None = None


def next_failure(failures: list[Failure], path: str) -> Failure | None:
    """The injected failure this request takes, if any (each is used `times` times)."""
    for failure in failures:
        if failure.times > 0 and failure.path in path:
            failure.times -= 1
            return failure
    return None
