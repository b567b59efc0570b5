"""The Plan, Readiness and Timeline pages: their figures are the core's, and a rerun recomputes nothing."""

from __future__ import annotations

import json

from support import app

from rollout import readiness
from rollout.cli import main
from rollout.stores.files import FileStore


def plotly(at, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_plan_page_lists_the_stages(demo_env):
    at = app("pages/1_Plan.py")
    assert len(at.tabs) == 5 and any("115 of 115 tasks" in c.value for c in at.main.caption)


def test_plan_page_draws_the_stage_whose_tab_is_open(demo_env, bundled_plan):
    at = app("pages/1_Plan.py")
    objectives = [m.value for m in at.markdown if m.value.startswith("**Objective**")]
    assert objectives == [f"**Objective**  \n{bundled_plan.stages[0].objective}"]
    at.session_state["plan_stage_tab"] = bundled_plan.stages[2].name
    at.run()
    objectives = [m.value for m in at.markdown if m.value.startswith("**Objective**")]
    assert objectives == [f"**Objective**  \n{bundled_plan.stages[2].objective}"]


def test_plan_page_filters_tasks_by_clause_of_either_edition(demo_env):
    at = app("pages/1_Plan.py")
    at.selectbox(key="plan_clause_2011").set_value("8.1").run()
    shown = at.dataframe[0].value
    assert set(shown["task_id"]) and all("8.1" in c for c in shown["clauses"])
    at.sidebar.segmented_control[0].set_value("2018").run()
    at.selectbox(key="plan_clause_2018").set_value("8.2.5").run()
    assert "P2" in " ".join(at.dataframe[0].value["task_id"])


def test_plan_page_shows_one_task_in_full_with_its_history(demo_env):
    at = app("pages/1_Plan.py")
    at.session_state["plan_tasks"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    text = " ".join(m.value for m in at.markdown)
    assert (
        "P0.01 · Prepare the business case" in text
        and "Deliverable:" in text
        and "Clauses, ISO/IEC 20000-1:2018" in text
    )
    history = next(d.value for d in at.dataframe if "field" in d.value.columns)
    assert len(history) >= 3 and set(history["by"]) <= {"Tom Okafor", "Priya Natarajan"}


def test_readiness_page_charts_carry_the_cli_figures(demo_env, capsys):
    at = app("pages/3_Readiness.py")
    assert main(["readiness", "--json"]) == 0
    cli = {r["id"]: r["readiness"] for r in json.loads(capsys.readouterr().out)}
    spec = plotly(at)
    drawn = {}
    for trace in spec["data"]:
        for clause, x in zip(trace.get("customdata", []), trace["x"], strict=True):
            drawn[clause] = x
    assert drawn and all(abs(drawn[c] - (cli[c] or 0)) < 1e-9 for c in drawn)


def test_readiness_drill_down_lists_the_tasks_behind_a_figure(demo_env):
    at = app("pages/3_Readiness.py")
    at.selectbox(key="readiness_figure").set_value("clause 4.1").run()
    formula = next(m.value for m in at.markdown if m.value.startswith("**Clause 4.1"))
    rows = at.dataframe[-1].value
    assert "Sum of effort x completion / sum of effort" in formula
    assert set(rows["task_id"]) and all(t.startswith("P") for t in rows["task_id"])
    figure = formula.rsplit("= ", 1)[1]
    done, effort = rows["done_days"].sum(), rows["effort"].sum()
    assert figure == readiness.percent_text(round(done / effort, 4))


def test_a_gate_link_opens_that_stage(demo_env):
    at = app()
    at.query_params["stage"] = "2"
    at.switch_page("pages/3_Readiness.py").run()
    expanded = [e for e in at.expander if e.proto.expanded]
    assert [e.label.split(" ·")[0] for e in expanded] == ["Phase 2: Extend and integrate"]
    assert len([m for m in at.markdown if "keep the gate shut" in m.value]) == 1, "a closed gate is filled when opened"
    at.session_state["gate_1"] = True
    at.run()
    assert len([m for m in at.markdown if "keep the gate shut" in m.value]) == 2


def test_timeline_page_shows_the_forecast_burnup_gantt_and_critical_path(demo_env, capsys):
    at = app("pages/4_Timeline.py")
    assert main(["forecast", "--json"]) == 0
    forecast = json.loads(capsys.readouterr().out)
    import datetime as dt

    likely = dt.date.fromisoformat(forecast["likely"])
    assert any(f"**{likely:%d %b %Y}**" in m.value for m in at.markdown)
    names = [t.get("name") for t in plotly(at, 0)["data"]]
    assert "Done" in names and [c.key for c in at.get("plotly_chart")] == ["timeline_burnup"]
    at.session_state["timeline_view"] = "Schedule"
    at.run()
    assert [c.key for c in at.get("plotly_chart")] == ["timeline_gantt"]
    gantt = plotly(at, 0)
    assert gantt["data"] and all(len(t.get("y", [])) <= 40 for t in gantt["data"])
    path_tab = next(t.label for t in at.tabs if t.label.startswith("Critical path"))
    at.session_state["timeline_view"] = path_tab
    at.run()
    assert not at.get("plotly_chart") and at.dataframe[0].value["task_id"].tolist()


def test_a_rerun_that_changes_nothing_rereads_and_recomputes_nothing(demo_env, monkeypatch):
    at = app()
    calls = []
    for name in ("load", "history"):
        real = getattr(FileStore, name)
        monkeypatch.setattr(FileStore, name, lambda self, *a, _real=real, _n=name: calls.append(_n) or _real(self, *a))
    real_readiness = readiness.clause_readiness
    monkeypatch.setattr(
        readiness, "clause_readiness", lambda *a, **k: calls.append("clauses") or real_readiness(*a, **k)
    )
    for page in ("app.py", "pages/3_Readiness.py", "pages/4_Timeline.py", "pages/1_Plan.py"):
        at.switch_page(page).run()
    calls.clear()
    for page in ("app.py", "pages/3_Readiness.py", "pages/4_Timeline.py"):
        at.switch_page(page).run()
        assert not at.exception
    assert calls == []
    FileStore(demo_env, [f"P0.0{i}" for i in range(1, 10)]).save(
        {"P0.01": {"notes": "touched"}}, None, by="x", source="cli"
    )
    at.switch_page("app.py").run()
    assert "load" in calls, "a save refreshes the cached state"
