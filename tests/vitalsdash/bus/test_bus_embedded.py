"""The embedded set-up (`vitalsdash run`: one process) never imports Redis: the bus is
for the scaled-out set-up only."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

SINGLE_PROCESS = ("vitalsdash.cli", "vitalsdash.server", "vitalsdash.ui.app", "vitalsdash.api",
                  "vitalsdash.runtime", "vitalsdash.feed")  # fmt: skip


def test_the_single_process_path_does_not_import_redis() -> None:
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in SINGLE_PROCESS)
            + "print(sorted(m for m in sys.modules if m == 'redis' or m.startswith('redis.')"
            " or m.startswith('vitalsdash.bus')))\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
