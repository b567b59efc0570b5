"""Timeline: the burn-up with the forecast against the target, the Gantt of a stage, the critical path."""

import streamlit as st

import ui
from rollout import charts, readiness, timeline

ui.page_setup("Timeline")
plan, state, today = ui.plan(), ui.state(), ui.today()
tasks = state.tasks
figures = ui.overview()
weekly, forecast = figures.burnup, figures.forecast

st.title("Timeline")
if forecast.likely is None:
    st.info(forecast.reason.capitalize())
else:
    verdict = "on track" if forecast.on_track else "late"
    st.markdown(
        f"At the pace of the last 8 weeks the remaining {forecast.remaining:g} effort-days are likely done by "
        f"**{ui.date_text(forecast.likely)}** (between {ui.date_text(forecast.earliest)} and "
        f"{ui.date_text(forecast.latest)}): **{verdict}** for the target {ui.date_text(forecast.target)}."
    )
path = ui.computed("critical_path", lambda: readiness.critical_path(plan, tasks))
# one view at a time, each built only when its tab is open: every chart or grid drawn costs the page its load time
burnup_tab, schedule_tab, path_tab = st.tabs(
    ["Burn-up and forecast", "Schedule", f"Critical path ({len(path)} tasks)"], key="timeline_view", on_change="rerun"
)
if burnup_tab.open:
    with burnup_tab:
        ui.chart(
            ui.computed("burnup_chart", lambda: charts.build_burnup_figure(weekly, forecast)), key="timeline_burnup"
        )

if schedule_tab.open:
    with schedule_tab:
        stages = {s.number: s.name for s in plan.stages}
        unfinished = figures.stages[figures.stages["readiness"].fillna(1) < 1]["id"]
        current = int(unfinished.iloc[0]) if len(unfinished) else plan.stages[-1].number
        options = [*stages, None] if len(tasks) <= ui.ALL_STAGES_LIMIT else list(stages)
        stage = st.segmented_control(
            "Stage", options, format_func=lambda n: "All stages" if n is None else stages[n],
            default=current, required=True, key="timeline_stage",
        )  # fmt: skip
        bars = ui.computed("gantt", lambda: timeline.gantt_table(plan, tasks, today))
        chosen = bars if stage is None else bars[bars["stage"] == stage]
        shown = ui.paged(chosen, f"gantt_page_{stage}", size=ui.GANTT_ROWS)
        ui.chart(charts.build_gantt_figure(shown, today), key="timeline_gantt")
        st.caption(
            "Bars drawn lighter have no start or due date yet: they are placed after their dependencies, by effort."
        )

if path_tab.open:
    with path_tab:
        st.caption(
            f"The chain of unfinished tasks, each waiting for the one before, with the most remaining effort: "
            f"{path['remaining'].sum():g} days. A delay on any of them delays the finish."
        )
        st.dataframe(ui.labelled(path), hide_index=True, column_config=ui.COLUMNS)
