"""Promises the repository keeps: the README's commands, every CLI command documented, lint clean."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

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


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]])
def test_ruff_is_clean(args):
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, *args, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_core_package_never_imports_streamlit():
    offenders = [
        p.name
        for p in (ROOT / "rollout").glob("*.py")
        if re.search(r"^\s*(import|from) streamlit", p.read_text(), re.M)
    ]
    assert not offenders
    code = "import sys, rollout.cli, rollout.charts, rollout.views; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
