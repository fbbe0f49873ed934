"""The review page's data: one session's record and debrief, cached per revision.

Loading a 6-hour session from the store, computing its debrief and drawing its timeline
takes a good fraction of a second; opening the review again, toggling the values or
downloading a table must not pay that again. A session's *revision* (status, last
written second and the last row of each log) says when the cached copy is stale, so a
running session is reloaded only after it has moved on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from vitalsdash.debrief import Debrief, SessionData, compute_debrief, session_from_store
from vitalsdash.errors import VitalsdashError
from vitalsdash.report import timeline_figure
from vitalsdash.store import Store, StoreUnavailableError
from vitalsdash.ui.review.figure import dark_timeline

__all__ = ["VALUES", "Loaded", "ReviewError", "clear_cache", "load", "parse_session_id"]

log = logging.getLogger(__name__)

CACHE_SIZE = 4
"""Sessions kept in memory (a 6-hour session is a few MB)."""
MAX_POINTS = 1500
"""Points per vital-sign line: min and max of each time bucket (the report's default)."""
LOGS = ("actions", "observations", "alarm_events", "session_events")
VALUES = ("measured", "true")


class ReviewError(VitalsdashError, LookupError):
    """A session that cannot be reviewed; ``str()`` says why, for the page."""


@dataclass
class Loaded:
    """One session as the review page shows it."""

    session_id: int
    revision: tuple[Any, ...]
    data: SessionData
    debrief: Debrief
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def has_true_values(self) -> bool:
        s = self.data.samples
        return bool(len(s)) and bool(s["true_value"].notna().any())

    def figure(self, values: str = "measured") -> dict[str, Any]:
        """The timeline as a plain dict (dark, autosized), drawn once per ``values``."""
        if values not in VALUES:
            raise ValueError(f"values must be one of {', '.join(VALUES)}")
        with self.lock:
            fig = self.figures.get(values)
            if fig is None:
                drawn = timeline_figure(
                    self.data, self.debrief, max_points=MAX_POINTS, width=None, values=values
                )
                dark_timeline(drawn, uirevision=f"review-{self.session_id}")
                fig = json.loads(drawn.to_json(validate=False))
                self.figures[values] = fig
            return fig


_cache: OrderedDict[tuple[Any, ...], Loaded] = OrderedDict()
_cache_lock = threading.Lock()


def parse_session_id(raw: Any) -> int:
    """The session id from the address, or ReviewError."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or len(text) > 18:
        raise ReviewError(f"There is no session {text!r}: a session is a number, e.g. /review/1.")
    return int(text)


def revision(store: Store, session_id: int) -> tuple[Any, ...]:
    """What changes whenever the session's record does (ReviewError if there is none)."""
    row = store.session(session_id)
    if row is None:
        raise ReviewError(f"There is no session {session_id} in this clinic's store.")
    found = store.course_of(session_id)  # the course table shows its other sessions too
    course = () if found is None else tuple(
        (c["session_id"], c["status"], c["last_t_s"]) for c in store.course(found["patient_id"])
    )  # fmt: skip
    return (
        row.get("status"),
        row.get("last_t_s"),
        *(store.last_seq(session_id, kind) for kind in LOGS),
        course,
    )


def load(store: Store, session_id: int) -> Loaded:
    """The session's record and debrief: from the cache while its revision holds."""
    rev = revision(store, session_id)
    key = (id(store), str(getattr(store, "url", "")), session_id)  # one cache, any store
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit.revision == rev:
            _cache.move_to_end(key)
            return hit
    try:
        data = session_from_store(store, session_id)
        debrief = compute_debrief(data)
    except StoreUnavailableError:
        raise  # the store out of reach: not this record's fault (the server answers 503)
    except Exception as exc:  # DebriefSourceError and anything a damaged record raises
        log.exception("session %s cannot be reviewed", session_id)
        raise ReviewError(f"Session {session_id} cannot be reviewed: {exc}") from exc
    loaded = Loaded(session_id, rev, data, debrief)
    with _cache_lock:
        _cache[key] = loaded
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
