"""Readiness: by clause in either edition, by stage, the gates, and the tasks behind every figure."""

import streamlit as st

import ui
from rollout import charts, overview, readiness, views

ui.page_setup("Readiness")
plan, state, today, edition = ui.plan(), ui.state(), ui.today(), ui.edition()
tasks = state.tasks
figures = ui.overview()
clauses, stages = figures.clauses[edition], figures.stages

st.title("Readiness")
st.caption(
    f"Clauses of {ui.EDITIONS[edition]} (switch the edition in the sidebar). A figure is the effort-weighted "
    "completion of the applicable tasks behind it; select a bar or pick a figure below to see those tasks."
)

st.subheader("Stage gates")
focus = st.query_params.get("stage")
for stage, gate, figure in zip(plan.stages, figures.status["phases"], stages.itertuples(), strict=True):
    label = f"{stage.name} · {readiness.percent_text(figure.readiness)} · gate {gate['gate']}"
    detail = st.expander(
        label, expanded=focus == str(stage.number), icon=ui.GATE_ICONS[gate["gate"]],
        key=f"gate_{stage.number}", on_change="rerun",
    )  # fmt: skip
    if not detail.open:  # filled only when opened: five hidden data grids would slow the page
        continue
    with detail:
        st.markdown("Exit criteria:\n" + "\n".join(f"- {g}" for g in stage.gate))
        if gate["gate_met"]:
            st.success("Every mandatory task is done with evidence, or not applicable with a note.")
        else:
            shut = ui.computed("gate_table", lambda gate=gate: overview.gate_table(gate, tasks), stage.number)
            st.markdown(f"**{len(shut)} mandatory task(s) keep the gate shut**")
            st.dataframe(ui.paged(shut, f"gate_page_{stage.number}"), hide_index=True, column_config=ui.COLUMNS)
        for risk in gate["gate_risks"]:
            if risk["task_id"] is None:
                st.warning(f"At risk: {risk['reason']}")

st.subheader("By clause")
VIEWS = {"bars": "Bars", "heatmap": "Clause by stage", "radar": "Radar", "status": "Status by stage"}
with st.container(horizontal=True):
    view = st.segmented_control(
        "Chart", list(VIEWS), format_func=VIEWS.get, default="bars", required=True, key="readiness_view"
    )
    depth = st.segmented_control(
        "Level", [0, 1, None], format_func={0: "Top level", 1: "Second level", None: "All clauses"}.get,
        default=1, required=True, key="readiness_depth", disabled=view in ("radar", "status"),
    )  # fmt: skip
# one chart at a time: each one drawn costs the page its load time
figure = {
    "bars": lambda: charts.build_clause_figure(clauses, depth, edition),
    "heatmap": lambda: charts.build_heatmap_figure(
        readiness.clause_stage_readiness(plan, tasks, edition), depth, edition
    ),
    "radar": lambda: charts.build_radar_figure(clauses, edition),
    "status": lambda: charts.build_status_figure(readiness.status_counts(plan, tasks)),
}[view]
picked = ui.chart(
    ui.computed("readiness_chart", figure, view, edition, depth),
    key=f"readiness_{view}_{edition}_{depth}", on_select="rerun", selection_mode="points",
)  # fmt: skip

st.subheader("The tasks behind a figure")
options = {"overall": ("Overall readiness", figures.overall["task_ids"])}
options |= {f"stage {r.id}": (f"Stage: {r.title}", r.task_ids) for r in stages.itertuples()}
options |= {f"clause {r.id}": (f"Clause {r.id} {r.title}", r.task_ids) for r in clauses.itertuples()}
points = picked.selection.points if view == "bars" else []
if points:
    st.session_state["readiness_figure"] = f"clause {points[0]['customdata']}"
choice = st.selectbox("Figure", list(options), format_func=lambda k: options[k][0], key="readiness_figure")
rows, formula = ui.computed("breakdown", lambda: views.breakdown(tasks, list(options[choice][1])), choice)
st.markdown(f"**{options[choice][0]}**: {formula}")
shown = ui.paged(rows, "readiness_rows")
st.dataframe(ui.labelled(shown), hide_index=True, column_config=ui.COLUMNS)
