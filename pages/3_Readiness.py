"""Readiness: by clause in either edition, by stage, the gates, and the tasks behind every figure."""

import streamlit as st

import ui
from rollout import charts, readiness, timeline, values, views

ui.page_setup("Readiness")
plan, state, today, edition = ui.plan(), ui.state(), ui.today(), ui.edition()
tasks = state.tasks
clauses = ui.computed("clauses", lambda: readiness.clause_readiness(plan, tasks, edition), edition)
stages = ui.computed("stages", lambda: readiness.stage_readiness(plan, tasks))

st.title("Readiness")
st.caption(
    f"Clauses of {ui.EDITIONS[edition]} (switch the edition in the sidebar). A figure is the effort-weighted "
    "completion of the applicable tasks behind it; select a bar or pick a figure below to see those tasks."
)

st.subheader("Stage gates")
forecast = ui.computed("forecast", lambda: timeline.forecast(plan, tasks, ui.burnup(), today))
gates = ui.computed("gates", lambda: readiness.gates(plan, tasks, today, forecast))
focus = st.query_params.get("stage")
titles = tasks.set_index("task_id")["title"]
for stage, gate, figure in zip(plan.stages, gates, stages.itertuples(), strict=True):
    label = f"{stage.name} · {readiness.percent_text(figure.readiness)} · gate {gate['gate']}"
    with st.expander(label, expanded=focus == str(stage.number), icon=ui.GATE_ICONS[gate["gate"]]):
        st.markdown("Exit criteria:\n" + "\n".join(f"- {g}" for g in stage.gate))
        if gate["gate_met"]:
            st.success("Every mandatory task is done with evidence, or not applicable with a note.")
        else:
            missing = [{**m, "title": titles[m["task_id"]]} for m in gate["gate_missing"]]
            st.markdown(f"**{len(missing)} mandatory task(s) keep the gate shut**")
            st.dataframe(
                missing, hide_index=True, column_order=["task_id", "title", "reason"], column_config=ui.COLUMNS
            )
        for risk in gate["gate_risks"]:
            st.warning(f"At risk: {risk['task_id'] + ' is ' if risk['task_id'] else ''}{risk['reason']}")

st.subheader("By clause")
depth = st.segmented_control(
    "Level", [0, 1, None], format_func={0: "Top level", 1: "Second level", None: "All clauses"}.get,
    default=1, required=True, key="readiness_depth",
)  # fmt: skip
tab_bars, tab_heat, tab_radar, tab_status = st.tabs(["Bars", "Clause by stage", "Radar", "Status by stage"])
with tab_bars:
    picked = st.plotly_chart(
        charts.build_clause_figure(clauses, depth=depth, edition=edition),
        key=f"readiness_bars_{edition}_{depth}", on_select="rerun", selection_mode="points",
    )  # fmt: skip
with tab_heat:
    grid = ui.computed("heatmap", lambda: readiness.clause_stage_readiness(plan, tasks, edition), edition)
    st.plotly_chart(charts.build_heatmap_figure(grid, depth=depth, edition=edition), key="readiness_heatmap")
with tab_radar:
    st.plotly_chart(charts.build_radar_figure(clauses, edition=edition), key="readiness_radar")
with tab_status:
    counts = ui.computed("status_counts", lambda: readiness.status_counts(plan, tasks))
    st.plotly_chart(charts.build_status_figure(counts), key="readiness_status")

st.subheader("The tasks behind a figure")
options = {"overall": ("Overall readiness", readiness.overall_readiness(tasks)["task_ids"])}
options |= {f"stage {r.id}": (f"Stage: {r.title}", r.task_ids) for r in stages.itertuples()}
options |= {f"clause {r.id}": (f"Clause {r.id} {r.title}", r.task_ids) for r in clauses.itertuples()}
points = picked.selection.points if picked else []
if points:
    st.session_state["readiness_figure"] = f"clause {points[0]['customdata']}"
choice = st.selectbox("Figure", list(options), format_func=lambda k: options[k][0], key="readiness_figure")
rows, formula = views.breakdown(tasks, list(options[choice][1]))
st.markdown(f"**{options[choice][0]}**: {formula}")
st.dataframe(
    rows.assign(status=rows["status"].map(values.STATUS_LABELS)),
    hide_index=True,
    column_config=ui.COLUMNS,
)
