"""Whose sessions are whose, each session's results (cached), and the class table.

Private to :mod:`vitalsdash.classroom`. A session belongs to the people who acted in it
while logged in (action rows carrying their user id: ``Store.people_by_session``); a
session nobody logged in acted in belongs to nobody here.

Judging a session reads its whole record and computes its debrief: a few tens of
milliseconds for a 45-minute session, about 0.3 s for a 6-hour one (benchmarks/
bench_classroom.py). A class of twenty with six sessions each would pay several seconds
on every page load, so each session's results are kept in a bounded LRU: an ended
session's for good (its record no longer changes), a running one's until it moves on (its
status, last second or last action changes).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from vitalsdash.catalogue import scenario_named
from vitalsdash.classroom._results import (
    ENDED,
    WRONG,
    SessionResult,
    session_result,
    unreadable,
)
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.durations import span_in_words
from vitalsdash.store import StoreUnavailableError

log = logging.getLogger(__name__)

CACHE_SIZE = 1024
"""Sessions' results kept in memory (a few hundred bytes each; a class's whole term)."""
TRAINEE_ROLE = "trainee"
ACK_CHANGE_S = 2.0
"""A median time to acknowledge must move by this much (and by a tenth) to count as
faster or slower: a second or two is the NIBP cycle's jitter, not learning."""

_cache: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], SessionResult]] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def cached_sessions() -> int:
    """How many sessions' results are kept (for tests and the health of a long run)."""
    with _cache_lock:
        return len(_cache)


@functools.lru_cache(maxsize=64)
def scenario_title(name: str | None) -> str:
    """The scenario's own name ("Hypertensive responder"); its file name in words when
    the file is gone or broken."""
    if not name:
        return ""
    try:
        title = str(scenario_named(str(name)).name or "")
    except Exception:  # a removed or broken scenario file: the stored name will do
        title = ""
    return title or str(name).rsplit("/", 1)[-1].removesuffix(".toml").replace("-", " ")


def _revision(store: Any, row: dict[str, Any]) -> tuple[Any, ...]:
    """What changes while a session is not ended (nothing once it is)."""
    if row.get("status") in ENDED:
        return (row.get("status"),)
    return (row.get("status"), row.get("last_t_s"), store.last_seq(int(row["id"]), "actions"))


def result_of(store: Any, row: dict[str, Any]) -> SessionResult:
    """One session's results (``row`` as ``Store.sessions`` lists it), cached."""
    sid = int(row["id"])
    key = (id(store), str(getattr(store, "url", "")), sid)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[1].ended:
            _cache.move_to_end(key)
            return hit[1]
    rev = _revision(store, row)
    if hit is not None and hit[0] == rev:
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
        return hit[1]
    scenario = scenario_title(row.get("scenario"))
    t0 = time.perf_counter()
    try:
        data = session_from_store(store, sid)
        debrief = compute_debrief(data)
        result = session_result(sid, row, debrief, scenario)
    except StoreUnavailableError:
        raise  # the store out of reach: nothing to judge or cache now (the server says 503)
    except Exception as exc:  # a damaged record: listed with the reason, not a crashed page
        log.exception("session %s cannot be judged for the class results", sid)
        result = unreadable(sid, row, scenario, f"cannot be judged: {exc}")
    log.debug("class results of session %s in %.3f s", sid, time.perf_counter() - t0)
    with _cache_lock:
        _cache[key] = (rev, result)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _names(people: dict[int, str | None], accounts: dict[int, str]) -> tuple[str, ...]:
    return tuple(accounts.get(uid) or name or f"Person {uid}" for uid, name in people.items())


def _results(
    store: Any,
    sessions: Sequence[dict[str, Any]],
    people: dict[int, dict[int, str | None]],
    accounts: dict[int, str],
    wanted: Any,
) -> list[SessionResult]:
    out = []
    for row in sessions:
        who = people.get(int(row["id"]), {})
        if wanted(who):
            out.append(replace(result_of(store, row), people=_names(who, accounts)))
    return out


def trainee_results(store: Any, user_id: int) -> list[SessionResult]:
    """The sessions ``user_id`` acted in, oldest first, each with its results."""
    uid = int(user_id)
    accounts = {u["id"]: u["name"] for u in store.users()}
    return _results(
        store, store.sessions(), store.people_by_session(), accounts, lambda who: uid in who
    )


def trainee_name(store: Any, user_id: int) -> str | None:
    """The person's name: their account's, else the name their actions were taken under
    (a removed account); None when there is no such person."""
    user = store.user(int(user_id))
    if user is not None:
        return str(user["name"])
    for who in store.people_by_session().values():
        if int(user_id) in who:
            return who[int(user_id)] or f"Person {int(user_id)}"
    return None


@dataclass(frozen=True, slots=True)
class TraineeSummary:
    """One trainee's row in the class table.

    ``sessions`` every session they took part in, oldest first; ``first`` and ``latest``
    the first and the latest ended ones (the figures a trend compares); ``trend`` says in
    words how the latest compares with the first, ``trend_key`` the same as ``better``,
    ``worse``, ``mixed``, ``steady`` or ``""`` (fewer than two ended sessions).
    """

    user_id: int
    name: str
    sessions: tuple[SessionResult, ...]
    first: SessionResult | None
    latest: SessionResult | None
    trend: str
    trend_key: str

    @property
    def done(self) -> int:
        """Sessions ended (discharged, or ended by the instructor)."""
        return sum(1 for s in self.sessions if s.ended)

    @property
    def open(self) -> int:
        """Sessions still running (or interrupted and not ended)."""
        return len(self.sessions) - self.done

    @property
    def last_session(self) -> datetime | None:
        """When their last session started."""
        return max((s.started for s in self.sessions if s.started is not None), default=None)


def _wrong(r: SessionResult) -> int:
    return int(r.screening.verdict == WRONG) + int(r.discharge.verdict == WRONG)


def _ack_step(first: SessionResult, latest: SessionResult) -> tuple[int, str]:
    a, b = first.median_ack_s, latest.median_ack_s
    if a is None or b is None or abs(b - a) < max(ACK_CHANGE_S, 0.1 * a):
        return 0, ""
    moved = f"{span_in_words(a)} → {span_in_words(b)}"
    return (
        (1, f"faster to acknowledge ({moved})")
        if b < a
        else (-1, f"slower to acknowledge ({moved})")
    )


def _expected_step(first: SessionResult, latest: SessionResult) -> tuple[int, str]:
    a, b = first.expected_share, latest.expected_share
    if a is None or b is None or abs(b - a) < 1e-9:
        return 0, ""
    moved = f"{first.expected_words} → {latest.expected_words}"
    return (1, f"more responses met ({moved})") if b > a else (-1, f"fewer responses met ({moved})")


def _decision_step(first: SessionResult, latest: SessionResult) -> tuple[int, str]:
    a, b = _wrong(first), _wrong(latest)
    if a == b:
        return 0, ""
    return (1, "fewer wrong decisions") if b < a else (-1, "more wrong decisions")


def trend(first: SessionResult | None, latest: SessionResult | None) -> tuple[str, str]:
    """(key, words): how the latest ended session compares with the first one (the
    words in lower case, to start a sentence or follow a name)."""
    if first is None or latest is None or first.session_id == latest.session_id:
        return "", "needs two ended sessions"
    steps = [f(first, latest) for f in (_ack_step, _expected_step, _decision_step)]
    signs = {s for s, _ in steps if s}
    words = "; ".join(w for _, w in steps if w)
    if not signs:
        return "steady", "about the same"
    key = "mixed" if len(signs) == 2 else ("better" if 1 in signs else "worse")
    return key, words


def summary_of(user_id: int, name: str, sessions: Sequence[SessionResult]) -> TraineeSummary:
    """One trainee's row from their sessions' results."""
    judged = [s for s in sessions if s.ended and s.problem is None]
    first = judged[0] if judged else None
    latest = judged[-1] if judged else None
    key, words = trend(first, latest)
    return TraineeSummary(
        int(user_id), name, tuple(sessions), first, latest, words[:1].upper() + words[1:], key
    )


def class_table(store: Any) -> list[TraineeSummary]:
    """One row per trainee (accounts with the trainee role, and people whose account is
    gone but whose actions remain), by name; trainees with no session yet included."""
    users = store.users()
    accounts = {u["id"]: u["name"] for u in users}
    people = store.people_by_session()
    trainees = {u["id"]: u["name"] for u in users if u["role"] == TRAINEE_ROLE}
    for who in people.values():
        for uid, name in who.items():
            if uid not in accounts:  # a removed account: its results stay
                trainees.setdefault(uid, name or f"Person {uid}")
    sessions = store.sessions()
    rows = []
    for uid, name in trainees.items():
        mine = _results(store, sessions, people, accounts, lambda who, u=uid: u in who)
        rows.append(summary_of(uid, name, mine))
    return sorted(rows, key=lambda r: (r.name.casefold(), r.user_id))
