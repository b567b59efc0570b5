"""`readiness`, `forecast` and `status` on the command line: JSON shapes, figures, tables and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import DEMO_TODAY, run_cli

from rollout import charts, readiness, timeline
from rollout.plan import Plan
from rollout.stores.files import FileStore

SCENARIO = Path(__file__).resolve().parent / "plans" / "readiness"


@pytest.fixture(scope="module")
def small_data(small_scenario) -> Path:
    """The small plan's data folder after the saves of saves.yaml (figures in test_readiness.py)."""
    return small_scenario[1].folder


@pytest.fixture
def run(monkeypatch, capsys):
    """Run the CLI; returns (exit code, stdout, stderr)."""

    def call(*args: str, today: str = DEMO_TODAY) -> tuple[int, str, str]:
        monkeypatch.setenv("ROLLOUT_TODAY", today)
        return run_cli(capsys, *args)

    return call


@pytest.fixture
def small(run, small_data):
    """The CLI on the small plan, on 2026-07-01."""

    def call(*args: str) -> tuple[int, str, str]:
        return run("--phases", str(SCENARIO / "small"), "--data", str(small_data), *args, today="2026-07-01")

    return call


@pytest.fixture
def demo(run, demo_master):
    """The CLI on the bundled plan's demo data."""

    def call(*args: str) -> tuple[int, str, str]:
        return run("--data", str(demo_master), *args)

    return call


def as_json(result: tuple[int, str, str]) -> object:
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


# the small plan: hand-computed -------------------------------------------------
def test_readiness_json_is_every_clause_of_the_plans_edition_in_tree_order(small):
    got = as_json(small("readiness", "--json"))
    assert [(r["id"], r["readiness"], r["tasks"]) for r in got] == [
        ("4", 0.2, 1),
        ("4.1", 0.2, 1),
        ("5", 0.75, 3),
        ("5.1", 0.6667, 2),
        ("5.2", 1.0, 2),
        ("5.2.1", 1.0, 1),
        ("5.2.2", 1.0, 1),
        ("8", 0.12, 2),
        ("8.1", 0.0, 1),
        ("8.2", 0.2, 1),
    ]
    assert got[3] == {
        "id": "5.1",
        "title": "Leadership and commitment",
        "readiness": 0.6667,
        "tasks": 2,
        "task_ids": ["P1.01", "P1.02"],
    }


def test_readiness_by_phase_and_in_the_2011_edition(small):
    by_phase = as_json(small("readiness", "--by", "phase", "--json"))
    assert [(r["id"], r["readiness"], r["tasks"]) for r in by_phase] == [
        (0, 1.0, 1),
        (1, 0.75, 3),
        (2, 0.075, 2),
        (3, 0.0, 1),
        (4, 0.0, 1),
    ]
    by_2011 = {r["id"]: r for r in as_json(small("readiness", "--edition", "2011", "--json"))}
    assert by_2011["4.1"] == {
        "id": "4.1",
        "title": "Management responsibility",
        "readiness": 0.6667,
        "tasks": 2,
        "task_ids": ["P1.01", "P1.02"],
    }
    assert by_2011["5.1"]["readiness"] == 0.0


def test_forecast_json(small):
    assert as_json(small("forecast", "--json")) == {
        "likely": "2026-11-17",
        "earliest": "2026-09-19",
        "latest": None,
        "target": "2026-12-31",
        "on_track": True,
        "reason": None,
        "remaining_effort": 11.4,
        "weekly_velocity": [0.0, 0.0, 0.0, 0.5, 1.5, 1.0, 0.6, 1.0],
        "not_before": "2026-08-31",
        "not_before_task": "P3.01",
    }


def test_status_json_gates(small):
    phases = as_json(small("status", "--json"))["phases"]
    assert [(p["gate"], p["gate_met"], p["gate_at_risk"]) for p in phases] == [
        ("met", True, False),
        ("at risk", False, True),
        ("at risk", False, True),
        ("not met", False, False),
        ("not met", False, False),
    ]
    assert phases[1]["gate_missing"] == [
        {"task_id": "P1.01", "reason": "not done"},
        {"task_id": "P1.02", "reason": "done without evidence"},
    ]
    assert phases[1]["gate_risks"] == [{"task_id": "P1.01", "reason": "overdue (due 2026-06-20)"}]


def test_status_names_both_figures(small):
    summary = as_json(small("status", "--json"))
    assert (summary["edition"], summary["overall"], summary["implemented"]) == (
        "2018",
        0.2875,
        {"clauses": 6, "implemented": 1},
    )
    code, out, _ = small("status")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "Readiness Test Org · ISO/IEC 20000-1:2018 with Amendment 1:2024"
    assert lines[1] == "Implementation progress: 28 % (3 of 8 applicable tasks done, 2 not applicable)"
    assert lines[2] == "Clauses implemented: 1 of 6"


def test_human_output_is_a_short_table(small):
    code, out, _ = small("readiness")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["clause", "ready", "tasks", "title"]
    assert lines[4].split() == ["5.1", "66", "%", "2", "Leadership", "and", "commitment"]
    code, out, _ = small("readiness", "--by", "phase")
    assert out.splitlines()[2].split()[:4] == ["1", "75", "%", "3"]
    code, out, _ = small("forecast")
    assert out.splitlines()[0] == (
        "likely finish 2026-11-17 (from 2026-09-19, with no latest date: the slowest weeks made no progress); "
        "target 2026-12-31: on track"
    )
    assert out.splitlines()[-1] == timeline.FORECAST_CAVEAT


def test_the_readiness_table_keeps_every_title_whole(demo, bundled_plan):
    code, out, _ = demo("readiness")
    titles = {c.title for c in bundled_plan.clauses["2018"].values()}
    shown = [line.split("  ")[-1] for line in out.splitlines()[1:]]
    assert code == 0 and set(shown) == titles and max(map(len, titles)) > 54


# the demo ----------------------------------------------------------------------
def reference(plan: Plan, table, clause_id: str, edition: str) -> tuple[float | None, list[str]]:
    """A clause's figure the slow, obvious way: every applicable mandatory sms task naming it or a sub-clause."""
    rows = table.set_index("task_id")
    ids = [
        t.id
        for t in plan.tasks.values()
        if rows.loc[t.id, "status"] != "not_applicable"
        and t.kind == "sms"
        and t.mandatory
        and any(clause_id in plan.ancestors(leaf, edition) for leaf in t.clauses.get(edition, ()))
    ]
    effort = sum(plan.tasks[t].effort_days for t in ids)
    done = sum(plan.tasks[t].effort_days * rows.loc[t, "percent"] / 100 for t in ids)
    return (round(done / effort, 4) if ids else None), ids


@pytest.mark.parametrize("edition", ["2011", "2018"])
def test_demo_readiness_matches_the_obvious_computation(demo, demo_master, bundled_plan, edition):
    got = as_json(demo("readiness", "--edition", edition, "--json"))
    assert [r["id"] for r in got] == list(bundled_plan.clauses[edition])
    table = readiness.task_table(bundled_plan, FileStore(demo_master, bundled_plan).load().progress)
    for record in got:
        assert (record["readiness"], record["task_ids"]) == reference(bundled_plan, table, record["id"], edition)
        assert record["tasks"] == len(record["task_ids"])


def test_demo_forecast_and_status_answer(demo):
    outlook = as_json(demo("forecast", "--json"))
    assert {"likely", "earliest", "latest", "target", "on_track", "reason"} <= set(outlook)
    assert outlook["target"] == "2027-09-30"
    assert (outlook["likely"] is None) == (outlook["reason"] is not None)
    status = as_json(demo("status", "--json"))
    assert all(isinstance(p["gate_at_risk"], bool) and "gate_missing" in p for p in status["phases"])
    code, out, _ = demo("status")
    assert code == 0 and "forecast: " in out


def test_the_cli_and_the_chart_show_the_same_figure(demo, demo_master, bundled_plan):
    records = {r["id"]: r for r in as_json(demo("readiness", "--json"))}
    table = readiness.task_table(bundled_plan, FileStore(demo_master, bundled_plan).load().progress)
    fig = charts.build_clause_figure(readiness.clause_readiness(bundled_plan, table), depth=1, edition="2018")
    shown = {cid: x for trace in fig.data for cid, x in zip(trace.customdata, trace.x, strict=True)}
    assert shown["5.1"] == records["5.1"]["readiness"]
    assert all(x == (records[cid]["readiness"] or 0.0) for cid, x in shown.items())


# exit codes --------------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [("readiness", "--by", "clauses"), ("readiness", "--edition", "2005"), ("forecast", "--soon")]
)
def test_usage_errors_exit_2(demo, args):
    code, _, err = demo(*args)
    assert code == 2 and "usage:" in err


def test_a_broken_plan_exits_1_without_a_traceback(run, tmp_path):
    code, _, err = run("--phases", str(tmp_path / "nowhere"), "readiness")
    assert code == 1 and "Traceback" not in err and "does not exist" in err
