"""The layers hold: import-linter checks the contracts written in pyproject.toml.

Each contract is its own test, so a broken one names itself and shows import-linter's
report (which import, from where).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}
RUNTIME_PACKAGE = (REPO / "src" / "vitalsdash" / "runtime" / "__init__.py").is_file()
NEEDS_RUNTIME_PACKAGE = {"runtime-seam", "alarms-below-store-runtime-ui"}

pytestmark = pytest.mark.unit


def _lint_imports() -> Path:
    exe = Path(sys.executable).parent / "lint-imports"
    if not exe.is_file():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    return exe


def _params() -> list:
    out = []
    for cid in CONTRACTS:
        marks = []
        if cid in NEEDS_RUNTIME_PACKAGE and not RUNTIME_PACKAGE:
            marks.append(
                pytest.mark.xfail(
                    strict=True, reason="vitalsdash.runtime is being turned into a package"
                )
            )
        out.append(pytest.param(cid, id=cid, marks=marks))
    return out


@pytest.mark.parametrize("contract", _params())
def test_import_contract_is_kept(contract: str):
    done = subprocess.run(
        [str(_lint_imports()), "--no-cache", "--contract", contract],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"import contract broken: {CONTRACTS[contract]}\n{done.stdout}\n{done.stderr}"
    )


def test_every_contract_has_an_id_and_a_name():
    assert len(CONTRACTS) >= 5
    assert all(CONTRACTS.values())
