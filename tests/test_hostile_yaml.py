"""Hostile plan files: pipes, devices and oversized files are refused, never read without bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, build_plan

from rollout import yamlnodes
from rollout.plan import validate_folder


def issues_in_child(folder: Path) -> list[str]:
    """The plan's issues, validated in a child with a time and memory limit: a hang or a blow-up fails the test."""
    code = (
        "import json, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from rollout.plan import validate_folder\n"
        "plan, issues = validate_folder(sys.argv[1])\n"
        "print(json.dumps([str(i) for i in issues]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", code, str(folder)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout)


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_plan_file_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path, kind):
    folder = build_plan(tmp_path)
    stage = folder / "phase-2.yaml"
    stage.unlink()
    {"fifo": os.mkfifo, "device": lambda p: p.symlink_to("/dev/zero"), "folder": Path.mkdir}[kind](stage)
    issues = issues_in_child(folder)
    assert [i for i in issues if i.startswith(f"{stage}:1: cannot read the file: it is not a regular file")], issues


def test_a_plan_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    folder = build_plan(tmp_path)
    monkeypatch.setattr(yamlnodes, "MAX_FILE_BYTES", 200)
    _, issues = validate_folder(folder)
    too_large = [i for i in issues if "larger than" in i.message]
    assert too_large and all(Path(i.file).stat().st_size > 200 for i in too_large)


def test_a_number_python_cannot_read_is_reported_not_raised(tmp_path):
    folder = build_plan(tmp_path)
    stage = folder / "phase-1.yaml"
    stage.write_text(stage.read_text().replace("effort_days: 3", "effort_days: " + "9" * 5000, 1))
    _, issues = validate_folder(folder)
    assert any(i.line == 12 and "effort_days must be a number, got text" in i.message for i in issues)
