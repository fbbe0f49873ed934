"""``/api/beds``'s body, made from the views: each bed's part once per view.

Every central screen polls ``/api/beds`` once a second. A bed's view object is built
anew only when the bed changed (the runtime's view cache), so its part of the answer is
made once per change and shared by every screen. The runtime process makes it for its
own API and, in a scaled-out clinic, once per tick for every web worker (the publisher
puts it on the bus), so that no worker decodes 64 views to answer one poll.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from vitalsdash.runtime._views import BedView, summary

T = TypeVar("T")


def json_ready(value: Any) -> Any:
    """JSON has no NaN: missing values go out as null; times as ISO 8601 (Flask's default,
    an HTTP date, drops the anchor's fraction of a second)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def compact_json(value: Any) -> str:
    """JSON as Flask's ``jsonify`` writes it outside debug mode: sorted keys, no spaces,
    ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class OncePerView(Generic[T]):
    """``made(key, view)``: ``make(view)``, made again only when ``key`` (a bed) has a new
    view object (the runtime builds one only when the bed changed). Two threads may make
    the same one at once: both are right, the last one is kept."""

    def __init__(self, make: Callable[[Any], T]) -> None:
        self._make = make
        self._made: dict[Hashable, tuple[Any, T]] = {}  # key -> (its view, what was made)

    def made(self, key: Hashable, view: Any) -> T:
        got = self._made.get(key)
        if got is None or got[0] is not view:
            got = self._made[key] = (view, self._make(view))
        return got[1]


class BedsJson:
    """``body(views)``: the list of every bed's summary, as JSON text."""

    def __init__(self) -> None:
        self._parts = OncePerView(lambda view: compact_json(json_ready(summary(view))))

    def body(self, views: Iterable[BedView]) -> str:
        return "[" + ",".join(self._parts.made(v.bed_id, v) for v in views) + "]\n"
