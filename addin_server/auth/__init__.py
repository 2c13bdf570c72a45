"""Who is asking: the user behind a request, from dev headers or verified tokens."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class User:
    """An authenticated seller. `id` scopes their data; `email` identifies their own messages."""

    id: str
    email: str
    provider: str = "dev"
    # The bearer token the request came with, for on-behalf-of flows; never logged or shown.
    token: str | None = field(default=None, repr=False, compare=False)
