"""The web tier while the store cannot be read: 503 with plain words, never a 500.

The failure is real: another connection holds the SQLite file exclusively (as a backup
tool or a second program could), so every read the server makes waits out its busy
timeout and is refused. The API, a Dash callback, the page router's callback and a page
opened in a browser each answer 503 ``store_unavailable`` with Retry-After, the log gets
one warning line per refusal and no traceback, and once the file is free again the same
requests answer as before.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_lock import sqlite_locked

from vitalsdash.api import STORE_RETRY_AFTER_S, create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import STORE_UNAVAILABLE_WORDS, Store

pytestmark = pytest.mark.integration

LOCK_WAIT_S = 0.2
"""The store's busy timeout here: how long each refused read waits for the file."""
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Path, Runtime]]:
    path = tmp_path / "store.sqlite"
    store = Store(path, busy_timeout_s=LOCK_WAIT_S)
    beds = [BedConfig(id="chair1", scenario="uneventful-depression", seed=11)]
    rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    rt.advance(30)
    try:
        yield path, rt
    finally:
        store.close()


def _sid(rt: Runtime) -> int:
    return rt.beds["chair1"].session.session_id  # type: ignore[union-attr]


def test_api_reads_answer_503_while_the_store_is_locked_then_200(
    clinic: tuple[Path, Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    path, rt = clinic
    sid = _sid(rt)
    client = create_server(rt).test_client()
    paths = ["/api/sessions", f"/api/sessions/{sid}", f"/api/sessions/{sid}/samples",
             f"/api/sessions/{sid}/events", "/api/patients"]  # fmt: skip
    before = {p: client.get(p) for p in paths}
    assert all(r.status_code == 200 for r in before.values())
    caplog.clear()
    with caplog.at_level(logging.WARNING), sqlite_locked(path, rt.store):
        during = {p: client.get(p) for p in paths}
    for p, r in during.items():
        assert r.status_code == 503, (p, r.get_data(as_text=True)[:300])
        assert r.get_json() == {"error": "store_unavailable", "message": STORE_UNAVAILABLE_WORDS}
        assert r.headers["Retry-After"] == str(STORE_RETRY_AFTER_S)
        assert "locked" not in r.get_data(as_text=True)  # the driver's words stay in the log
    # one warning line per refused request, with the reason; no traceback
    assert [rec.levelno for rec in caplog.records] == [logging.WARNING] * len(paths)
    assert all(rec.exc_info is None for rec in caplog.records)
    assert all("database is locked" in rec.getMessage() for rec in caplog.records)
    after = {p: client.get(p) for p in paths}
    for p in paths:
        assert after[p].status_code == 200, p
        assert after[p].get_json() == before[p].get_json(), p


def test_an_action_while_the_store_is_locked_is_refused_then_done(
    clinic: tuple[Path, Runtime],
) -> None:
    """Actions write through the runtime, which has its own refusal (503 ``not_stored``:
    nothing was changed); once the file is free the same action is done."""
    path, rt = clinic
    client = create_server(rt).test_client()
    note = {"kind": "chart", "params": {"kind": "note", "text": "line checked"}}
    with sqlite_locked(path, rt.store):
        r = client.post("/api/beds/chair1/actions", json=note)
    assert r.status_code == 503, r.get_data(as_text=True)[:300]
    assert r.get_json()["error"] == "not_stored"
    assert client.post("/api/beds/chair1/actions", json=note).status_code == 200
    notes = [o for o in rt.store.observations(_sid(rt)) if o["kind"] == "note"]
    assert len(notes) == 1  # the refused one left nothing behind


# --- the dashboard: a Dash app is made once per process, so it runs in one of its own ----

DASH_SCRIPT = """
import json, logging, sqlite3, sys
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.app import create_app

logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                    format="LOG %(levelname)s %(name)s %(message)s")
path = sys.argv[1]
store = Store(path, busy_timeout_s={wait})
rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=[BedConfig(
    id="chair1", scenario="uneventful-depression", seed=11)]), store, Feed(store),
    clock=ManualClock())
rt.start()
rt.advance(30)
sid = rt.beds["chair1"].session.session_id
client = create_app(rt).server.test_client()

def callback(output, outputs, inputs, state=()):
    return client.post("/_dash-update-component", json={{
        "output": output, "outputs": outputs, "inputs": inputs, "state": list(state),
        "changedPropIds": [inputs[0]["id"] + "." + inputs[0]["property"]]}})

def requests():
    return {{
        "api": client.get("/api/sessions"),
        "timeline": callback(
            "review-timeline.figure", {{"id": "review-timeline", "property": "figure"}},
            [{{"id": "review-values", "property": "value", "value": "measured"}}],
            [{{"id": "review-sid", "property": "data", "value": sid}},
             {{"id": "review-xrange", "property": "data", "value": None}}]),
        "router": callback(
            ".._pages_content.children..._pages_store.data..",
            [{{"id": "_pages_content", "property": "children"}},
             {{"id": "_pages_store", "property": "data"}}],
            [{{"id": "_pages_location", "property": "pathname", "value": f"/review/{{sid}}"}},
             {{"id": "_pages_location", "property": "search", "value": ""}}]),
        "page": client.get(f"/review/{{sid}}", headers={{"Accept": {accept!r}}}),
    }}

def shown(r):
    text = r.get_data(as_text=True)
    return {{"status": r.status_code, "retry_after": r.headers.get("Retry-After"),
             "mimetype": r.mimetype, "body": text[:3000],
             "a_figure": '"review-timeline":{{"figure":{{"data":[{{' in text}}

out = {{"before": {{k: shown(r) for k, r in requests().items()}}}}
print("LOCKED", file=sys.stderr, flush=True)
store.close()
holder = sqlite3.connect(path, isolation_level=None, timeout=30)
holder.execute("PRAGMA locking_mode=EXCLUSIVE")
holder.execute("BEGIN EXCLUSIVE")
holder.execute("DELETE FROM schema_meta WHERE key = 'no such key'")
out["during"] = {{k: shown(r) for k, r in requests().items()}}
holder.close()
print("FREE", file=sys.stderr, flush=True)
out["after"] = {{k: shown(r) for k, r in requests().items()}}
print(json.dumps(out))
"""


def test_dash_callbacks_and_pages_answer_503_while_the_store_is_locked(tmp_path: Path) -> None:
    script = textwrap.dedent(DASH_SCRIPT).format(wait=LOCK_WAIT_S, accept=BROWSER_ACCEPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "dash.sqlite")],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path,
                          env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    names = ("api", "timeline", "router", "page")
    assert all(out["before"][k]["status"] == 200 for k in names), out["before"]

    during = out["during"]
    for k in names:
        assert during[k]["status"] == 503, (k, during[k]["body"][:300])
        assert during[k]["retry_after"] == "5"
    for k in ("api", "timeline", "router"):  # the client's own requests: the JSON error
        assert json.loads(during[k]["body"]) == {"error": "store_unavailable",
                                                 "message": STORE_UNAVAILABLE_WORDS}  # fmt: skip
    # a page opened in a browser: the same words as a page that tries again by itself
    assert during["page"]["mimetype"] == "text/html"
    assert STORE_UNAVAILABLE_WORDS in during["page"]["body"]
    assert 'http-equiv="refresh"' in during["page"]["body"]

    # the log: one warning line per refused request while locked, and no traceback at all
    log = done.stderr
    assert "Traceback" not in log, log[-3000:]
    locked_part = log.split("LOCKED", 1)[1].split("FREE", 1)[0]
    lines = [ln for ln in locked_part.splitlines() if ln.startswith("LOG ")]
    assert len(lines) == len(names), lines
    assert all(ln.startswith("LOG WARNING vitalsdash.api ") and " 503, " in ln for ln in lines)

    # the file free again: everything answers as before
    assert {k: out["after"][k]["status"] for k in names} == dict.fromkeys(names, 200)
    assert json.loads(out["after"]["api"]["body"]) == json.loads(out["before"]["api"]["body"])
    assert out["after"]["timeline"]["a_figure"]


def test_a_token_while_the_store_takes_no_writes_is_refused_then_given(
    clinic: tuple[Path, Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    """Signing in for an API token reads the account, then stores the token. While
    another program holds the file's write lock (reads still work) the token cannot be
    stored: 503 with the words for a change not saved, and no token is handed out."""
    import sqlite3

    from vitalsdash.access import hash_password
    from vitalsdash.server._serve import install_access
    from vitalsdash.store import STORE_UNWRITABLE_WORDS

    path, rt = clinic
    rt.store.add_user("Ines", "instructor", hash_password("a long passphrase"))
    app = create_server(rt)
    install_access(app, rt, require_login=True)
    client = app.test_client()
    body = {"name": "Ines", "password": "a long passphrase"}
    writer = sqlite3.connect(path, isolation_level=None, timeout=30)
    caplog.clear()
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock; readers go on (WAL)
        with caplog.at_level(logging.WARNING):
            refused = client.post("/api/token", json=body)
    finally:
        writer.close()
    assert refused.status_code == 503, refused.get_data(as_text=True)[:300]
    assert refused.get_json() == {"error": "store_unavailable",
                                  "message": STORE_UNWRITABLE_WORDS}  # fmt: skip
    # the sign-in limiter writes Retry-After again from ours (whole seconds, rounded down)
    assert 0 < int(refused.headers["Retry-After"]) <= STORE_RETRY_AFTER_S
    assert all(rec.exc_info is None for rec in caplog.records)  # no traceback
    assert any("cannot be written" in rec.getMessage() for rec in caplog.records)
    given = client.post("/api/token", json=body)
    assert given.status_code == 200
    token = given.get_json()["token"]
    me = client.get("/api/sessions", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200  # the token handed out is the one stored
