"""Timeline: the burn-up with the forecast against the target, the schedule of a stage, the critical path."""

import streamlit as st

import ui
from rollout import charts
from rollout.words import counted

ui.page_setup("Timeline")
plan, today = ui.plan(), ui.today()
figures = ui.figures()
forecast, src = figures.forecast, ui.source()

st.title("Timeline")
paragraph = forecast.paragraph(ui.date_text, strong=lambda text: f"**{text}**")
(st.info if forecast.likely is None else st.markdown)(paragraph)
path = ui.critical_path(src)
# one view at a time, each built only when its tab is open: every chart or grid drawn costs the page its load time
burnup_tab, schedule_tab, path_tab = st.tabs(
    ["Burn-up and forecast", "Schedule", f"Critical path ({counted(len(path), 'task')})"],
    key="timeline_view",
    on_change="rerun",
)
if burnup_tab.open:
    with burnup_tab:
        ui.chart(ui.burnup_chart(src), key="timeline_burnup")

if schedule_tab.open:
    with schedule_tab:
        stages = {s.number: s.name for s in plan.stages}
        unfinished = figures.stages[figures.stages["readiness"].fillna(1) < 1]["id"]
        current = int(unfinished.iloc[0]) if len(unfinished) else plan.stages[-1].number
        options = [*stages, None] if len(figures.tasks) <= ui.ALL_STAGES_LIMIT else list(stages)
        stage = st.segmented_control(
            "Stage", options, format_func=lambda n: "All stages" if n is None else ui.plain(stages[n]),
            default=current, required=True, key="timeline_stage",
        )  # fmt: skip
        bars = ui.schedule_bars(src)
        chosen = bars if stage is None else bars[bars["stage"] == stage]
        shown = ui.paged(chosen, f"gantt_page_{stage}", size=ui.GANTT_ROWS)
        ui.chart(charts.build_gantt_figure(shown, today), key="timeline_gantt")
        st.caption(
            "Bars drawn lighter have no start or due date yet: they are placed after their dependencies, by effort, "
            "or by their operating period where that is longer. The dotted line is today."
        )

if path_tab.open:
    with path_tab:
        st.caption(
            f"The chain of unfinished tasks, each waiting for the one before, with the most remaining effort: "
            f"{path['remaining'].sum():g} days. A delay on any of them delays the finish."
        )
        shown = ui.labelled(path)
        ui.grid(
            shown[["task_id", "title", "owner", "due", "status", "remaining"]],
            # widths that share 1280 px between a long title and a whole name, rather than cut the owner short
            column_config=ui.COLUMNS
            | {
                "title": st.column_config.TextColumn("Title", width=300),
                "owner": st.column_config.TextColumn("Owner", width=130),
            },
        )
