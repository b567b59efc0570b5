"""Plan: the stages with objectives and gates, the tasks with filters, and one task in full."""

import streamlit as st

import ui
from rollout import readiness, values, views

ui.page_setup("Plan")
plan, state, today, edition = ui.plan(), ui.state(), ui.today(), ui.edition()
tasks = state.tasks

st.title("Plan")
st.caption(
    f"{plan.organisation} · from {plan.start_date:%d %b %Y} to the certification target "
    f"{plan.target_date:%d %b %Y} · {len(plan.tasks)} tasks in {len(plan.stages)} stages"
)
with st.expander("Scope of the service management system (fixed for the whole plan)"):
    st.write(plan.scope)

st.subheader("Stages")
stage_tabs = st.tabs([s.name for s in plan.stages], key="plan_stage_tab", on_change="rerun")
for tab, stage in zip(stage_tabs, plan.stages, strict=True):
    if not tab.open:  # only the open stage is drawn, which keeps the page light
        continue
    rows = tasks[tasks["stage"] == stage.number]
    objective, gate = tab.columns(2)
    objective.markdown(f"**Objective**  \n{stage.objective}")
    objective.caption(f"{len(rows)} tasks · {rows['effort'].sum():g} days of effort")
    gate.markdown("**Gate: the exit criteria**\n" + "\n".join(f"- {g}" for g in stage.gate))

st.subheader("Tasks")
stages = {s.number: s.name for s in plan.stages}
clauses = plan.clauses[edition]
with st.container(horizontal=True, vertical_alignment="bottom"):
    stage = st.selectbox(
        "Stage", [None, *stages], format_func=lambda n: "All stages" if n is None else stages[n], key="plan_stage"
    )
    clause = st.selectbox(
        f"Clause ({edition})", [None, *clauses], key=f"plan_clause_{edition}",
        format_func=lambda c: "All clauses" if c is None else f"{'  ' * clauses[c].depth}{c} {clauses[c].title}",
    )  # fmt: skip
    role = st.selectbox("Role", [None, *sorted(tasks["role"].unique())], format_func=lambda r: r or "All roles")
    owner = st.selectbox(
        "Owner", [None, *sorted(o for o in tasks["owner"].unique() if o)], format_func=lambda o: o or "Anyone"
    )
    statuses = st.multiselect("Status", values.STATUSES, format_func=values.STATUS_LABELS.get)

chosen = views.TaskFilter(stage=stage, statuses=tuple(statuses), owner=owner, role=role, clause=clause, edition=edition)
view = views.filter_tasks(plan, tasks, chosen, today)
page = ui.labelled(ui.paged(view, "plan_page")).assign(
    clauses=lambda f: ["; ".join(plan.clauses_of(plan.tasks[t], edition)) for t in f["task_id"]]
)
picked = st.dataframe(
    page[["task_id", "title", "stage", "clauses", "deliverable", "role", "effort", "status", "owner", "due"]],
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="plan_tasks",
    column_config=ui.COLUMNS | {"clauses": st.column_config.TextColumn(f"Clauses ({edition})")},
)
st.caption(f"{len(view)} of {len(tasks)} tasks. Select a row to see the task in full.")

rows = picked.selection.rows
if rows:
    task = plan.tasks[page.iloc[rows[0]]["task_id"]]
    row = tasks.set_index("task_id").loc[task.id]
    with st.container(border=True):
        st.markdown(f"### {task.id} · {task.title}")
        if task.description:
            st.write(task.description)
        st.markdown(
            f"**Deliverable:** {task.deliverable}  \n**Role:** {task.role} · **Effort:** {task.effort_days:g} days · "
            f"{'mandatory for the gate' if task.mandatory else 'optional'}  \n"
            f"**Status:** {values.STATUS_LABELS[row['status']]}, {row['percent']} % · "
            f"**Owner:** {row['owner'] or 'nobody yet'} · **Evidence:** {row['evidence'] or 'none yet'}"
        )
        left, right = st.columns(2)
        for column, ed in ((left, "2011"), (right, "2018")):
            column.markdown(f"**Clauses, {ui.EDITIONS[ed]}**")
            column.markdown("\n".join(f"- {c} {plan.clauses[ed][c].title}" for c in plan.clauses_of(task, ed)))
        after = [t.id for t in plan.tasks.values() if task.id in t.depends_on]
        status = tasks.set_index("task_id")["status"].map(values.STATUS_LABELS)
        left.markdown("**Depends on**\n" + ("\n".join(f"- {d} ({status[d]})" for d in task.depends_on) or "nothing"))
        right.markdown("**Needed by**\n" + ("\n".join(f"- {d} ({status[d]})" for d in after) or "nothing"))
        changes = ui.history()
        changes = changes[changes["task_id"] == task.id]
        st.markdown(f"**History** ({len(changes)} changes)")
        st.dataframe(
            changes.iloc[::-1][["at", "by", "source", "field", "old", "new"]], hide_index=True, column_config=ui.COLUMNS
        )
        weight = (
            "It is left out of readiness (not applicable)."
            if row["status"] == "not_applicable"
            else f"In readiness it weighs {task.effort_days:g} days, {readiness.percent_text(row['completion'])} done."
        )
        st.caption(weight)
