"""The seam between the runtime and its readers (docs/architecture.md, "The seam").

Nothing outside the runtime package reaches into the runtime's lock, beds, sessions, alarm
engines or sources, or imports its private modules; every view and command crosses JSON
unchanged; a ``set_limits`` batch is all or nothing.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.actions import ActionError
from vitalsdash.runtime import (
    AlarmView,
    BedView,
    ClinicView,
    Command,
    LimitEdit,
    Runtime,
    TruthView,
    set_limits,
)

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[3] / "src" / "vitalsdash"
RUNTIME_PKG = SRC / "runtime"
INSIDE = frozenset({"lock", "beds", "engine", "source", "control", "session"})
"""Attributes of the runtime (and of its beds and sessions) that only runtime/ may touch."""
RUNTIME_NAMES = frozenset({"rt", "runtime"})
PRIVATE_OUTSIDE = frozenset({"vitalsdash.runtime._bed"})
"""Runtime-private modules that still live beside the package."""


def _is_runtime(node: ast.expr) -> bool:
    """``rt``, ``runtime``, ``self.runtime``, ``get_runtime()``."""
    if isinstance(node, ast.Name):
        return node.id in RUNTIME_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in RUNTIME_NAMES
    if isinstance(node, ast.Call):
        f = node.func
        return getattr(f, "id", getattr(f, "attr", None)) == "get_runtime"
    return False


def _private_import(module: str | None, names: list[str]) -> bool:
    if not module:
        return False
    if module in PRIVATE_OUTSIDE or module.startswith("vitalsdash.runtime._"):
        return True
    if module == "vitalsdash.runtime":
        return any(n.startswith("_") for n in names)
    return module == "vitalsdash" and "_bed" in names


def seam_violations(code: str, rel: str) -> list[str]:
    """``file:line what`` for every reach into the runtime in one module's code."""
    tree = ast.parse(code, filename=rel)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            runtime_attr = node.attr in INSIDE and _is_runtime(node.value)
            through_bed = (
                node.attr in ("engine", "source")
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "session"
            )
            if runtime_attr or through_bed:
                out.append(f"{rel}:{node.lineno} .{node.attr} of the runtime")
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if _private_import(node.module, names):
                out.append(f"{rel}:{node.lineno} imports {node.module} {names}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if _private_import(a.name, []):
                    out.append(f"{rel}:{node.lineno} imports {a.name}")
    return out


def test_nothing_outside_the_runtime_reaches_into_it() -> None:
    files = [p for p in sorted(SRC.rglob("*.py")) if RUNTIME_PKG not in p.parents]
    assert len(files) > 50
    found = [
        v
        for p in files
        for v in seam_violations(p.read_text(encoding="utf-8"), str(p.relative_to(SRC.parent)))
    ]
    assert found == [], "through the runtime's views and commands instead:\n" + "\n".join(found)


def test_the_guard_names_the_file_and_line_of_a_reach_in() -> None:
    code = (
        "from vitalsdash.runtime._core import Bed\n"
        "from vitalsdash.runtime import Runtime, Command\n"
        "def f(rt, bed_id):\n"
        "    with rt.lock:\n"
        "        return rt.beds[bed_id].session.engine\n"
        "def g(view):\n"
        "    return view.source, get_runtime().control.speed\n"
    )
    found = seam_violations(code, "vitalsdash/ui/probe.py")
    assert sorted(found) == [
        "vitalsdash/ui/probe.py:1 imports vitalsdash.runtime._core ['Bed']",
        "vitalsdash/ui/probe.py:4 .lock of the runtime",
        "vitalsdash/ui/probe.py:5 .beds of the runtime",
        "vitalsdash/ui/probe.py:5 .engine of the runtime",
        "vitalsdash/ui/probe.py:7 .control of the runtime",
    ]


# -- JSON round trips ----------------------------------------------------------------------

_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
_text = st.text(max_size=12)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _finite | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


def _strategy(tp: Any) -> st.SearchStrategy[Any]:
    """Values of a seam type, built from its annotations (so a new field is covered)."""
    if tp is Any:
        return _json_values
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, __import__("types").UnionType):
        return st.one_of(*[st.none() if a is type(None) else _strategy(a) for a in args])
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = {f.name: _strategy(hints[f.name]) for f in dataclasses.fields(tp)}
        return st.builds(tp, **fields)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_strategy(args[0]), max_size=3).map(tuple)
        return st.tuples(*[_strategy(a) for a in args])
    if origin in (Mapping, dict):
        return st.dictionaries(_text, _strategy(args[1]), max_size=3)
    return {float: _finite, int: st.integers(-(2**53), 2**53), str: _text, bool: st.booleans()}[tp]


def _round_trip(value: Any) -> Any:
    text = json.dumps(value.to_dict(), allow_nan=False)
    return type(value).from_dict(json.loads(text))


@pytest.mark.parametrize("cls", [BedView, ClinicView, TruthView, Command, LimitEdit, AlarmView])
def test_every_view_and_command_crosses_json_unchanged(cls: type) -> None:
    @settings(max_examples=40, deadline=None)
    @given(_strategy(cls))
    def check(value: Any) -> None:
        back = _round_trip(value)
        assert back == value
        assert back.to_dict() == value.to_dict()

    check()


def test_a_running_clinics_views_cross_json_unchanged(rt: Runtime) -> None:
    clinic = rt.views()
    assert [b.bed_id for b in clinic.beds] == ["chair1", "chair2"]
    one = clinic.beds[0]
    assert one.session_id is not None
    assert one.pump is not None
    assert one.latest
    assert one.limits_in_force["HR"]["high"] == one.limits["HR_HI"]
    assert clinic.beds[1].session_id is None
    assert _round_trip(clinic) == clinic
    truth = rt.truth("chair1")
    assert truth is not None
    assert truth.truth
    assert _round_trip(truth) == truth
    assert rt.view("nope") is None
    assert rt.truth("nope") is None
    with pytest.raises((AttributeError, dataclasses.FrozenInstanceError)):
        one.t_s = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        one.latest["HR"] = (0.0, 0.0, "ok")  # type: ignore[index]


def test_a_view_is_current_right_after_a_command(rt: Runtime) -> None:
    assert rt.view("chair1").pump.running
    rt.submit(Command("pause_pump", "chair1", {}, "trainee"))
    assert not rt.view("chair1").pump.running
    rt.submit("chair1", "resume_pump", {}, "trainee")  # the positional form: the same path
    assert rt.view("chair1").pump.running


# -- set_limits: all or nothing ------------------------------------------------------------


def _set_limit_rows(rt: Runtime) -> list[dict[str, Any]]:
    sid = rt.view("chair1").session_id
    return [r for r in rt.feed.actions_since(sid, 0) if r["kind"] == "set_limit"]


def test_set_limits_applies_in_a_valid_order_and_stores_each(rt: Runtime) -> None:
    hi = rt.view("chair1").limits_in_force["HR"]["high"]
    edits = [LimitEdit("HR", "low", hi + 5), LimitEdit("HR", "high", hi + 20)]
    done = rt.submit(set_limits("chair1", edits, "instructor"))
    assert [(e["which"], e["value"]) for e in done["applied"]] == [("high", hi + 20),
                                                                    ("low", hi + 5)]  # fmt: skip
    table = rt.view("chair1").limits_in_force["HR"]
    assert (table["low"], table["high"]) == (hi + 5, hi + 20)
    rows = _set_limit_rows(rt)
    expected = [("high", "instructor"), ("low", "instructor")]
    assert [(r["params"]["which"], r["actor"]) for r in rows] == expected
    json.dumps(done, allow_nan=False)  # a plain result


def test_set_limits_refused_changes_nothing_and_says_why(rt: Runtime) -> None:
    before = rt.view("chair1")
    hi = before.limits_in_force["HR"]["high"]
    edits = [LimitEdit("RR", "high", 35), LimitEdit("HR", "low", hi)]  # RR alone would be fine
    with pytest.raises(ActionError) as refused:
        rt.submit(set_limits("chair1", edits, "trainee"))
    assert refused.value.message == f"HR high: {hi:g} must be above low ({hi:g})"
    after = rt.view("chair1")
    assert after.limits == before.limits
    assert _set_limit_rows(rt) == []
    with pytest.raises(ActionError) as bad:
        rt.submit(Command("set_limits", "chair1", {"limits": "HR"}, "trainee"))
    assert bad.value.code == "bad_params"
    with pytest.raises(ActionError) as idle:
        rt.submit(set_limits("chair2", [LimitEdit("HR", "low", 40)], "trainee"))
    assert idle.value.code == "no_session"


@pytest.mark.parametrize("edits", [[], [LimitEdit("RR", "high", 35)]])
def test_an_observer_changes_no_limits_even_none(rt: Runtime, edits: list[LimitEdit]) -> None:
    before = rt.view("chair1")
    with pytest.raises(ActionError) as refused:
        rt.submit(set_limits("chair1", edits, "observer"))
    assert (refused.value.code, refused.value.status) == ("forbidden", 403)
    assert refused.value.words == "Observers watch; they cannot act."
    assert rt.view("chair1").limits == before.limits
