"""The plotly figures: traces, values, labels and colours, on the small hand-computed scenario."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pandas as pd
import plotly.io as pio
import pytest

from rollout import assurance, charts, readiness, schedule, timeline
from rollout.charts.theme import LABEL_WIDTH, LINE_PX
from rollout.plan import Plan
from rollout.stores.files import FileStore
from rollout.values import STATUS_LABELS

SCENARIO = Path(__file__).resolve().parent / "plans" / "readiness"
TODAY = dt.date(2026, 7, 1)
AMBER, RED, GREEN = charts.RAG_COLOURS["amber"], charts.RAG_COLOURS["red"], charts.RAG_COLOURS["green"]


@pytest.fixture(scope="module")
def scenario(small_scenario) -> tuple[Plan, pd.DataFrame, pd.DataFrame]:
    """The small plan, its task table and its history after the saves of saves.yaml."""
    plan, store = small_scenario
    return plan, readiness.task_table(plan, store.load().progress), store.history()


def bars_by_id(fig) -> dict[str, tuple[float, str, str, str]]:
    """clause id -> (x, text, colour, trace name) over every bar trace."""
    return {
        cid: (x, text, trace.marker.color, trace.name)
        for trace in fig.data
        for cid, x, text in zip(trace.customdata, trace.x, trace.text, strict=True)
    }


def test_one_registered_theme_for_every_figure(scenario):
    plan, table, log = scenario
    weekly = timeline.burnup(plan, log, TODAY)
    clauses = readiness.clause_readiness(plan, table)
    figures = [
        charts.build_clause_figure(clauses, edition="2018"),
        charts.build_heatmap_figure(readiness.clause_stage_readiness(plan, table), edition="2018"),
        charts.build_radar_figure(clauses, edition="2018"),
        charts.build_status_figure(readiness.status_counts(plan, table)),
        charts.build_burnup_figure(weekly, timeline.forecast(plan, table, weekly, TODAY)),
        charts.build_gantt_figure(schedule.gantt_table(plan, table, TODAY), TODAY),
    ]
    theme = pio.templates[charts.TEMPLATE].layout
    for fig in figures:
        assert fig.layout.template.layout.font.family == theme.font.family
        assert fig.layout.title.text


def test_each_band_reads_as_a_word_beside_its_colour_not_as_the_colour():
    """Readers who cannot tell the colours apart read the word; 'amber' or 'red' on a bar reads like a code."""
    assert [readiness.band_range(b) for b in ("red", "amber", "green")] == [
        "low: below 50 %",
        "medium: 50 % to 84 %",
        "high: 85 % and above",
    ]
    assert readiness.figure_text(0.6667) == "66 % · medium"
    assert readiness.figure_text(0.996) == "99 % · high"
    assert readiness.figure_text(0.0) == "0 % · low"
    assert readiness.figure_text(None) == "no tasks"
    assert readiness.bands_sentence() == (
        "Red means low readiness (below 50 %), amber medium (50 % to 84 %) and green high (85 % and above)."
    )


def test_clause_bars_are_coloured_and_labelled_by_band(scenario):
    plan, table, _ = scenario
    fig = charts.build_clause_figure(readiness.clause_readiness(plan, table, "2011"), depth=1, edition="2011")
    assert [t.name for t in fig.data] == [
        "low: below 50 %",
        "medium: 50 % to 84 %",
        "high: 85 % and above",
        "no tasks",
    ]
    got = bars_by_id(fig)
    assert set(got) == {"4.1", "4.2", "5.1", "5.2"}
    assert got["4.1"] == (0.6667, "66 % · medium", AMBER, "medium: 50 % to 84 %")
    assert got["4.2"] == (0.0, "0 % · low", RED, "low: below 50 %")
    assert got["5.1"][:2] == (0.0, "0 % · low")  # P3.01 alone: P2.02 is optional
    assert list(fig.layout.yaxis.categoryarray) == [
        "4.1 Management responsibility",
        "4.2 Governance of processes<br>operated by other parties",  # long titles wrap, never cut
        "5.1 General",
        "5.2 Plan new or changed<br>services",
    ]
    assert fig.layout.yaxis.autorange == "reversed"  # tree order, top down
    assert fig.layout.xaxis.title.text == "Readiness"
    amber = fig.data[1]
    assert "2 tasks: P1.01, P1.02" in amber.hovertext[0]


def test_clause_bars_of_2018_show_clauses_without_tasks(scenario):
    plan, table, _ = scenario
    without = dataclasses.replace(plan, tasks={k: t for k, t in plan.tasks.items() if k != "P3.01"})
    fig = charts.build_clause_figure(readiness.clause_readiness(without, table, "2018"), depth=1, edition="2018")
    got = bars_by_id(fig)
    assert got["8.1"] == (0.0, "no tasks", charts.NO_TASKS_COLOUR, "no tasks")  # P1.03 n/a, P2.02 optional
    assert got["5.2"][:3] == (1.0, "100 % · high", GREEN)
    assert "2018 edition" in fig.layout.title.text
    every_level = charts.build_clause_figure(
        readiness.clause_readiness(plan, table, "2018"), depth=None, edition="2018"
    )
    assert len(bars_by_id(every_level)) == 10


def test_heatmap_cells_are_clauses_within_stages(scenario):
    plan, table, _ = scenario
    fig = charts.build_heatmap_figure(readiness.clause_stage_readiness(plan, table, "2011"), depth=1, edition="2011")
    heat = fig.data[0]
    # no clause of this level has a task in Initiation or Post-implementation: no empty column for them
    assert list(heat.x) == ["Phase 1", "Phase 2", "Phase 3"]
    assert [label.split()[0] for label in heat.y] == ["4.1", "4.2", "5.1", "5.2"]
    row = dict(zip(heat.x, heat.z[0], strict=True))
    assert row["Phase 1"] == 0.6667 and pd.isna(row["Phase 2"])
    assert heat.text[0][0] == "66 %<br>medium" and heat.text[0][1] == ""  # two short lines: a larger font
    assert heat.z[3][1] == 0.2 and heat.text[3][1] == "20 %<br>low"  # 5.2 in phase 2: P2.01 alone
    assert "P1.01, P1.02" in heat.customdata[0][0]
    assert [step[0] for step in heat.colorscale] == [0.0, 0.5, 0.5, 0.85, 0.85, 1.0]


def test_radar_axes_are_the_top_level_clauses(scenario):
    plan, table, _ = scenario
    fig = charts.build_radar_figure(readiness.clause_readiness(plan, table, "2011"), edition="2011")
    polar = fig.data[0]
    assert [t.replace("<br>", " ") for t in polar.theta] == [
        "4 General requirements",
        "5 Design and transition",
        "4 General requirements",
    ]
    assert list(polar.r) == [0.4, 0.12, 0.4]  # closed around
    assert list(polar.text) == ["40 %", "12 %", ""]  # one colour: no band word to stand in for it
    assert "40 % · low" in polar.hovertext[0]
    fig_2018 = charts.build_radar_figure(readiness.clause_readiness(plan, table), edition="2018")
    assert [t.split()[0] for t in fig_2018.data[0].theta] == ["4", "5", "8", "4"]


def test_status_bars_stack_task_counts_per_stage(scenario):
    plan, table, _ = scenario
    fig = charts.build_status_figure(readiness.status_counts(plan, table))
    assert [t.name for t in fig.data] == list(STATUS_LABELS.values())
    traces = {t.name: t for t in fig.data}
    assert list(traces["Done"].y) == [1, 2, 0, 0, 0]
    assert list(traces["Not applicable"].y) == [0, 1, 0, 0, 1]
    assert list(traces["Blocked"].x) == ["Initiation", "Phase 1", "Phase 2", "Phase 3", "Post-implementation"]
    assert "P2.01" in traces["Blocked"].hovertext[2]
    assert fig.layout.barmode == "stack" and fig.layout.yaxis.title.text == "Tasks"


def test_burnup_shows_done_ceiling_forecast_and_target(scenario):
    plan, table, log = scenario
    weekly = timeline.burnup(plan, log, TODAY)
    outlook = timeline.forecast(plan, table, weekly, TODAY)
    fig = charts.build_burnup_figure(weekly, outlook)
    traces = {t.name: t for t in fig.data}
    assert list(traces) == [
        "Planned effort",
        "Done",
        "Earliest finish 19 Sep 2026",
        "Likely finish 17 Nov 2026",
        "Target 31 Dec 2026",
    ]  # no latest date: the slowest weeks made no progress, so no range either
    assert list(traces["Done"].y) == [0.0, 0.5, 2.0, 3.0, 3.6, 4.6]
    assert list(traces["Planned effort"].y) == [21.0, 21.0, 21.0, 17.0, 17.0, 16.0, 16.0]
    likely = traces["Likely finish 17 Nov 2026"]
    assert list(likely.y) == [4.6, 16.0] and pd.Timestamp(likely.x[1]) == pd.Timestamp("2026-11-17")
    assert {pd.Timestamp(x) for x in traces["Target 31 Dec 2026"].x} == {pd.Timestamp("2026-12-31")}
    assert fig.layout.title.text == "Done effort against the plan"
    assert fig.layout.title.subtitle.text == "likely finish 17 Nov 2026: on track"
    assert fig.layout.yaxis.title.text == "Effort-days"
    assert charts.burnup_caption(outlook).endswith(
        "The orange lines run from today to the earliest and the likely finish at the pace of the last 8 weeks; "
        "there is no latest finish: the slowest weeks made no progress."
    )


def test_the_burnup_legend_sits_below_a_tall_plot_and_on_no_title(scenario):
    """The committee's burn-up had its legend above the plot: a plot 190 px tall, and on a phone over the title."""
    plan, table, log = scenario
    weekly = timeline.burnup(plan, log, TODAY)
    fig = charts.build_burnup_figure(weekly, timeline.forecast(plan, table, weekly, TODAY))
    legend = fig.layout.template.layout.legend
    assert fig.layout.legend.orientation is None and fig.layout.legend.y is None  # the theme's, left as it is
    assert (legend.orientation, legend.yref, legend.yanchor, legend.y) == ("h", "container", "bottom", 0)
    assert fig.layout.height >= 500


def test_burnup_draws_a_range_only_when_there_is_one_and_its_caption_follows(scenario):
    plan, _, log = scenario
    weekly = timeline.burnup(plan, log, TODAY)
    day = dt.date(2026, 9, 1)
    ranged = timeline.Forecast(
        TODAY, plan.target_date, 3.6, 15.0, (1.0,) * 8, day, day - dt.timedelta(30), day + dt.timedelta(40), None
    )
    fig = charts.build_burnup_figure(weekly, ranged)
    assert [t.name for t in fig.data] == [
        "Planned effort",
        "Done",
        "Range between 02 Aug 2026 and 11 Oct 2026",  # one legend entry for the band and its edges
        "Likely finish 01 Sep 2026",
        "Target 31 Dec 2026",
    ]
    assert "the shaded band spans the earliest to the latest finish" in charts.burnup_caption(ranged)
    floored = dataclasses.replace(ranged, earliest=day, latest=day)  # an operating period decides all three
    assert [t.name for t in charts.build_burnup_figure(weekly, floored).data][2] == "Likely finish 01 Sep 2026"
    assert charts.burnup_caption(floored).endswith(
        "The orange line runs from today to the likely finish at the pace of the last 8 weeks."
    )
    none = timeline.Forecast(TODAY, plan.target_date, 3.6, 15.0, (0.0,) * 8, None, None, None, "no forecast yet: x")
    fig = charts.build_burnup_figure(weekly, none)
    assert [t.name for t in fig.data] == ["Planned effort", "Done", "Target 31 Dec 2026"]
    assert fig.layout.title.subtitle.text == "no forecast yet: x"
    caption = charts.burnup_caption(none)
    assert "orange" not in caption and caption.endswith("no forecast line is drawn (no forecast yet: x).")


def test_gantt_colours_by_status_and_draws_planned_bars_lighter(scenario):
    plan, table, _ = scenario
    fig = charts.build_gantt_figure(schedule.gantt_table(plan, table, TODAY), TODAY)
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {"Done", "In progress", "Blocked", "Not started", "Not applicable", "Today 01 Jul 2026"}
    assert traces["Blocked"].marker.color == charts.STATUS_COLOURS["blocked"]
    bars = [t for t in fig.data if t.type == "bar"]
    opacity = {
        row[1]: alpha for trace in bars for row, alpha in zip(trace.customdata, trace.marker.opacity, strict=True)
    }
    assert opacity["P0.01"] == 1.0 and opacity["P2.02"] == charts.PLANNED_OPACITY
    assert list(fig.layout.yaxis.categoryarray)[-1].startswith("P0.01")  # plotly lists the top bar last
    assert "%{customdata[1]} %{customdata[2]}" in traces["Done"].hovertemplate
    # the dotted line of today is named in the legend, and drawn over every bar
    today = traces["Today 01 Jul 2026"]
    assert today.line.dash == "dot" and {pd.Timestamp(x) for x in today.x} == {pd.Timestamp(TODAY)}
    assert set(today.y) == {fig.layout.yaxis.categoryarray[0], fig.layout.yaxis.categoryarray[-1]}
    assert not fig.layout.yaxis.title.text  # no "Task" title on the labels, which start with the ids


def test_not_applicable_and_not_started_are_told_apart_without_colour(scenario):
    """Two greys were the same to many readers; hatching needs no colour vision at all."""
    plan, table, _ = scenario
    status = {t.name: t.marker for t in charts.build_status_figure(readiness.status_counts(plan, table)).data}
    gantt = {t.name: t.marker for t in charts.build_gantt_figure(schedule.gantt_table(plan, table, TODAY)).data}
    for markers in (status, gantt):
        looks = {name: (m.color, m.pattern.shape or "") for name, m in markers.items()}
        assert len(set(looks.values())) == len(looks), looks
        assert looks["Not applicable"][1] == "/" and looks["Not started"][1] == ""


def test_the_same_clause_reads_the_same_in_the_chart_and_the_table(scenario):
    plan, table, _ = scenario
    clauses = readiness.clause_readiness(plan, table)
    shown = bars_by_id(charts.build_clause_figure(clauses, depth=None, edition="2018"))
    for record in readiness.figure_records(clauses):
        x, text, _, _ = shown[record["id"]]
        assert x == (record["readiness"] or 0.0)
        assert text.startswith(readiness.percent_text(record["readiness"]))
    assert not math.isnan(sum(x for x, *_ in shown.values()))


@pytest.fixture(scope="module")
def demo_figures(bundled_plan, demo_master) -> dict:
    """The clause charts of the demo, every level of the 2018 edition, with each chart's full clause names."""
    loaded = FileStore(demo_master, bundled_plan).load()
    table = readiness.task_table(bundled_plan, loaded.progress)
    clauses = readiness.clause_readiness(bundled_plan, table)
    grid = assurance.source_grid(bundled_plan, loaded.records["assessments"])
    return {
        "bars": charts.build_clause_figure(clauses, depth=None, edition="2018"),
        "heatmap": charts.build_heatmap_figure(
            readiness.clause_stage_readiness(bundled_plan, table), depth=None, edition="2018"
        ),
        "conformity": charts.build_conformity_figure(grid),
        "names": [f"{cid} {title}" for cid, title in zip(clauses["id"], clauses["title"], strict=True)],
        "clauses": clauses,
    }


@pytest.mark.parametrize("chart", ["bars", "heatmap", "conformity"])
def test_clause_names_wrap_onto_lines_a_phone_has_room_for_and_are_never_cut(demo_figures, chart):
    fig = demo_figures[chart]
    labels = list(fig.layout.yaxis.categoryarray) if chart == "bars" else list(fig.data[0].y)
    assert [label.replace("<br>", " ") for label in labels] == demo_figures["names"]
    assert not any("…" in label for label in labels)
    assert max(len(line) for label in labels for line in label.split("<br>")) <= LABEL_WIDTH
    assert sum("<br>" in label for label in labels) > 10  # "8.3.4.2 Management of internal suppliers and ..."
    # no "Clause" axis title: the labels start with the clause numbers, and the title sat on them
    assert not fig.layout.yaxis.title.text
    # rows tall enough for two lines of label each, plus the title and the axis
    assert fig.layout.height >= len(labels) * (2 * LINE_PX + 8) + 140


def test_the_radar_writes_each_main_clause_in_full(demo_figures):
    clauses = demo_figures["clauses"]
    theta = charts.build_radar_figure(clauses, edition="2018").data[0].theta
    top = clauses[clauses["depth"] == 0]
    assert [t.replace("<br>", " ") for t in theta] == [*(top["id"] + " " + top["title"]), theta[0].replace("<br>", " ")]
    assert "7 Support of<br>the service<br>management<br>system" in theta  # narrow: beside the circle on a phone


def test_a_phone_keeps_the_width_for_the_cells(demo_figures):
    heat, conformity = demo_figures["heatmap"], demo_figures["conformity"]
    assert heat.data[0].colorbar.orientation == "h"  # the colour scale below the chart, not beside it
    assert "Post-implementation" not in heat.data[0].x  # no clause has a certification task
    assert list(conformity.data[0].x) == ["Gap<br>analysis", "Internal<br>audit"]  # sources that assessed something


HOSTILE = '<a href="http://evil.example">Sign in again</a> <b>now</b><br>'


def test_plan_text_is_drawn_as_written_never_as_plotly_markup(scenario, bundled_plan):
    """Plotly reads <a href>, <b> and <br> in labels and hovers: a plan's title must stay text."""
    plan, table, _ = scenario
    clauses = readiness.clause_readiness(plan, table).assign(title=HOSTILE)
    by_stage = readiness.clause_stage_readiness(plan, table)
    by_stage = by_stage.assign(title=HOSTILE, stage_name=HOSTILE + by_stage["stage_name"])
    counts = readiness.status_counts(plan, table)
    counts = counts.assign(stage_name=HOSTILE + counts["stage_name"])
    gantt = schedule.gantt_table(plan, table, TODAY).assign(title=HOSTILE, stage_name=HOSTILE)
    grid = assurance.source_grid(bundled_plan, pd.DataFrame(columns=["clause", "source", "result", "on"]))
    figures = [
        charts.build_clause_figure(clauses, edition="2018"),
        charts.build_heatmap_figure(by_stage, edition="2018"),
        charts.build_radar_figure(clauses, edition="2018"),
        charts.build_status_figure(counts),
        charts.build_gantt_figure(gantt, TODAY),
        charts.build_conformity_figure(grid.assign(title=HOSTILE, internal_audit="conforming")),
    ]
    for fig in figures:
        drawn = fig.to_json()
        assert "<a " not in drawn and "<b>" not in drawn and "&lt;a href" in drawn, fig.layout.title.text
