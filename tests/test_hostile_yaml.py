"""Hostile plan files: alias bombs, repeated keys, pipes, devices and oversized files are refused, never hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, build_plan

from rollout.plan import validate_folder, yamlnodes
from rollout.plan.yamlnodes import ALIASES_REFUSED, NotPlain, read_plain

# nine levels of nine aliases each: 9**9 (387 million) strings behind 600 bytes
LAUGHS = ['l0: &l0 "lol"'] + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]


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


def test_an_alias_bomb_in_the_plan_header_is_refused_where_the_first_alias_is(tmp_path):
    folder = build_plan(tmp_path)
    plan = folder / "plan.yaml"
    plan.write_text(plan.read_text() + "notes:\n" + "".join(f"  {line}\n" for line in LAUGHS))
    first_alias = len(plan.read_text().splitlines()) - len(LAUGHS) + 2  # the l1 line
    assert issues_in_child(folder) == [f"{plan}:{first_alias}:12: {ALIASES_REFUSED}"]


def test_an_alias_bomb_in_the_tasks_is_refused_in_the_fast_reading_too(tmp_path):
    folder = build_plan(tmp_path)
    stage = folder / "phase-1.yaml"
    text = stage.read_text().replace("tasks:\n", "tasks: &tasks\n", 1)
    stage.write_text(text + "\n".join(LAUGHS) + "\nmore: [*tasks, *tasks]\n")
    # the clauses its tasks served are reported as unserved too: the file's tasks were not read
    issues = [i for i in issues_in_child(folder) if i.startswith(f"{stage}:")]
    assert len(issues) == 1 and ALIASES_REFUSED in issues[0]
    with pytest.raises(NotPlain, match="alias"):
        read_plain(stage, str(stage))


def test_nested_clauses_made_of_aliases_do_not_hang(tmp_path):
    folder = build_plan(tmp_path)
    clauses = folder / "clauses.yaml"
    levels = ['c0: &c0 {id: "4.1", title: t}'] + [
        f'c{i}: &c{i} {{id: "4.1", title: t, children: [{", ".join([f"*c{i - 1}"] * 9)}]}}' for i in range(1, 10)
    ]
    clauses.write_text(clauses.read_text() + "\n".join(levels) + "\n")
    assert any(ALIASES_REFUSED in issue for issue in issues_in_child(folder))


def test_a_recursive_alias_is_refused(tmp_path):
    folder = build_plan(tmp_path)
    plan = folder / "plan.yaml"
    plan.write_text(plan.read_text() + "loop: &loop [*loop]\n")
    loop = len(plan.read_text().splitlines())
    assert any(issue.endswith(f"plan.yaml:{loop}:14: {ALIASES_REFUSED}") for issue in issues_in_child(folder))


def test_even_a_harmless_alias_is_refused_with_its_line_and_column(tmp_path):
    folder = build_plan(tmp_path)
    stage = folder / "phase-1.yaml"
    stage.write_text(
        stage.read_text()
        .replace("role: SMS manager", "role: &who SMS manager", 1)
        .replace("role: Process owner", "role: *who", 1)
    )
    _, issues = validate_folder(folder)
    assert [(i.line, i.col, i.message) for i in issues if i.file == str(stage)] == [(18, 11, ALIASES_REFUSED)]


def test_a_key_given_twice_is_an_error_with_its_line_and_column(tmp_path):
    folder = build_plan(tmp_path)
    stage = folder / "phase-1.yaml"
    stage.write_text(
        stage.read_text().replace("    role: Process owner\n", "    role: Process owner\n    title: Again\n", 1)
    )
    plan, issues = validate_folder(folder)
    assert plan is None
    assert [str(i) for i in issues] == [f"{stage}:19:5: YAML key 'title' is repeated (first at line 15); keep one"]


def test_a_repeated_key_is_reported_with_the_other_problems_of_the_file(tmp_path):
    folder = build_plan(tmp_path)
    plan = folder / "plan.yaml"
    plan.write_text(plan.read_text() + "scope: again\nowner: x\n")
    _, issues = validate_folder(folder)
    messages = [i.message for i in issues]
    assert any("YAML key 'scope' is repeated" in m for m in messages)
    assert any("unknown key 'owner'" in m for m in messages)


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
