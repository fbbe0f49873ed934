"""The HTTP edge against a real ``vitalsdash run`` on 127.0.0.1: slow and idle connections,
foreign Host names, framing headers, API errors as JSON, out-of-range ids, the review
page's callbacks with ids no page sends, bounded report downloads; and the command line's
one-line errors for bad ids and databases."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from served import Served, free_port, vitalsdash
from werkzeug.exceptions import HTTPException

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig
from vitalsdash.runtime import Runtime
from vitalsdash.server._guard import HostGuard, allowed_host_names
from vitalsdash.store import Store

pytestmark = pytest.mark.integration
TIMEOUT_S = 60.0
"""For anything the server must do by itself (generous: a busy 2-core machine)."""
RECEIVE_TIMEOUT_S = 2
IDLE_TIMEOUT_S = 3
MAX_CONNECTIONS = 40
FOREIGN = "rebind.example:8731"
BIG_IDS = ("9223372036854775808", "99999999999999999999", str(10**30))
CLINIC_TOML = f"""
[clinic]
name = "Edge test clinic"
speed = 120
live_updates = "push"
allowed_hosts = ["ward.example.org"]
http_max_connections = {MAX_CONNECTIONS}
http_receive_timeout_s = {RECEIVE_TIMEOUT_S}
http_idle_timeout_s = {IDLE_TIMEOUT_S}

[[beds]]
id = "chair1"
scenario = "hypertensive-responder"
seed = 3
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``vitalsdash run`` (the dashboard) in a child process."""
    tmp = tmp_path_factory.mktemp("edge")
    (tmp / "clinic.toml").write_text(CLINIC_TOML)
    srv = Served(tmp, "--db", str(tmp / "store.sqlite"), "--clinic", str(tmp / "clinic.toml"),
                 timeout_s=TIMEOUT_S, poll_s=0.2, http_timeout_s=TIMEOUT_S)  # fmt: skip
    try:
        srv.start()
        srv.wait_for("the server to start",
                     lambda: srv.request("GET", "/api/health", timeout=5)[0] == 200)  # fmt: skip
        yield srv
    finally:
        srv.stop()


def session_id(server: Served) -> int:
    _, beds = server.json("GET", "/api/beds")
    return int(beds[0]["session"]["id"])


# --- connections ---------------------------------------------------------------------------


class Slowloris:
    """``n`` connections, each sending a request's headers one byte at a time and opening
    again when the server closes it (as the attack does)."""

    HEAD = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4000

    def __init__(self, port: int, n: int) -> None:
        self.port = port
        self.socks: list[tuple[socket.socket, int] | None] = [None] * n
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> tuple[socket.socket, int] | None:
        try:
            return socket.create_connection(("127.0.0.1", self.port), timeout=5), 0
        except OSError:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, entry in enumerate(self.socks):
                if entry is None:
                    self.socks[i] = self._open()
                    continue
                sock, sent = entry
                try:
                    sock.sendall(self.HEAD[sent : sent + 1])
                    self.socks[i] = (sock, sent + 1)
                except OSError:  # the server closed it
                    self.closed_by_server += 1
                    sock.close()
                    self.socks[i] = self._open()
            self._stop.wait(0.5)

    def __enter__(self) -> Slowloris:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for entry in self.socks:
            if entry is not None:
                entry[0].close()


def test_slowloris_does_not_stall_the_server(server: Served):
    """110 connections trickling header bytes (more than the connection limit): pages,
    the API and callbacks still answer, and the trickling connections are closed."""
    with Slowloris(server.port, 110) as attack:
        time.sleep(2 * RECEIVE_TIMEOUT_S)  # every connection slot taken by now
        for path in ("/api/health", "/", "/api/beds"):
            status, _, _ = server.request("GET", path)
            assert status == 200, path
        deadline = time.monotonic() + TIMEOUT_S
        while attack.closed_by_server < MAX_CONNECTIONS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert attack.closed_by_server >= MAX_CONNECTIONS
        status, _, _ = server.request("GET", "/api/health")
        assert status == 200


def test_an_idle_connection_is_closed(server: Served):
    """After a complete request on a kept-alive connection, and with no request at all."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT_S) as kept:
        kept.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            answer += kept.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        assert kept.recv(65536) == b""  # closed by the server, well before TIMEOUT_S
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT_S) as silent:
        assert silent.recv(65536) == b""


def test_a_push_stream_outlives_the_idle_timeout(server: Served):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT_S)
    try:
        conn.request("GET", "/_vitals/bed/chair1/stream", headers={"Host": "localhost"})
        r = conn.getresponse()
        assert r.status == 200
        assert r.headers["X-Frame-Options"] == "DENY"
        start = time.monotonic()
        messages = 0
        while time.monotonic() - start < 3 * IDLE_TIMEOUT_S:
            line = r.fp.readline()
            assert line, "the stream was closed"
            messages += line.startswith(b"data: ")
        assert messages >= 2
    finally:
        conn.close()


# --- Host names and headers ----------------------------------------------------------------


def test_a_foreign_host_is_refused_on_api_and_pages(server: Served):
    status, body = server.json("GET", "/api/beds", headers={"Host": FOREIGN})
    assert status == 421
    assert body["error"] == "misdirected_request"
    assert "rebind.example" in body["message"]
    status, headers, page = server.request("GET", "/review", headers={"Host": FOREIGN})
    assert status == 421
    assert headers.get_content_type() == "text/plain"
    assert b"rebind.example" in page
    assert b"vitalsdash" not in page.lower()  # nothing of the app


def test_a_foreign_host_cannot_act(server: Served):
    status, _ = server.json("POST", "/api/beds/chair1/actions", {"kind": "pause_pump"},
                            headers={"Host": FOREIGN})  # fmt: skip
    assert status == 421
    _, events = server.json("GET", f"/api/sessions/{session_id(server)}/events")
    assert [a for a in events["actions"] if a["kind"] == "pause_pump"] == []


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:{port}", "127.0.0.1", "[::1]:{port}", "ward.example.org"]
)
def test_our_host_names_are_answered(server: Served, host: str):
    status, _, _ = server.request("GET", "/api/health", headers={"Host": host.format(port=1)})
    assert status == 200


LOOPBACK_HOST = re.compile(r"(127\.0\.0\.1|localhost|\[::1\])\.?(:\d+)?")


@settings(max_examples=300, deadline=None)
@given(
    host=st.one_of(
        st.text(max_size=40),
        st.from_regex(r"\A[a-zA-Z0-9.:\[\]-]{0,30}\Z"),
        st.sampled_from(["localhost", "127.0.0.1:80", "[::1]", "LocalHost.:1"]).map(
            lambda h: h + "x" if len(h) % 2 else h
        ),
    ),
    path=st.sampled_from(["/api/beds", "/", "/_dash-update-component"]),
)
def test_any_host_header_is_ours_or_refused(host: str, path: str):
    """Answered only for a loopback name (any port, any case, a final dot); otherwise a
    421 the app never saw, JSON under /api; the framing headers either way."""
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("X-Frame-Options", "SAMEORIGIN")])
        return [b"ok"]

    got: dict[str, Any] = {}
    guard = HostGuard(app, allowed_host_names("127.0.0.1"))
    body = b"".join(guard({"HTTP_HOST": host, "PATH_INFO": path},
                          lambda status, headers, exc_info=None: got.update(
                              status=status, headers=dict(headers))))  # fmt: skip
    ours = LOOPBACK_HOST.fullmatch(host.strip().lower()) is not None
    assert got["status"] == ("200 OK" if ours else "421 Misdirected Request")
    assert seen == ([path] if ours else [])
    assert got["headers"]["X-Frame-Options"] == "DENY"
    if not ours and path.startswith("/api/"):
        assert json.loads(body)["error"] == "misdirected_request"


@pytest.mark.parametrize(
    "path", ["/", "/review", "/assets/console.css", "/api/health", "/api/nope", "/_dash-layout"]
)
def test_every_response_forbids_framing(server: Served, path: str):
    _, headers, _ = server.request("GET", path)
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


# --- API errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/nope", "/api/beds/chair1/nope", "/api", "/api/"])
def test_an_unknown_api_path_is_a_json_404(server: Served, path: str):
    status, body = server.json("GET", path)
    assert status == 404
    assert body["error"] == "not_found"


def test_a_wrong_method_on_an_api_path_is_a_json_405(server: Served):
    status, headers, data = server.request("POST", "/api/health", {"kind": "x"})
    assert status == 405
    assert json.loads(data)["error"] == "method_not_allowed"
    assert "GET" in headers["Allow"]


@pytest.mark.parametrize("big", BIG_IDS)
@pytest.mark.parametrize("suffix", ["", "/samples", "/events"])
def test_out_of_range_session_ids_are_404(server: Served, big: str, suffix: str):
    status, body = server.json("GET", f"/api/sessions/{big}{suffix}")
    assert status == 404
    assert body["error"] == "unknown_session"


def test_an_unexpected_error_is_a_json_500_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    store = Store(tmp_path / "s.sqlite")
    rt = Runtime(ClinicConfig(beds=[BedConfig(id="b1", scenario="uneventful-depression")]),
                 store, clock=ManualClock())  # fmt: skip
    rt.start()

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("disk on fire")

    rt.store.sessions = broken  # type: ignore[method-assign]
    client = create_server(rt).test_client()
    r = client.get("/api/sessions")
    assert r.status_code == 500
    assert r.get_json()["error"] == "internal_error"
    assert "disk on fire" not in r.get_data(as_text=True)
    assert any("disk on fire" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)
    store.close()


# --- the review page -----------------------------------------------------------------------


def dash_callback(
    server: Served, output: str, inputs: list[dict[str, Any]], state: list[dict[str, Any]]
) -> tuple[int, http.client.HTTPMessage, bytes]:
    oid, prop = output.rsplit(".", 1)
    body = {
        "output": output,
        "outputs": {"id": oid, "property": prop},
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
    }
    return server.request("POST", "/_dash-update-component", body)


def timeline_callback(server: Served, sid: Any):
    return dash_callback(
        server,
        "review-timeline.figure",
        [{"id": "review-values", "property": "value", "value": "true"}],
        [
            {"id": "review-sid", "property": "data", "value": sid},
            {"id": "review-xrange", "property": "data", "value": [0, 10**400]},
        ],
    )


def report_callback(server: Served, sid: Any):
    return dash_callback(
        server,
        "review-report-download.data",
        [{"id": "review-report-btn", "property": "n_clicks", "value": 1}],
        [{"id": "review-sid", "property": "data", "value": sid}],
    )


def table_callback(server: Served, sid: Any, table: str = "samples", fmt: str = "csv"):
    button = {"type": "review-dl", "table": table, "fmt": fmt}
    changed = json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"
    body = {
        "output": "review-download.data",
        "outputs": {"id": "review-download", "property": "data"},
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "review-sid", "property": "data", "value": sid}],
        "changedPropIds": [changed],
    }
    return server.request("POST", "/_dash-update-component", body)


def notice(data: bytes) -> str:
    side = json.loads(data).get("sideUpdate", {})
    return side["review-notice"]["children"]


@pytest.mark.parametrize("sid", ["abc", 10**30, "99999999999999999999", -1, None, 1.5, 424242])
@pytest.mark.parametrize("call", [timeline_callback, report_callback, table_callback])
def test_review_callbacks_with_bad_ids_say_no_such_session(server: Served, call, sid):
    status, _, data = call(server, sid)
    assert status == 200, data[:300]
    assert "no session" in notice(data)


def test_review_callbacks_work_with_a_real_session(server: Served):
    sid = session_id(server)
    status, _, data = timeline_callback(server, sid)
    assert status == 200
    assert json.loads(data)["response"]["review-timeline"]["figure"]["data"]
    status, _, data = table_callback(server, sid)
    assert status == 200
    assert json.loads(data)["response"]["review-download"]["data"]["filename"].endswith(".csv")


@pytest.mark.parametrize("page", ["abc", "99999999999999999999", str(10**30), "-1", "0"])
def test_the_review_page_of_a_bad_id_says_so(server: Served, page: str):
    status, _, _ = server.request("GET", f"/review/{page}")
    assert status == 404  # the shell, answered 404; the page router's callback fills it in
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": f"/review/{page}"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"],
    }  # fmt: skip
    status, _, data = server.request("POST", "/_dash-update-component", body)
    assert status == 200
    text = json.dumps(json.loads(data)["response"]["_pages_content"])
    assert "Nothing to review" in text
    assert "no session" in text.lower()


def test_concurrent_report_downloads_are_bounded(server: Served):
    """Twelve report downloads at once: some are built, the rest refused at once with
    503, Retry-After and a message; the API keeps answering."""
    sid = session_id(server)
    gate = threading.Barrier(12)
    results: list[tuple[int, http.client.HTTPMessage, bytes]] = []

    def download() -> None:
        gate.wait(timeout=TIMEOUT_S)
        results.append(report_callback(server, sid))

    threads = [threading.Thread(target=download) for _ in range(12)]
    for t in threads:
        t.start()
    status, _, _ = server.request("GET", "/api/beds")
    assert status == 200
    for t in threads:
        t.join(timeout=3 * TIMEOUT_S)
    statuses = sorted(r[0] for r in results)
    assert len(results) == 12
    assert set(statuses) == {200, 503}, statuses
    for status, headers, data in results:
        if status == 200:
            assert json.loads(data)["response"]["review-report-download"]["data"]["content"]
        else:
            assert int(headers["Retry-After"]) > 0
            assert json.loads(data)["error"] == "busy"
            assert "try again" in json.loads(data)["message"]


def test_a_render_beyond_the_bound_is_refused_at_once():
    """The bound itself, without timing: with every slot held, the next download is a 503."""
    from vitalsdash.ui.review import page as review_page

    with ExitStack() as held:
        for _ in range(review_page.RENDER_SLOTS.limit):
            held.enter_context(review_page.RENDER_SLOTS.slot())
        with pytest.raises(HTTPException) as refused:
            review_page.report_for(1, 1)
    response = refused.value.get_response()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(review_page.RENDER_SLOTS.retry_after_s)
    assert json.loads(response.get_data())["error"] == "busy"


# --- the command line ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def db_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli")
    Store(tmp / "empty.sqlite").close()
    corrupt = tmp / "corrupt.sqlite"
    corrupt.write_bytes(bytes(range(256)) * 40)
    return {"empty": tmp / "empty.sqlite", "corrupt": corrupt, "tmp": tmp}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(vitalsdash(*args), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["report", "99999999999999999999", "--out", "{tmp}/r.html", "--db", "{empty}"],
         "no session 99999999999999999999"),
        (["export", "99999999999999999999", "--out", "{tmp}/x", "--db", "{empty}"],
         "no session 99999999999999999999"),
        (["export", "9223372036854775807", "--out", "{tmp}/x", "--db", "{empty}"],
         "9223372036854775807"),
        (["report", "3", "--out", "{tmp}/r.html", "--db", "mysql://u:secret@localhost/clinic"],
         "mysql databases are not supported"),
        (["run", "--headless", "--port", "{port}", "--db", "mysql://u:secret@localhost/clinic"],
         "mysql databases are not supported"),
        (["run", "--headless", "--port", "{port}", "--db", "{corrupt}"],
         "file is not a database"),
        (["export", "1", "--out", "{tmp}/x", "--db", "{corrupt}"], "file is not a database"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(db_files: dict[str, Path], args: list[str], says: str):
    done = run_cli(*(a.format(port=free_port(), **db_files) for a in args))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    assert "secret" not in done.stderr
