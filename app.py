"""Home page: the plan, its stages and tasks."""

import pandas as pd
import streamlit as st

import ui

st.set_page_config(page_title="ISO 20000 Rollout Tracker", layout="wide")
plan = ui.plan()
st.title("ISO 20000 Rollout Tracker")
st.caption(f"{plan.organisation} · certification target {plan.target_date:%d %b %Y}")
with st.expander("Scope"):
    st.write(plan.scope)
for stage in plan.stages:
    tasks = [plan.tasks[t] for t in stage.task_ids]
    with st.expander(f"{stage.name} · {len(tasks)} tasks", expanded=stage.number == 0):
        st.write(stage.objective)
        st.markdown("**Gate**\n" + "\n".join(f"- {g}" for g in stage.gate))
        st.dataframe(
            pd.DataFrame(
                {
                    "Task": [t.id for t in tasks],
                    "Title": [t.title for t in tasks],
                    "Clauses": ["; ".join(t.clauses) for t in tasks],
                    "Deliverable": [t.deliverable for t in tasks],
                    "Role": [t.role for t in tasks],
                    "Effort (days)": [t.effort_days for t in tasks],
                }
            ),
            hide_index=True,
        )
