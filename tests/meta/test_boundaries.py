"""Architecture rules that import-linter cannot see: only cli/ prints, modules stay small,
nothing runs at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "cloudfw"
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def _prints(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if (isinstance(f, ast.Name) and f.id == "print") or (
            (
                isinstance(f, ast.Attribute)
                and f.attr == "write"
                and isinstance(f.value, ast.Attribute)
            )
            and isinstance(f.value.value, ast.Name)
            and f.value.value.id == "sys"
        ):
            lines.append(node.lineno)
    return lines


def test_only_cli_prints() -> None:
    offenders = []
    for path in _modules():
        if "cli" in path.relative_to(PKG).parts:
            continue
        offenders += [f"{path}:{n}" for n in _prints(ast.parse(path.read_text()))]
    assert not offenders, f"printing outside cloudfw/cli: {offenders}"


def test_modules_stay_small() -> None:
    big = [
        f"{p} ({n} lines)" for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]
    assert not big, f"split these modules (limit {MAX_LINES} lines): {big}"


def test_help_does_not_import_cloud_sdks() -> None:
    code = (
        "import sys; from cloudfw.cli.app import app, _register_all; _register_all(); "
        "sdks = ('boto3', 'botocore', 'azure', 'google', 'moto', 'distributed', 'dask'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in sdks]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"CLI start-up imports cloud SDKs: {out.stdout}"
