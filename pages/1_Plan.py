"""Plan: the stages with objectives and gates, the tasks with filters, and one task in full."""

import streamlit as st

import ui
from rollout import access, values, views
from rollout.plan import EDITION_NAMES, KIND_LABELS
from rollout.words import counted, time_text

ui.page_setup("Plan")
plan, today, edition = ui.plan(), ui.today(), ui.edition()
figures = ui.figures()
tasks = figures.tasks

st.title("Plan")
st.caption(
    f"{ui.plain(plan.organisation)} · {EDITION_NAMES[plan.edition]} · from {plan.start_date:%d %b %Y} to the certification "
    f"target {plan.target_date:%d %b %Y} · {len(plan.tasks)} tasks in {len(plan.stages)} stages"
)
with st.expander("Scope of the service management system (fixed for the whole plan)"):
    st.text(plan.scope)

st.subheader("Stages")
stage_tabs = st.tabs([ui.plain(s.name) for s in plan.stages], key="plan_stage_tab", on_change="rerun")
for tab, stage in zip(stage_tabs, plan.stages, strict=True):
    if not tab.open:  # only the open stage is drawn, which keeps the page light
        continue
    rows = tasks[tasks["stage"] == stage.number]
    objective, gate = tab.columns(2)
    objective.markdown(f"**Objective**  \n{ui.plain(stage.objective)}")
    objective.caption(f"{counted(len(rows), 'task')} · {rows['effort'].sum():g} days of effort")
    gate.markdown("**Gate: the exit criteria**\n" + "\n".join(f"- {ui.plain(g)}" for g in stage.gate))

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
    statuses = st.multiselect(
        "Status", values.STATUSES, format_func=values.STATUS_LABELS.get, placeholder="All statuses"
    )

chosen = views.TaskFilter(stage=stage, statuses=tuple(statuses), owner=owner, role=role, clause=clause, edition=edition)
view = views.filter_tasks(plan, tasks, chosen, today)
page = ui.labelled(ui.paged(view, "plan_page")).assign(
    clauses=lambda f: ["; ".join(plan.clauses_of(plan.tasks[t], edition)) for t in f["task_id"]],
    kind=lambda f: [KIND_LABELS[plan.tasks[t].kind] for t in f["task_id"]],
)
picked = ui.grid(
    page[["task_id", "title", "stage", "kind", "clauses", "deliverable", "role", "effort", "status", "owner", "due"]],
    on_select="rerun",
    selection_mode="single-row",
    key="plan_tasks",
    column_config=ui.COLUMNS
    | {
        "clauses": st.column_config.TextColumn(f"Clauses ({edition})"),
        "kind": st.column_config.TextColumn("Kind"),
    },
)
st.caption(f"{len(view)} of {len(tasks)} tasks. Select a row to see the task in full.")

rows = picked.selection.rows
if rows:
    detail = views.task_detail(plan, tasks, ui.history(), page.iloc[rows[0]]["task_id"])
    task = detail.task
    with st.container(border=True):
        st.markdown(f"### {task.id} · {ui.plain(task.title)}")
        if task.description:
            st.text(task.description)
        verified = (
            f"verified by {ui.plain(detail.verified_by)}, {time_text(detail.verified_at)}"
            if detail.verified_by
            else "not verified"
        )
        st.markdown(
            f"**Deliverable:** {ui.plain(task.deliverable)}  \n**Role:** {ui.plain(task.role)} · "
            f"**Kind:** {KIND_LABELS[task.kind]} · **Effort:** {counted(task.effort_days, 'day')} · "
            f"{'mandatory for the gate' if task.mandatory else 'optional'}"
            + (f" · **Operating period:** at least {task.min_weeks} weeks" if task.min_weeks else "")
            + f"  \n**Status:** {detail.status}, {detail.percent} % · **Owner:** {ui.plain(detail.owner) or 'nobody yet'}"
            f" · **Evidence:** {ui.cell(detail.evidence) or 'none yet'} ({verified})"
        )
        if detail.early:
            st.warning(detail.early)
        columns = st.columns(len(detail.clauses))
        for column, (ed, named) in zip(columns, detail.clauses.items(), strict=True):
            column.markdown(f"**Clauses, {EDITION_NAMES[ed]}**")
            column.markdown("\n".join(f"- {ui.plain(c)} {ui.plain(title)}" for c, title in named) or "none")
        left, right = st.columns(2)
        left.markdown("**Depends on**\n" + ("\n".join(f"- {d} ({s})" for d, s in detail.depends_on) or "nothing"))
        right.markdown("**Needed by**\n" + ("\n".join(f"- {d} ({s})" for d, s in detail.needed_by) or "nothing"))
        st.markdown(f"**History** ({counted(len(detail.history), 'change')})")
        ui.grid(detail.history, column_config=ui.COLUMNS)
        st.caption(detail.weight)
        checkable = detail.status == values.STATUS_LABELS["done"] and not detail.verified_by
        if checkable and access.may_verify(ui.acting(), detail.owner):
            if st.button("Verify the evidence", key=f"verify_{task.id}", icon=":material/verified:"):
                st.session_state["plan_outcome"] = ui.verify([task.id], figures.snapshot.revisions)
                st.rerun()
            st.caption("A second person checks the evidence; the person who set the task done cannot verify it.")
        if "plan_outcome" in st.session_state:
            ui.show_outcome(st.session_state.pop("plan_outcome"))
