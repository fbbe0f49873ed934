"""The class page and the results pages, their callbacks and CSV routes, called as plain
functions (no browser), for the open demo, a logged-in instructor, a trainee and nobody."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from class_helpers import ClassRun, build_class
from flask import Flask

from vitalsdash import classroom
from vitalsdash.access import CLASS_CODE_ALPHABET, OPEN_DEMO, Principal, Role
from vitalsdash.runtime import Runtime
from vitalsdash.ui import _runtime, not_found
from vitalsdash.ui.classroom import _who, downloads
from vitalsdash.ui.classroom import code as class_code
from vitalsdash.ui.classroom import page as class_page
from vitalsdash.ui.classroom import results as class_results

pytestmark = pytest.mark.unit

ALPHABET = set(CLASS_CODE_ALPHABET)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassRun]:
    folder = tmp_path_factory.mktemp("class-ui")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # the short protocol is found by name while sessions are judged
        classroom.clear_cache()
        built = build_class(folder)
        yield built
        built.store.close()


@pytest.fixture
def app_runtime(run: ClassRun, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The runtime the pages see; the open demo until a test logs someone in."""
    monkeypatch.setattr(_runtime, "_runtime", run.rt)
    monkeypatch.setattr(_who, "current_principal", lambda: OPEN_DEMO)
    return run.rt


def login(monkeypatch: pytest.MonkeyPatch, principal: Any) -> None:
    """The server's ``current_principal`` answers ``principal`` (None: nobody)."""
    monkeypatch.setattr(_who, "current_principal", lambda: principal)


def as_(run: ClassRun, who: str) -> Principal:
    p = run.people[who]
    return Principal(p.user_id, p.name, Role.INSTRUCTOR if who == "ines" else Role.TRAINEE)


def _texts(component: Any) -> list[str]:
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


def _all(component: Any) -> Iterator[Any]:
    """Every component in a tree."""
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from _all(c)
        return
    if component is None or isinstance(component, (str, int, float)):
        return
    yield component
    yield from _all(getattr(component, "children", None))


def _find(component: Any, cid: Any) -> Any:
    return next((c for c in _all(component) if getattr(c, "id", None) == cid), None)


def _hrefs(component: Any) -> list[str]:
    return [c.href for c in _all(component) if getattr(c, "href", None)]


def _text(component: Any) -> str:
    return " ".join(_texts(component))


def _client(run: ClassRun) -> Any:
    server = Flask("class-test")
    downloads.install(server, run.rt)
    return server.test_client()


def _rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # a spreadsheet reads the names right
    return list(csv.reader(io.StringIO(text[1:])))


# -- the class page ----------------------------------------------------------------------


def test_the_open_demo_sees_the_class_page(app_runtime: Runtime, run: ClassRun) -> None:
    page = class_page.class_layout()
    assert _find(page, "class-code-card") is not None
    assert _text(_find(page, "class-code-value")) == "No code"
    chairs = _find(page, "class-chairs")
    assert [_text(_find(chairs, f"class-chair-{b}")) for b in ("c1", "c2")] == [
        "Chair 1", "Chair 2"]  # fmt: skip
    select = _find(page, {"type": "class-chair", "bed": "c1"})
    assert select.value == str(run.people["ana"].user_id)
    assert [o["label"] for o in select.options] == ["Nobody", "Ana Lima", "Ben Ortiz", "Cy Park"]
    table = _find(page, "class-table")
    ids = {p: run.people[p].user_id for p in ("ana", "ben", "cy")}
    assert [f"/results/{ids[p]}" for p in ("ana", "ben", "cy")] == [
        h for h in _hrefs(table) if h.startswith("/results/")]  # fmt: skip
    ben = _find(table, f"class-trainee-{ids['ben']}")
    assert "More responses met (0 of 1 → 1 of 1); fewer wrong decisions" in _texts(ben)
    assert "0 of 1 → 1 of 1" in _texts(ben)
    assert "Ines Vale" not in _text(table)  # the instructor is no trainee
    assert _find(page, "class-csv").href == "/class/results.csv"


def test_only_the_instructor_sees_the_class_page(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(monkeypatch, as_(run, "ines"))
    assert _find(class_page.class_layout(), "class-table") is not None
    for who in (as_(run, "ana"), Principal(99, "Otto", Role.OBSERVER), None):
        login(monkeypatch, who)
        page = class_page.class_layout()
        assert _find(page, "class-table") is None
        assert _text(_find(page, "class-refused")) == class_page.ONLY_INSTRUCTOR


def test_an_empty_class_says_how_trainees_join(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from class_helpers import make_clinic

    from vitalsdash.config import BedConfig

    monkeypatch.chdir(tmp_path)
    empty = make_clinic(tmp_path, [BedConfig(id="c1", scenario="uneventful-depression",
                                             autostart=False)])  # fmt: skip
    try:
        monkeypatch.setattr(_runtime, "_runtime", empty.rt)
        monkeypatch.setattr(_who, "current_principal", lambda: OPEN_DEMO)
        page = class_page.class_layout()
        assert "No trainee yet" in _text(_find(page, "class-table"))
        assert "No trainee has joined yet" in _text(_find(page, "class-chairs-note"))
        assert [o["label"] for o in _find(page, {"type": "class-chair", "bed": "c1"}).options] == [
            "Nobody"]  # fmt: skip
        rows = _rows(_client(empty).get("/class/results.csv").data)
        assert rows == [list(classroom.CLASS_HEADERS)]
    finally:
        empty.store.close()


# -- the class code ----------------------------------------------------------------------


def test_a_new_class_code_is_shown_big_and_valid_for_12_hours(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(monkeypatch, as_(run, "ines"))
    assert class_page.new_code(None) is class_page.no_update
    body = class_page.new_code(1)
    code = run.store.class_code(run.rt.wall())
    assert code is not None
    assert len(code["code"]) == 6
    assert set(code["code"]) <= ALPHABET
    shown = _text(_find(body, "class-code-value"))
    assert shown.replace(" ", "") == code["code"]
    active = class_code.current(run.store, run.rt.wall())
    assert active is not None
    assert active["expires_at"] - run.rt.wall() == timedelta(hours=12)
    assert "Valid until" in _text(_find(body, "class-code-until"))
    assert _text(_find(class_page.class_layout(), "class-code-value")) == shown
    again = class_page.new_code(2)  # a new draw replaces it (the same six: 1 in 887 million)
    assert _text(_find(again, "class-code-value")) != shown
    assert run.store.class_code(run.rt.wall())["code"] == _text(
        _find(again, "class-code-value")).replace(" ", "")  # fmt: skip
    # a trainee cannot make one
    login(monkeypatch, as_(run, "ana"))
    before = run.store.class_code(run.rt.wall())
    refused = class_page.new_code(3)
    assert class_page.ONLY_INSTRUCTOR in _text(refused)
    assert run.store.class_code(run.rt.wall()) == before
    assert class_code.current(run.store, run.rt.wall() + timedelta(hours=13)) is None


# -- chair assignment ----------------------------------------------------------------------


def test_a_chair_is_assigned_from_its_dropdown(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ana, ben = run.store, run.people["ana"], run.people["ben"]
    trigger = {"type": "class-chair", "bed": "c1"}
    login(monkeypatch, as_(run, "ines"))
    try:
        assert class_page.save_chair(trigger, str(ben.user_id)) == (
            "Chair 1: assigned to Ben Ortiz.", "class-msg review-ok")  # fmt: skip
        assert store.chair_user("c1") == (ben.user_id, "Ben Ortiz")
        assert class_page.save_chair(trigger, "") == ("Chair 1: nobody assigned.",
                                                      "class-msg review-ok")  # fmt: skip
        assert store.chair_user("c1") is None
        for bad_trigger, value, words in [
            ({"type": "class-chair", "bed": "c9"}, str(ben.user_id), "There is no chair 'c9'."),
            (trigger, str(run.people["ines"].user_id), "no longer in the class"),
            (trigger, "4242", "no longer in the class"),
            (trigger, "abc", "Choose a trainee from the list."),
            (trigger, True, "Choose a trainee from the list."),
        ]:
            message, cls = class_page.save_chair(bad_trigger, value)
            assert words in message
            assert cls == "class-msg review-bad"
        assert store.chair_user("c1") is None
        login(monkeypatch, as_(run, "ben"))  # a trainee cannot take a chair
        assert class_page.save_chair(trigger, str(ben.user_id))[0] == class_page.ONLY_INSTRUCTOR
        assert store.chair_user("c1") is None
    finally:
        store.assign_chair("c1", ana.user_id, None, run.rt.wall())


# -- the results pages -----------------------------------------------------------------


def test_the_instructor_opens_a_trainees_results(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(monkeypatch, as_(run, "ines"))
    ben = run.people["ben"]
    page = class_page.results_layout(str(ben.user_id))
    assert _text(_find(page, "results-title")) == "Results of Ben Ortiz"
    table = _find(page, "results-table")
    heads = [_text(c) for c in _all(table) if type(c).__name__ == "Th"]
    assert "Scenario" in heads
    b1, b2 = run.sessions["b1"], run.sessions["b2"]
    assert f"/review/{b1}" in _hrefs(table)
    row = _find(table, f"results-session-{b1}")
    assert "Uncontrolled hypertension" in _texts(row)
    assert "wrong" in _texts(row)
    assert "0 of 1" in _texts(row)
    assert _find(page, "results-csv").href == f"/results/{ben.user_id}.csv"
    assert "/class" in _hrefs(page)
    fig = _find(page, "results-chart").figure
    assert [t["name"] for t in fig["data"]] == ["Expected responses met (%)",
                                                "Time to acknowledge (s)"]  # fmt: skip
    assert list(fig["data"][0]["x"]) == [1, 2]
    assert list(fig["data"][0]["y"]) == [0.0, 100.0]
    newest_first = [c.id for c in _all(table) if str(getattr(c, "id", "")).startswith("results-s")]
    assert newest_first == [f"results-session-{b2}", f"results-session-{b1}"]
    assert "more responses met" in _text(_find(page, "results-trend"))


@pytest.mark.parametrize(("ref", "words"), [("4242", "There is no trainee 4242"),
                                            ("abc", "There is no trainee 'abc'"),
                                            ("", "There is no trainee")])  # fmt: skip
def test_an_address_naming_no_trainee_says_so(app_runtime: Runtime, ref: str, words: str) -> None:
    page = class_page.results_layout(ref)
    assert words in _text(_find(page, "results-error"))


def test_a_trainee_sees_only_their_own_results(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, ben = run.people["ana"], run.people["ben"]
    login(monkeypatch, as_(run, "ana"))
    mine = class_page.results_layout("me")
    assert _text(_find(mine, "results-title")) == "Results of Ana Lima"
    table = _find(mine, "results-table")
    heads = [_text(c) for c in _all(table) if type(c).__name__ == "Th"]
    assert "Scenario" not in heads  # the scenario is the instructor's to know
    assert "Uneventful depression session" not in _text(mine)
    assert not [h for h in _hrefs(mine) if h.startswith("/review/")]
    assert _find(mine, f"results-session-{run.sessions['a1']}") is not None
    assert _find(mine, f"results-session-{run.sessions['b1']}") is None
    assert _find(mine, "results-csv").href == "/results/me.csv"
    for other in (str(ben.user_id), str(ana.user_id)):
        page = class_page.results_layout(other)
        assert _find(page, "results-table") is None
        assert _text(_find(page, "class-refused")) == class_page.ONLY_INSTRUCTOR


def test_results_me_for_the_open_demo_the_instructor_and_nobody(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = class_page.results_layout("me")
    assert _text(_find(demo, "results-open-demo")) == class_page.OPEN_DEMO_ME
    assert _find(demo, "results-open-demo-link").href == "/class"
    login(monkeypatch, as_(run, "ines"))
    assert _find(class_page.results_layout("me"), "results-open-demo-link").href == "/class"
    login(monkeypatch, None)
    nobody = class_page.results_layout("me")
    assert _text(_find(nobody, "class-refused")) == class_page.NOT_LOGGED_IN
    assert _find(class_page.results_layout(str(run.people["ana"].user_id)), "results-table") is None


def test_a_trainee_with_no_session_yet(app_runtime: Runtime, run: ClassRun,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    login(monkeypatch, as_(run, "cy"))
    page = class_page.results_layout("me")
    assert _text(_find(page, "results-table")) == "No session yet."
    assert "once a session has ended" in _text(_find(page, "results-chart"))
    assert _text(_find(page, "results-card-done")) == "0"


def test_the_chart_skips_sessions_not_ended() -> None:
    blank = classroom.Decision("none", "")
    r = classroom.SessionResult(1, None, "", "Chair 1", "running", 60.0, 4.0, 1, 1, 0, 0,
                                blank, blank)  # fmt: skip
    fig = class_results.figure([r])
    assert all(list(t["x"]) == [] for t in fig["data"])


# -- the downloads -------------------------------------------------------------------------


def test_the_instructor_downloads_the_class_and_a_trainees_results(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(monkeypatch, as_(run, "ines"))
    client, ben = _client(run), run.people["ben"]
    got = client.get("/class/results.csv")
    assert got.status_code == 200
    assert got.mimetype == "text/csv"
    assert got.headers["Content-Disposition"] == 'attachment; filename="class-results.csv"'
    assert got.headers["Cache-Control"] == "no-store"
    rows = _rows(got.data)
    assert [r[0] for r in rows] == ["Trainee", "Ana Lima", "Ben Ortiz", "Cy Park"]
    got = client.get(f"/results/{ben.user_id}.csv")
    assert got.status_code == 200
    rows = _rows(got.data)
    assert rows[0] == list(classroom.RESULT_HEADERS)
    assert [r[1] for r in rows[1:]] == [str(run.sessions["b1"]), str(run.sessions["b2"])]
    assert rows[1][3] == "Uncontrolled hypertension"
    assert client.get("/results/4242.csv").status_code == 404
    assert client.get("/results/abc.csv").status_code == 404
    assert client.get("/results/me.csv").status_code == 403  # the instructor has none


def test_a_trainee_downloads_only_their_own(
    app_runtime: Runtime, run: ClassRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(monkeypatch, as_(run, "ana"))
    client = _client(run)
    assert client.get("/class/results.csv").status_code == 403
    assert client.get(f"/results/{run.people['ben'].user_id}.csv").status_code == 403
    assert client.get(f"/results/{run.people['ana'].user_id}.csv").status_code == 403
    got = client.get("/results/me.csv")
    assert got.status_code == 200
    rows = _rows(got.data)
    assert "Scenario" not in rows[0]
    assert {r[0] for r in rows[1:]} == {"Ana Lima"}
    assert [r[1] for r in rows[1:]] == [str(run.sessions["a1"]), str(run.sessions["a2"])]
    login(monkeypatch, None)
    for path in ("/class/results.csv", "/results/me.csv", "/results/1.csv"):
        assert client.get(path).status_code == 403, path


def test_the_open_demo_downloads_the_class_but_has_no_me(app_runtime: Runtime,
                                                        run: ClassRun) -> None:  # fmt: skip
    client = _client(run)
    assert client.get("/class/results.csv").status_code == 200
    assert client.get(f"/results/{run.people['ana'].user_id}.csv").status_code == 200
    got = client.get("/results/me.csv")
    assert got.status_code == 404
    assert got.data.decode().strip() == class_page.OPEN_DEMO_ME


def test_a_trainee_name_that_looks_like_a_formula_downloads_as_text(
    app_runtime: Runtime, run: ClassRun
) -> None:
    uid = run.store.add_user('=HYPERLINK("http://evil","x")', "trainee")
    try:
        rows = _rows(_client(run).get("/class/results.csv").data)
        assert [r[0] for r in rows if "HYPERLINK" in r[0]] == ['\'=HYPERLINK("http://evil","x")']
        rows = _rows(_client(run).get(f"/results/{uid}.csv").data)
        assert rows == [list(classroom.RESULT_HEADERS)]
    finally:
        assert run.store.remove_user('=HYPERLINK("http://evil","x")')


# -- which addresses are pages -----------------------------------------------------------


def test_results_addresses_are_pages_when_they_name_a_trainee(run: ClassRun) -> None:
    ana = run.people["ana"].user_id
    template = "results/<user_id>"
    assert not_found._match(template, f"results/{ana}") == {"user_id": str(ana)}
    exists = not_found._exists(run.rt)["vitalsdash.ui.pages.classroom_results"]
    assert exists({"user_id": "me"})
    assert exists({"user_id": str(ana)})
    assert not exists({"user_id": "4242"})
    assert not exists({"user_id": "abc"})


@pytest.mark.integration
def test_the_app_serves_the_pages_and_the_downloads(tmp_path: Any) -> None:
    """In a process of its own (an app is made once per process): the pages register, the
    CSV routes win over Dash's catch-all, and an unknown trainee's page answers 404."""
    script = textwrap.dedent(
        f"""
        from vitalsdash.clock import ManualClock
        from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
        from vitalsdash.feed import Feed
        from vitalsdash.runtime import Runtime
        from vitalsdash.store import Store
        from vitalsdash.ui.app import create_app
        import dash

        store = Store({str(tmp_path / "app.sqlite")!r})
        uid = store.add_user("Ana Lima", "trainee")
        rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=[BedConfig(
            id="c1", scenario="uneventful-depression", autostart=False)]), store,
            Feed(store), clock=ManualClock())
        rt.start()
        client = create_app(rt).server.test_client()
        paths = {{p["path"] for p in dash.page_registry.values()}}
        assert "/class" in paths, paths
        for path, status, kind in [
            ("/class", 200, "text/html"), ("/results/me", 200, "text/html"),
            (f"/results/{{uid}}", 200, "text/html"), ("/results/4242", 404, "text/html"),
            ("/class/results.csv", 200, "text/csv"), (f"/results/{{uid}}.csv", 200, "text/csv"),
            ("/results/me.csv", 404, "text/plain"),
        ]:
            got = client.get(path)
            assert (got.status_code, got.mimetype) == (status, kind), (path, got.status_code)
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=240, cwd=tmp_path, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
