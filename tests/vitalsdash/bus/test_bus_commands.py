"""Commands sent through Redis are the runtime's: the same answers, the same refusals
(code, HTTP status, message, words, details), the change published before the answer;
with no answer in time a 503 in words, and the runtime never does it later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bus_clinic import Clinic, close_clinic, make_clinic

from vitalsdash.actions import ActionError
from vitalsdash.bus import RemoteRuntime
from vitalsdash.runtime import Command

pytestmark = pytest.mark.integration

REFUSED = [
    Command("pause_audio", "chair9", {}, "trainee"),  # no such bed: 404
    Command("set_speed", None, {"speed": 5}, "observer"),  # an observer changes nothing: 403
    Command("inject_event", "chair1", {"kind": "apnoea", "params": {}}, "trainee"),  # 403
    Command("set_limit", "chair1", {"channel": "HR", "which": "sideways", "value": 1}, "trainee"),
    Command("pause_audio", "chair2", {}, "trainee"),  # no session: 409
    Command("discharge", "chair1", {"note": None}, "trainee"),  # not ready: 409 with reasons
    Command(["a", "list"], "chair1", {}, "trainee"),  # not an action
]


def _refusal(exc: ActionError) -> tuple[Any, ...]:
    return (exc.code, exc.status, exc.message, exc.words, exc.details)


def test_a_command_is_answered_with_its_change_already_published(clinic: Clinic) -> None:
    clinic.rt.advance(5)
    clinic.publish()
    assert clinic.remote.submit(Command("set_speed", None, {"speed": 5}, "instructor")) == {
        "ok": True, "speed": 5.0, "paused": False}  # fmt: skip
    assert clinic.remote.views(beds=False).speed == 5.0
    answer = clinic.remote.submit("chair1", "pause_audio", {}, "trainee")  # the older form
    assert answer["ok"] is True
    assert clinic.remote.view("chair1") == clinic.rt.view("chair1")
    assert clinic.remote.view("chair1").signals.audio_paused
    sid = clinic.rt.view("chair1").session_id
    rows = clinic.remote.feed.actions_since(sid, 0)
    assert rows == clinic.rt.feed.actions_since(sid, 0)
    assert rows[-1]["kind"] == "pause_audio"


@pytest.mark.parametrize("command", REFUSED, ids=lambda c: f"{c.kind}-{c.bed_id}-{c.actor}")
def test_a_refusal_is_the_runtimes(clinic: Clinic, command: Command) -> None:
    clinic.rt.advance(5)
    with pytest.raises(ActionError) as here:
        clinic.rt.submit(command)
    with pytest.raises(ActionError) as there:
        clinic.remote.submit(command)
    assert _refusal(there.value) == _refusal(here.value)


def test_no_answer_in_time_is_a_503_and_the_command_is_never_done(
    tmp_path: Path, redis_server: Any, bus_prefix: str
) -> None:
    c = make_clinic(tmp_path, redis_server.url, bus_prefix, command_timeout_s=0.3, start=False)
    try:
        with pytest.raises(ActionError) as refused:  # nobody reads the commands yet
            c.remote.submit(Command("pause_simulation", None, {}, "instructor"))
        assert (refused.value.code, refused.value.status) == ("runtime_unavailable", 503)
        assert "not answering" in refused.value.words
        c.publisher.start()  # finds the stale command first, and drops it
        patient = RemoteRuntime(c.url, c.store, c.rt.clinic, c.prefix, command_timeout_s=30)
        try:
            assert patient.submit(Command("set_speed", None, {"speed": 3}, "instructor")) == {
                "ok": True, "speed": 3.0, "paused": False}  # fmt: skip
        finally:
            patient.stop()
        assert c.rt.views(beds=False).paused is False
    finally:
        close_clinic(c)
