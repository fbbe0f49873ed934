"""Redis clients as the bus wants them, and what a failure looks like to health.

redis-py's default retry backs off for seconds; here one quick retry (a pooled connection
that a restarted server dropped) and then the error, so a tick or a page never waits on
a Redis that is gone: the store answers instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

RedisError = redis.RedisError
ResponseError = redis.ResponseError
CONNECT_TIMEOUT_S = 1.0
"""A Redis that does not accept a connection within this is down, for now."""
MAX_ERROR_CHARS = 300


def client(url: str, socket_timeout_s: float | None) -> redis.Redis:
    """A client (with its own pool) for ``url``; ``socket_timeout_s`` must exceed the
    longest blocking call made on it."""
    return redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout_s,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=0,
    )


def error_text(exc: BaseException) -> str:
    """One bounded line, without the URL's password (redis-py does not print it)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Link:
    """Whether Redis answered lately, as health reports it: since when it has not, the
    last error, and when it came back. After a failure, ``usable`` is False for
    ``retry_s`` so that readers go straight to the store instead of waiting on it."""

    def __init__(self, clock: Callable[[], float], wall: Callable[[], datetime],
                 retry_s: float = 1.0) -> None:  # fmt: skip
        self.clock, self.wall, self.retry_s = clock, wall, retry_s
        self.error: str | None = None
        self.down_since: datetime | None = None
        self.resumed_at: datetime | None = None
        self.outages = 0
        self._retry_at = -float("inf")

    @property
    def up(self) -> bool:
        return self.error is None

    def usable(self) -> bool:
        return self.error is None or self.clock() >= self._retry_at

    def ok(self) -> None:
        if self.error is not None:
            self.error = None
            self.resumed_at = self.wall()
        self.down_since = None

    def failed(self, exc: BaseException) -> None:
        if self.error is None:
            self.outages += 1
            self.down_since = self.wall()
        self.error = error_text(exc)
        self._retry_at = self.clock() + self.retry_s

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.up, "outages": self.outages}
        if self.error is not None:
            out["error"] = self.error
            if self.down_since is not None:
                out["since"] = self.down_since.isoformat()
        if self.resumed_at is not None:
            out["resumed"] = self.resumed_at.isoformat()
        return out
