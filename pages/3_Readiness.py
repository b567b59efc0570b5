"""Readiness: implementation progress by stage with the gates, clause readiness in either edition, and the
tasks behind every figure."""

import streamlit as st

import ui
from rollout import assurance, gates, readiness, summary, views
from rollout.plan import EDITION_NAMES
from rollout.words import counted

ui.page_setup("Readiness")
plan, edition = ui.plan(), ui.edition()
figures = ui.figures()
tasks, clauses, stages = figures.tasks, figures.clauses[edition], figures.stages
implemented = readiness.implemented_count(clauses)

st.title("Readiness")
st.caption(
    f"Two questions, kept apart. {summary.PROGRESS_HELP} {summary.IMPLEMENTED_HELP} "
    "Select a bar, or pick a figure at the bottom, to see the tasks behind it."
)

st.subheader(f"{summary.PROGRESS} by stage, and the gates")
st.caption(gates.RULE)
focus = st.query_params.get("stage")
for gate, figure in zip(figures.gates, stages.itertuples(), strict=True):
    label = f"{ui.plain(gate.name)} · {readiness.percent_text(figure.readiness)} of its work done · gate {gate.state}"
    detail = st.expander(
        label, expanded=focus == str(gate.stage), icon=ui.GATE_ICONS[gate.state],
        key=f"gate_{gate.stage}", on_change="rerun",
    )  # fmt: skip
    if not detail.open:  # filled only when opened: five hidden data grids would slow the page
        continue
    with detail:
        st.markdown("Exit criteria:\n" + "\n".join(f"- {ui.plain(c)}" for c in gate.criteria))
        st.markdown(f"**Gate {gate.state}.** {ui.plain(gate.sentence())}")
        if gate.missing:
            shut = views.gate_table(gate, tasks)
            ui.grid(ui.paged(shut, f"gate_page_{gate.stage}"), column_config=ui.COLUMNS)

st.subheader(f"Clause readiness, {EDITION_NAMES[edition]}")
conformity = figures.status["conformity"]
st.caption(
    f"{summary.IMPLEMENTED}: {implemented['implemented']} of {implemented['clauses']}. Switch the edition under "
    "Clauses of in the sidebar. Only mandatory SMS tasks count here: project and certification work does not. "
    f"Whether they would pass an audit is the Assurance page's question: {assurance.CONFORMANT.lower()} "
    f"{conformity['conformant']} of {conformity['clauses']}, {counted(conformity['open_major'], 'open major finding')}, "
    f"{conformity['not_assessed']} not assessed."
)
VIEWS = {"bars": "Bars", "heatmap": "Clause by stage", "radar": "Main clauses", "status": "Tasks by status"}
with st.container(horizontal=True):
    view = st.segmented_control(
        "Chart", list(VIEWS), format_func=VIEWS.get, default="bars", required=True, key="readiness_view",
        wrap=True,  # in a row of controls it would scroll sideways on a phone, its last choice out of sight
    )  # fmt: skip
    depth = st.segmented_control(
        "Level", [0, 1, None], format_func={0: "Top level", 1: "Second level", None: "All clauses"}.get,
        default=1, required=True, key="readiness_depth", disabled=view in ("radar", "status"), wrap=True,
    )  # fmt: skip
# one chart at a time: each one drawn costs the page its load time
picked = ui.chart(
    ui.clause_chart(ui.source(), view, edition, depth),
    key=f"readiness_{view}_{edition}_{depth}", on_select="rerun", selection_mode="points",
)  # fmt: skip

st.subheader("The tasks behind a figure")
options = views.figure_choices(figures.overall, stages, clauses)
points = picked.selection.points if view == "bars" else []
if points:
    st.session_state["readiness_figure"] = f"clause {points[0]['customdata']}"
if st.session_state.get("readiness_figure") not in options:  # a clause of the other edition
    st.session_state.pop("readiness_figure", None)
choice = st.selectbox("Figure", list(options), format_func=lambda k: options[k][0], key="readiness_figure")
rows, formula = views.breakdown(tasks, options[choice][1])
st.markdown(f"**{ui.plain(options[choice][0])}**: {formula}")
ui.grid(ui.labelled(ui.paged(rows, "readiness_rows")), column_config=ui.COLUMNS)
