"""The plan: the bundled one is valid and complete; each kind of mistake is reported where it is."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from support import PLANS, ROOT, build_plan

from rollout.plan import PlanError, load_plan, validate_folder

# case: (file the message names, line, fragments the message must hold)
BROKEN = {
    "syntax": ("phase-1.yaml", 11, ["YAML syntax error", "started at line 10"]),
    "unknown_key": ("phase-1.yaml", 12, ["task P1.01", "unknown key 'owner'"]),
    "missing_field": ("phase-1.yaml", 14, ["task P1.02", "deliverable is missing"]),
    "wrong_type": ("phase-1.yaml", 12, ["task P1.01", "effort_days must be a number", "'three'"]),
    "duplicate_id": ("phase-1.yaml", 14, ["task P1.01", "duplicate id", "also defined at"]),
    "unknown_clause": ("phase-1.yaml", 16, ["task P1.02", "clauses of 2011 name 8.9", "not a clause of the 2011"]),
    "parent_clause": ("phase-1.yaml", 9, ["task P1.01", "4.1", "has sub-clauses", "4.1.1, 4.1.2"]),
    "unquoted_clause": (
        "phase-1.yaml",
        16,
        ["task P1.02", "clauses of 2011 items must be quoted text", "4.10 reads as the number 4.1"],
    ),
    "unknown_dependency": ("phase-1.yaml", 20, ["task P1.02", "depends_on names P1.09", "not a task of the plan"]),
    "cycle": ("phase-1.yaml", 13, ["dependency cycle", "P1.01 -> P1.02 -> P1.01"]),
    "later_stage_dependency": ("phase-1.yaml", 13, ["task P1.01", "P2.01", "later stage 2"]),
    "effort_not_positive": ("phase-1.yaml", 19, ["task P1.02", "effort_days is 0", "above 0"]),
    "bad_task_id": ("phase-1.yaml", 14, ["task P2.02", "id names stage 2", "stage 1"]),
    "uncovered": ("clauses.yaml", 14, ["clause 8.1 (2011) is served by no mandatory sms task", "clauses"]),
    "earlier_form": (
        "phase-1.yaml",
        16,
        ["task P1.02", "earlier form", 'clauses: {"2018": ["8.6.1", "8.6.2"], "2011": ["8.1"]}'],
    ),
    "project_with_clauses": ("phase-1.yaml", 10, ["task P1.01", "a project task serves no clause"]),
    "sms_without_edition": ("phase-1.yaml", 9, ["task P1.01", "at least one leaf clause of the plan's edition"]),
    "unknown_kind": ("phase-1.yaml", 9, ["task P1.01", "kind 'consultancy' is not one of sms, project"]),
    "bad_rename": ("renames.yaml", 3, ["P1.02 is still a task of the plan"]),
    "missing_stage": ("phases", 1, ["the file of stage 3 is missing", "phase-3"]),
    "doubled_stage": ("phase-1-extra.yaml", 1, ["stage 1 is doubled", "phase-1.yaml"]),
    "stage_number_mismatch": ("phase-2.yaml", 1, ["phase is 3", "stage 2"]),
    "correspondence_gap": ("clauses.yaml", 31, ["2011 leaf 8.1 has no entry"]),
    "impossible_date": ("plan.yaml", 3, ["start_date must be a date YYYY-MM-DD", "'2026-02-30'"]),
    "plan_header": ("plan.yaml", 4, ["target_date must be a date YYYY-MM-DD", "'soon'"]),
}


def test_bundled_plan_is_valid_and_complete(bundled_plan):
    assert len(bundled_plan.tasks) >= 80
    assert [s.number for s in bundled_plan.stages] == [0, 1, 2, 3, 4]
    for task in bundled_plan.tasks.values():
        assert task.deliverable and task.role and task.effort_days > 0


@pytest.mark.parametrize("edition", ["2011", "2018"])
def test_every_leaf_of_both_editions_is_served(bundled_plan, edition):
    served = {c for t in bundled_plan.tasks.values() for c in bundled_plan.clauses_of(t, edition)}
    assert set(bundled_plan.leaves(edition)) <= served


def test_clause_trees_have_the_expected_shape(bundled_plan):
    tops = {e: [c.id for c in bundled_plan.clauses[e].values() if c.parent is None] for e in ("2011", "2018")}
    assert tops == {"2011": ["4", "5", "6", "7", "8", "9"], "2018": ["4", "5", "6", "7", "8", "9", "10"]}
    assert bundled_plan.clauses["2011"]["4.5.4.2"].is_leaf
    assert set(bundled_plan.correspondence) == set(bundled_plan.leaves("2011"))


def test_dependencies_never_point_to_a_later_stage(bundled_plan):
    for task in bundled_plan.tasks.values():
        for dep in task.depends_on:
            assert bundled_plan.tasks[dep].stage <= task.stage


def test_tasks_name_their_clauses_per_edition_and_the_correspondence_only_navigates(minimal_plan):
    plan = load_plan(minimal_plan)
    assert plan.edition == "2018"
    assert plan.clauses_of(plan.tasks["P2.01"], "2018") == ("8.2.5",)
    assert plan.clauses_of(plan.tasks["P2.01"], "2011") == ()  # 2018-only work: no 2011 tag, no fan-out
    assert plan.clauses_of(plan.tasks["P1.02"], "2018") == ("8.6.1", "8.6.2")
    assert plan.corresponding("8.1", "2011") == ("8.6.1", "8.6.2")
    assert plan.corresponding("8.6.2", "2018") == ("8.1",)
    assert plan.ancestors("8.6.1", "2018") == ["8.6.1", "8.6", "8"]


def test_task_defaults_and_kinds(minimal_plan):
    plan = load_plan(minimal_plan)
    task = plan.tasks["P1.01"]
    assert (task.depends_on, task.mandatory, task.kind, task.min_weeks, task.description) == (
        ("P0.01",),
        True,
        "sms",
        None,
        "",
    )
    assert (plan.tasks["P0.01"].kind, plan.tasks["P0.01"].clauses) == ("project", {})
    assert plan.tasks["P4.01"].kind == "certification" and not plan.tasks["P4.01"].builds_sms
    assert plan.tasks["P2.01"].min_weeks == 6


def test_the_edition_defaults_to_2018_and_a_wrong_one_is_refused(tmp_path):
    folder = build_plan(tmp_path)
    text = (folder / "plan.yaml").read_text().replace('edition: "2018"\n', "")
    (folder / "plan.yaml").write_text(text)
    assert load_plan(folder).edition == "2018"
    (folder / "plan.yaml").write_text(text + "edition: 2011\n")
    _, issues = validate_folder(folder)
    assert any("edition must be non-empty text, got a number (2011)" in i.message for i in issues), issues


def test_tags_the_correspondence_does_not_link_are_a_warning_not_an_error(tmp_path):
    folder = build_plan(tmp_path)
    path = folder / "phase-2.yaml"
    path.write_text(path.read_text().replace('{"2018": ["8.2.5"]}', '{"2018": ["8.2.5"], "2011": ["4.1.2"]}'))
    plan, issues = validate_folder(folder)
    assert issues == [] and len(plan.warnings) == 1
    warning = plan.warnings[0]
    assert (Path(warning.file).name, warning.line) == ("phase-2.yaml", 9)
    assert (
        "task P2.01: its 2011 clauses 4.1.2 correspond to 5.2 in 2018, none of which it names (8.2.5)"
        in warning.message
    )
    result = run_cli("--phases", str(folder), "validate")
    assert result.returncode == 0 and "warning: " in result.stdout and "P2.01" in result.stdout


def test_renames_are_read_with_the_plan(tmp_path):
    folder = build_plan(tmp_path)
    (folder / "renames.yaml").write_text("P2.09: P1.02\n")
    assert load_plan(folder).renames == {"P2.09": "P1.02"}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_mistake_names_file_line_and_field(tmp_path, case):
    folder = build_plan(tmp_path, PLANS / "broken" / case)
    plan, issues = validate_folder(folder)
    assert plan is None
    file, line, fragments = BROKEN[case]
    matching = [i for i in issues if Path(i.file).name == file and all(f in i.message for f in fragments)]
    assert matching, "\n".join(map(str, issues))
    assert matching[0].line == line, str(matching[0])
    assert str(matching[0]).startswith(f"{matching[0].file}:{line}")


def test_every_broken_case_has_a_fixture():
    assert {p.name for p in (PLANS / "broken").iterdir()} == set(BROKEN)


def test_all_errors_are_reported_in_one_pass(tmp_path):
    folder = build_plan(tmp_path, PLANS / "broken" / "unknown_key")
    for name in ("phase-2.yaml",):
        text = (PLANS / "broken" / "effort_not_positive" / "phase-1.yaml").read_text()
        (folder / "phase-1.yaml").write_text(text.replace("role: SMS manager", "role: SMS manager\n    owner: x"))
        (folder / name).write_text((folder / name).read_text().replace('"8.2.5"', '"9.9"'))
    with pytest.raises(PlanError) as caught:
        load_plan(folder)
    messages = "\n".join(map(str, caught.value.issues))
    assert "unknown key 'owner'" in messages and "effort_days is 0" in messages and "9.9" in messages


def test_only_safe_yaml_is_loaded(tmp_path):
    folder = build_plan(tmp_path)
    (folder / "plan.yaml").write_text("organisation: !!python/object/apply:os.system ['echo unsafe']\n")
    _, issues = validate_folder(folder)
    assert [(Path(i.file).name, i.line) for i in issues if "is not allowed" in i.message] == [("plan.yaml", 1)]


PLAN_HEADER = "scope: s\nstart_date: 2026-01-01\ntarget_date: 2027-01-01\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML that plain values would read differently is checked on its nodes, as it always was
        (
            "organisation: X\norganisation: Y\n" + PLAN_HEADER,
            "plan.yaml:2:1: YAML key 'organisation' is repeated (first at line 1); keep one",
        ),
        ("organisation: 3\norganisation: Y\n" + PLAN_HEADER, "plan.yaml:1:15: plan.yaml: organisation must be"),
        ("base: &b {organisation: X}\n<<: *b\n" + PLAN_HEADER, "plan.yaml:2:1: YAML tag tag:yaml.org,2002:merge"),
        ("organisation: !!binary aGVsbG8=\n" + PLAN_HEADER, "organisation must be non-empty text, got bytes"),
    ],
)
def test_unusual_yaml_reads_as_the_positioned_checker_reads_it(tmp_path, text, expected):
    folder = build_plan(tmp_path)
    (folder / "plan.yaml").write_text(text)
    plan, issues = validate_folder(folder)
    if plan is not None:
        assert (plan.organisation, issues) == (expected, [])
    else:
        assert [str(i) for i in issues if expected in str(i)], "\n".join(map(str, issues))


@pytest.mark.parametrize("case", ["minimal", "broken"])
def test_loading_leaves_garbage_collection_as_it_was(tmp_path, case):
    folder = build_plan(tmp_path, PLANS / "broken" / "cycle" if case == "broken" else None)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            validate_folder(folder)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()


def test_a_missing_folder_is_reported(tmp_path):
    _, issues = validate_folder(tmp_path / "nowhere")
    assert "does not exist" in issues[0].message


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rollout", *args], cwd=ROOT, capture_output=True, text=True, env=env)


def test_cli_validate_passes_on_the_bundled_plan():
    result = run_cli("validate")
    assert result.returncode == 0, result.stderr
    assert "valid: 5 stages" in result.stdout and "edition 2018, 57 of 57 2018 leaf clauses served" in result.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_cli_validate_fails_usefully_with_all_errors(tmp_path, where):
    folder = build_plan(tmp_path, PLANS / "broken" / "uncovered")
    args = ["--phases", str(folder), "validate"] if where == "before" else ["validate", "--phases", str(folder)]
    result = run_cli(*args)
    assert result.returncode == 1
    assert "clause 8.1 (2011) is served by no mandatory sms task" in result.stderr
    assert "clause 8.2.5 (2018) is served by no mandatory sms task" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_reads_the_phases_folder_from_the_environment(tmp_path):
    import os

    folder = build_plan(tmp_path, PLANS / "broken" / "cycle")
    result = run_cli("validate", env={**os.environ, "ROLLOUT_PHASES": str(folder)})
    assert result.returncode == 1 and "dependency cycle" in result.stderr


def test_cli_usage_errors_exit_2():
    assert run_cli("nonsense").returncode == 2
    assert run_cli("validate", "--bogus").returncode == 2
