"""Promises the repository keeps: the README's commands, every CLI command documented, lint clean."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from rollout.cli import build_parser

README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", README)


def test_the_readme_gives_the_two_setup_commands():
    run, test = readme_commands()[:2]
    assert "pip install -r requirements.txt" in run and "streamlit run app.py" in run
    assert "pip install -r requirements-dev.txt" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    test = readme_commands()[1]
    assert test in (ROOT / ".ci" / "run").read_text()


def test_every_cli_command_is_documented_in_the_readme():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [name for name in commands if f"`{name}" not in README]
    assert not missing, f"commands missing from the README: {missing}"


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if line and not line.startswith(("#", "-r", "-e")):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), f"{name}: {line} is not pinned"


def tool(name: str) -> str:
    """A command of the test environment; skipped where it is missing, but never under CI=true."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed, but under CI=true every check runs")
        pytest.skip(f"{name} is not installed")
    return found


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]])
def test_ruff_is_clean(args):
    result = subprocess.run([tool("ruff"), *args, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layers_hold_and_there_is_no_import_cycle():
    result = subprocess.run([tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and "0 broken" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(
    "page", ["app.py", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))]
)
def test_every_page_opens_with_the_guard(page):
    """A deep link runs a page file straight from pages/, skipping app.py: each page guards itself."""
    tree = ast.parse((ROOT / page).read_text())
    body = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom)) and not _is_docstring(n)]
    first = body[0]
    assert (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Call)
        and ast.unparse(first.value.func) == "ui.page_setup"
    ), f"{page}: the first statement is {ast.unparse(first)!r}, not ui.page_setup(...)"


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def test_no_core_module_is_over_450_lines():
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in (ROOT / "rollout").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 450
    }
    assert not long


def test_the_core_package_never_imports_streamlit():
    offenders = [
        p.name
        for p in (ROOT / "rollout").glob("*.py")
        if re.search(r"^\s*(import|from) streamlit", p.read_text(), re.M)
    ]
    assert not offenders
    code = "import sys, rollout.cli, rollout.charts, rollout.views; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
