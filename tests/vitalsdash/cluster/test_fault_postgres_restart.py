"""Fault: PostgreSQL restarts (its fast shutdown, a few seconds down, started again on its
port) while sessions run.

What must hold: the store's refusals are the runtime's StoreError, so the beds HOLD
(they stop advancing, keep their one tick of rows and retry: a bounded buffer, the same
size all through the outage) and /api/health says the store refuses writes; the web
tier's history reads answer 503 ``store_unavailable`` with Retry-After and plain words
(never a 500), logged as one line each, without a traceback; nothing faults (the outage
is far shorter than ``store_fault_after_s``); the runtime's publisher and the web workers
live through it; afterwards the pools reconnect (the web tier's history reads answer
again), the sessions run and advance, and the store holds every second of every session
exactly once, including every sample the API showed before.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from cluster_checks import running_at, store_gaps, two_chairs
from cluster_run import Cluster, running_cluster, until

from vitalsdash.store import STORE_UNAVAILABLE_WORDS, Store

pytestmark = pytest.mark.integration

DOWN_AT_LEAST_S = 4.0
FAULT_AFTER_S = 300
"""Far past the outage, slow start-ups under load included (the default is 30 s)."""
CLINIC_TOML = two_chairs(
    "PostgreSQL fault clinic", live_updates="poll", store_fault_after_s=FAULT_AFTER_S
)


def _api_samples(c: Cluster, sid: int) -> set[tuple[float, str, Any, str]]:
    status, body = c.request(f"/api/sessions/{sid}/samples")
    assert status == 200, body[:300]
    return {(s["t"], s["channel"], s["value"], s["quality"])
            for s in json.loads(body)["samples"]}  # fmt: skip


def _answer(c: Cluster, path: str) -> tuple[int, str | None, bytes]:
    """(status, Retry-After, body) of a GET."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{c.port}{path}", timeout=30) as r:
            return int(r.status), r.headers.get("Retry-After"), r.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.headers.get("Retry-After"), exc.read()


def _stored_samples(store: Store, sid: int) -> set[tuple[float, str, Any, str]]:
    df = store.samples(sid)
    return {(t, ch, None if math.isnan(v) else v, q)
            for t, ch, v, q in zip(df["t_s"], df["channel"], df["value"], df["quality"],
                                   strict=True)}  # fmt: skip


def test_postgres_restarted_the_beds_hold_retry_and_lose_nothing() -> None:
    with running_cluster(CLINIC_TOML, workers=2) as c:
        store = Store(c.state()["db_url"])
        try:
            _check(c, store)
        except BaseException:
            print(c.logs())
            raise
        finally:
            store.close()


def _check(c: Cluster, store: Store) -> None:
    until("both chairs running, a few seconds stored",
          lambda: len(running_at(store)) == 2 and min(running_at(store).values()) >= 5)  # fmt: skip
    sids = sorted(running_at(store))
    until("health ok before the fault", lambda: c.health()["status"] == "ok")
    shown = {sid: _api_samples(c, sid) for sid in sids}
    assert all(shown.values())
    processes = {"runtime": c.pid("runtime"), "web": c.pid("web"), "workers": c.workers()}

    # --- PostgreSQL: fast shutdown (clients cut, a clean checkpoint) ----------------------
    assert c.stop_part("postgres") == "stopped"
    down_at = time.monotonic()
    pending: dict[str, set[int]] = {}  # what each held bed keeps, as health says

    def store_problem() -> dict[str, Any] | None:
        h = c.health()
        for p in h.get("problems", ()):
            if p["check"] == "bed" and p.get("state") == "held":
                pending.setdefault(p["bed"], set()).add(p["pending_rows"])
        found = next((p for p in h.get("problems", ()) if p["check"] == "store"), None)
        return found if found is not None and h["status"] == "degraded" else None

    problem = until("health saying the store refuses writes", store_problem)
    assert problem["message"].startswith("the store refused a write")
    history: list[tuple[str, int, str | None, bytes]] = []  # the web tier's reads meanwhile
    while time.monotonic() - down_at < DOWN_AT_LEAST_S or len(pending) < len(sids):
        store_problem()
        for path in ("/api/sessions", f"/api/sessions/{sids[0]}/samples"):
            history.append((path, *_answer(c, path)))
        assert time.monotonic() - down_at < FAULT_AFTER_S / 2, f"no bed held: {pending}"
        time.sleep(0.5)
    store_problem()
    # PostgreSQL is down all through the loop: every history read was a 503 in plain
    # words with Retry-After, none a 500; one warning line each in the log, no traceback
    assert history
    for path, status, retry_after, body in history:
        assert status == 503, (path, status, body[:300])
        assert json.loads(body) == {"error": "store_unavailable",
                                    "message": STORE_UNAVAILABLE_WORDS}, body[:300]  # fmt: skip
        assert int(retry_after or 0) > 0
    web_log = c.log("web", 2000)
    assert "Traceback" not in web_log, web_log[-3000:]
    assert web_log.count("GET /api/sessions: 503, ") >= 1, web_log[-3000:]
    # a held bed does not advance: the rows it keeps are one tick's, however long it holds
    assert all(len(rows) == 1 for rows in pending.values()), pending

    # --- PostgreSQL is back on its port ------------------------------------------------------
    c.start_part("postgres")
    # the acceptance figure is "history reads answer again within a few seconds" (the
    # pool's pre-ping drops the connections the restart cut); 15 s of slack because other
    # clusters share the 2 cores
    until("the web tier's history reads answering again",
          lambda: c.request("/api/sessions")[0] == 200, timeout_s=15)  # fmt: skip
    # the beds retry with backoff (at most 5 s apart), then health's store window closes
    until("health ok again", lambda: c.health()["status"] == "ok", timeout_s=60)
    at_restart = running_at(store)
    until("every session running and advancing again",
          lambda: all(running_at(store).get(sid, -1) >= at_restart.get(sid, 0) + 3
                      for sid in sids))  # fmt: skip

    # the runtime's publisher and the web workers lived through it
    assert processes == {"runtime": c.pid("runtime"), "web": c.pid("web"),
                         "workers": c.workers()}  # fmt: skip
    # no session faulted: all still running, no fault event
    assert sorted(running_at(store)) == sids
    for sid in sids:
        kinds = [e["kind"] for e in store.session_events(sid)]
        assert "fault" not in kinds, kinds
    assert "faulted" not in c.log("runtime", 400)

    # --- nothing lost, nothing twice; what was shown before is still there, unchanged --
    after = running_at(store)
    for sid in sids:
        assert store_gaps(store, sid, after[sid]) == []
        stored = _stored_samples(store, sid)
        assert shown[sid] <= stored, sorted(shown[sid] - stored)[:10]
