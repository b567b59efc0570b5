"""The Plan, Readiness and Timeline pages: their figures are the core's, and a rerun recomputes nothing."""

from __future__ import annotations

import datetime as dt
import json

from support import app, shown

import ui
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
    assert objectives == [f"**Objective**  \n{ui.plain(bundled_plan.stages[0].objective)}"]
    at.session_state["plan_stage_tab"] = ui.plain(bundled_plan.stages[2].name)  # the label: escaped
    at.run()
    objectives = [m.value for m in at.markdown if m.value.startswith("**Objective**")]
    assert objectives == [f"**Objective**  \n{ui.plain(bundled_plan.stages[2].objective)}"]


def test_plan_page_filters_tasks_by_clause_of_either_edition(demo_env):
    at = app("pages/1_Plan.py")
    at.selectbox(key="plan_clause_2018").set_value("8.2.4").run()
    shown = at.dataframe[0].value
    assert shown["task_id"].tolist() == ["P1.26"] and shown["clauses"].tolist() == ["8.2.4"]  # the catalogue alone
    at.sidebar.segmented_control[0].set_value("2011").run()
    at.selectbox(key="plan_clause_2011").set_value("8.1").run()
    shown = at.dataframe[0].value
    assert set(shown["task_id"]) and all("8.1" in c for c in shown["clauses"])


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
    assert len(history) >= 3 and set(history["by"]) <= {"Tom Okafor", "Priya Natarajan", "Marta Kowalska"}
    assert "Done" in set(history["new"]) and "done" not in set(history["new"])  # statuses in words
    assert set(history["source"]) == {"Updated in the app"} and "Status" in set(history["field"])
    assert not history["at"].str.contains(r"\d-\d\dT").any() and history["at"].str.endswith(" UTC").all()
    assert set(at.dataframe[0].value["kind"]) <= {"SMS", "Project", "Certification"}


def grids(at) -> list:
    """Every data grid the page drew, with the text it writes in an empty cell."""
    return [d.proto.placeholder if d.proto.HasField("placeholder") else "None" for d in at.dataframe]


def test_no_grid_writes_none_in_an_empty_cell(demo_env):
    shown = []
    at = app("pages/1_Plan.py")
    at.session_state["plan_tasks"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    shown += grids(at.run())
    at.query_params["stage"] = "2"
    shown += grids(at.switch_page("pages/3_Readiness.py").run())
    at.session_state["timeline_view"] = "Critical path (18 tasks)"
    shown += grids(at.switch_page("pages/4_Timeline.py").run())
    at.session_state["assurance_clauses"] = True  # the clause table under the heatmap, opened
    for tab in ("Conformity by clause", "Findings (4 open)", "Internal audit coverage"):
        at.session_state["assurance_view"] = tab
        shown += grids(at.switch_page("pages/7_Assurance.py").run())
    assert len(shown) == 8 and set(shown) == {""}


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


def test_readiness_drill_down_ends_on_the_figure_of_the_clause(demo_env, capsys):
    at = app("pages/3_Readiness.py")
    assert main(["readiness", "--json"]) == 0
    cli = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    for clause in ("4.1", "6.1", "8.2.4", "9"):
        at.selectbox(key="readiness_figure").set_value(f"clause {clause}").run()
        formula = next(m.value for m in at.markdown if m.value.startswith(f"**{ui.plain(f'Clause {clause} ')}"))
        rows = at.dataframe[-1].value
        assert "Sum of effort x completion / sum of effort" in formula
        assert rows["task_id"].tolist() == cli[clause]["task_ids"]
        assert formula.rsplit("= ", 1)[1] == readiness.percent_text(cli[clause]["readiness"])  # the figure itself


def test_the_drill_down_follows_an_edition_switch(demo_env, capsys):
    at = app("pages/3_Readiness.py")
    at.selectbox(key="readiness_figure").set_value("clause 4.1").run()
    in_2018 = at.dataframe[-1].value["task_id"].tolist()
    at.sidebar.segmented_control[0].set_value("2011").run()
    assert main(["readiness", "--edition", "2011", "--json"]) == 0
    expected = next(r for r in json.loads(capsys.readouterr().out) if r["id"] == "4.1")
    title = next(m.value for m in at.markdown if m.value.startswith(f"**{ui.plain('Clause 4.1 ')}"))
    assert title.startswith(f"**{ui.plain('Clause 4.1 Management responsibility')}**")
    assert at.dataframe[-1].value["task_id"].tolist() == expected["task_ids"] != in_2018


def test_a_gate_link_opens_that_stage(demo_env):
    at = app()
    at.query_params["stage"] = "2"
    at.switch_page("pages/3_Readiness.py").run()
    expanded = [e for e in at.expander if e.proto.expanded]
    assert [shown(e.label).split(" ·")[0] for e in expanded] == ["Phase 2: Extend and integrate"]
    states = [m.value for m in at.markdown if m.value.startswith("**Gate ")]
    assert len(states) == 1, "a closed gate is filled only when opened"
    at.session_state["gate_3"] = True
    at.run()
    states = [m.value for m in at.markdown if m.value.startswith("**Gate ")]
    assert len(states) == 2 and states[1].startswith("**Gate not met.** Kept shut by 17 mandatory tasks")


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


def test_the_critical_path_names_owner_and_due_and_gives_the_title_room(demo_env):
    at = app("pages/4_Timeline.py")
    at.session_state["timeline_view"] = next(t.label for t in at.tabs if t.label.startswith("Critical path"))
    at.run()
    grid = at.dataframe[0]
    assert grid.value.columns.tolist() == ["task_id", "title", "owner", "due", "status", "remaining"]
    widths = {k: v.get("width") for k, v in json.loads(grid.proto.columns).items()}
    assert widths["title"] > widths["owner"] >= 120  # a whole name next to a long title, at 1280 px


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


def test_a_day_in_a_short_list_is_never_broken_across_lines():
    """A narrow Due column showed '2026-' above '11-21'; a document reference keeps its hyphens."""
    assert ui.cell(dt.date(2026, 11, 21)) == ui.cell("2026-11-21") == "2026\u201111\u201121"
    assert ui.cell("DMS-0042") == "DMS\\-0042"
