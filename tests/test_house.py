"""The house (docs/architecture.md) holds: layering contracts, module and function sizes.

The contracts are import-linter's, declared in pyproject.toml ``[tool.importlinter]``; the
sizes are measured here: no module in ``src/`` over 800 lines (migrations and data excepted),
no function over 80 lines except those listed in ``[tool.zairyu.house] long_functions``, which
are debts to pay down: each listed one must still exist and still be long (a paid debt leaves
the list).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MODULE_MAX_LINES = 800
FUNCTION_MAX_LINES = 80


def _house() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["zairyu"]["house"]


def _modules():
    for path in sorted((SRC / "zairyu").rglob("*.py")):
        if "migrations" in path.parts or "data" in path.parts:
            continue
        yield path


def _long_functions() -> dict[str, int]:
    found = {}
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_MAX_LINES:
                    found[f"{path.relative_to(SRC).as_posix()}:{node.name}"] = length
    return found


def test_import_contracts_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def test_no_module_over_800_lines():
    too_long = {
        path.relative_to(SRC).as_posix(): lines
        for path in _modules()
        if (lines := len(path.read_text().splitlines())) > MODULE_MAX_LINES
    }
    assert too_long == {}


def test_no_function_over_80_lines_but_the_listed_debts():
    listed = set(_house()["long_functions"])
    found = _long_functions()
    assert set(found) - listed == set(), "split these functions (or argue for them in the list)"
    assert listed - set(found) == set(), "paid off: remove these from the list in pyproject.toml"
