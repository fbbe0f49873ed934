"""Only a few modules of vitalsdash name a channel by hand; the rest ask the registry.

A module names a channel by hand when its code holds a channel's id or a panel's id as a
string ("SPO2", "nibp"), builds an identifier, a field, a DOM id or a CSS class from one
(``spo2_pct``, ``"t-hr"``, ``"NO_DATA_HR"``) or reaches for ``Channel.HR``. Such a module
has to change when a channel is added, renamed or removed; everything else derives its
lists from ``vitalsdash.channels``. The scan reads the code (the AST), not the prose:
docstrings, comments and sentences shown to a nurse ("SBP rise") do not count, and names
are compared as whole tokens, so "chrome" does not contain "hr".
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

import vitalsdash
from vitalsdash import channels

pytestmark = pytest.mark.unit

SRC = Path(vitalsdash.__file__).resolve().parent
ALLOWED = frozenset(
    {
        "channels.py",  # the registry
        "adapters/hl7/_parse.py",  # the HL7 code table
        "protocol/_config.py",  # the protocol's defaults
        "protocol/_readiness.py",  # the protocol's clinical criteria
    }
)
"""The modules whose job is to name channels (at most four)."""

_CHANNEL_IDS = frozenset(c.value.lower() for c in channels.Channel)
EXACT = _CHANNEL_IDS | {c.panel.lower() for c in channels.all_channels()}
"""Built-in channel ids and panel ids ("spo2", "nibp"): a string equal to one names it."""
WORDS = frozenset(i for i in _CHANNEL_IDS if "_" not in i)
"""Channel ids of one word ("hr", "spo2", "rr"): an identifier or a key with one of them
among its words names the channel (``spo2_pct``, ``"t-hr"``, ``"NO_DATA_HR"``)."""
PHRASES = frozenset(tuple(i.split("_")) for i in _CHANNEL_IDS if "_" in i)
"""Channel ids of several words ("nibp_sys", "ket_ce"): a key or an identifier that holds
one, written as ids are (words joined by "_"), names the channel ("NIBP_SYS_HI",
``pump_rate_mg_per_kg_h``). A panel id alone is a word of other things too (the NIBP
cuff's ``nibp_start``, ``NIBP_OVERDUE``): only a string equal to it counts."""
REGISTRY_API = frozenset(channels.__all__) | {
    name for name in dir(channels.ChannelInfo) if not name.startswith("_")
}
"""How the registry is asked (``channels.pump_rate_channel()``, ``info.pump_rate``): using
its own names is not naming a channel."""

_KEYLIKE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")  # an id, key or class, not a sentence
_PARTS = re.compile(r"[^A-Za-z0-9_]+")
_CAMEL = (re.compile(r"([A-Z]+)([A-Z][a-z])"), re.compile(r"([a-z0-9])([A-Z])"))


def tokens(name: str) -> list[str]:
    """The words of an identifier or key, lower case: ``spo2Pct``, ``SPO2_PCT`` and
    ``spo2-pct`` all give spo2 and pct. A camel-case part is also read with two of its
    words joined (``SpO2Probe``: sp, o2, probe and spo2, o2probe)."""
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        split = part
        for rx in _CAMEL:
            split = rx.sub(r"\1 \2", split)
        words = split.lower().split()
        out.extend(words)
        out.extend(a + b for a, b in pairwise(words))
    return out


def _phrase(text: str) -> str | None:
    """The several-word channel id ``text`` holds, its words joined by "_"."""
    for part in _PARTS.split(text.lower()):
        words = part.split("_")
        for phrase in PHRASES:
            n = len(phrase)
            if any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
                return "_".join(phrase)
    return None


def string_names(text: str) -> str | None:
    """The channel or panel a string constant names, if any."""
    if text.strip().lower() in EXACT:
        return text.strip()
    if not _KEYLIKE.fullmatch(text):
        return None
    return next((w for w in tokens(text) if w in WORDS), None) or _phrase(text)


def identifier_names(name: str) -> str | None:
    """The channel an identifier names, if any (``spo2_pct``, ``hrValue``, ``nibp_sys``)."""
    return next((w for w in tokens(name) if w in WORDS), None) or _phrase(name)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (or bare string statements)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _identifiers(node: ast.AST) -> Iterator[tuple[str, bool]]:
    """(name, whether it may be the registry's own) of the identifiers ``node`` binds or
    uses: an attribute, a keyword or an imported name may be the registry's API."""
    if isinstance(node, ast.Name):
        yield node.id, False
    elif isinstance(node, ast.Attribute):
        yield node.attr, True
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name, False
    elif isinstance(node, ast.arg):
        yield node.arg, False
    elif isinstance(node, ast.keyword) and node.arg:
        yield node.arg, True
    elif isinstance(node, ast.alias):
        for part in node.name.split("."):
            yield part, True
        if node.asname:
            yield node.asname, False
    elif isinstance(node, ast.Global | ast.Nonlocal):
        for name in node.names:
            yield name, False


def _is_channel_member(node: ast.AST) -> bool:
    """``Channel.HR``, ``channels.Channel.SPO2``."""
    if not isinstance(node, ast.Attribute) or node.attr not in channels.Channel.__members__:
        return False
    owner = node.value
    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    return name == "Channel"


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for every hand-named channel in ``source``."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if _is_channel_member(node):
            assert isinstance(node, ast.Attribute)
            out.append((line, f"Channel.{node.attr}"))
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            hit = string_names(node.value)
            if hit:
                out.append((line, f"string {node.value!r} names {hit}"))
            continue
        for name, api in _identifiers(node):
            hit = None if api and name in REGISTRY_API else identifier_names(name)
            if hit:
                out.append((line, f"identifier {name} names {hit}"))
    return sorted(set(out))


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_at_most_four_modules_may_name_a_channel() -> None:
    assert len(ALLOWED) <= 4
    for rel in ALLOWED:
        assert (SRC / rel).is_file(), rel


def test_no_other_module_names_a_channel_by_hand() -> None:
    found = [
        f"src/vitalsdash/{_rel(path)}:{line}: {what}"
        for path in modules()
        if _rel(path) not in ALLOWED
        for line, what in offences(path.read_text(encoding="utf-8"))
    ]
    assert not found, "channels named by hand (ask vitalsdash.channels):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'x = "SPO2"',
        'x = "nibp"',
        'x = "Hr "',
        'css = "t-hr"',
        'x = f"num-spo2-{part}"',
        'cond = "NO_DATA_HR"',
        'key = "pump_rate_mg_per_kg_h"',
        'key = "KET_CE"',
        'cond = "NIBP_SYS_HI"',
        "nibp_dia = 80",
        "pump_rate = 0.5",
        "spo2_pct = 97",
        "def hr_of(x): ...",
        "def f(*, rr=None): ...",
        "f(hr=1)",
        "class SpO2Probe: ...",
        "c = Channel.HR",
        "c = channels.Channel.NIBP_SYS",
        "from x import spo2_view",
    ],
)
def test_the_scan_sees_hand_named_channels(code: str) -> None:
    assert offences(code), code


@pytest.mark.parametrize(
    "code",
    [
        'x = "chrome"',
        'x = "throughput"',
        'x = "error"',
        'label = "SBP rise"',
        'msg = "SpO2 SENSOR OFF"',
        '"""A docstring about HR, "hr" and SPO2."""',
        'def f():\n    """Docstring: "t-hr"."""',
        "chrome = 1",
        "carrier = 2",
        "rate = channels.pump_rate_channel()",
        "flag = info.pump_rate",
        "ChannelInfo(cid, label, pump_rate=True)",
        "from vitalsdash.channels import pump_rate_channel",
        'action = "nibp_start"',
        'cond = "NIBP_OVERDUE"',
        "nibp_interval_s = 300",
        'dom = "pump-rate-input"',
        "info = channels.get(cid)",
        "import sys",
        "x = obj.map",
        "c = Channel(value)",
    ],
)
def test_the_scan_leaves_other_words_alone(code: str) -> None:
    assert not offences(code), offences(code)
