"""Overview: where the rollout stands, for the lead every week and the committee every month."""

import streamlit as st

import ui
from rollout import charts, readiness, views

ui.page_setup("Overview")
plan, state, today, edition = ui.plan(), ui.state(), ui.today(), ui.edition()
tasks = state.tasks

st.title("Rollout overview")
st.caption(f"{plan.organisation} · {today:%A %d %B %Y} · certification target {plan.target_date:%d %B %Y}")

if not ui.has_progress() and not st.session_state.get("welcomed"):
    with st.container(border=True):
        st.subheader("Welcome")
        st.write(
            f"The plan holds {len(plan.tasks)} tasks in {len(plan.stages)} stages, following the three-phase "
            "approach of ISO/IEC TR 20000-5. No progress has been recorded yet. How would you like to begin?"
        )
        start, upload, demo = st.columns(3)
        if start.button("Start tracking on this plan", type="primary", width="stretch", icon=":material/edit_note:"):
            st.session_state["welcomed"] = True
            st.switch_page("pages/2_Progress.py")
        if upload.button("Import a spreadsheet", width="stretch", icon=":material/upload_file:"):
            st.switch_page("pages/5_Import.py")
        demo.button("Explore a demo rollout", width="stretch", icon=":material/science:", on_click=ui.enter_demo)
        st.caption("The demo is written to a folder of its own; your data folder stays empty until you save.")

figures = ui.overview()
forecast, summary, late, blocked = figures.forecast, figures.status, figures.overdue, figures.blocked

# (label, value, delta, help, link page, link label, link query)
cards = [
    ("Overall readiness", readiness.percent_text(summary["overall"]), None, ui.HELP["overall"],
     "pages/3_Readiness.py", "By clause", None),
    ("Tasks done", f"{summary['done']} of {summary['tasks']}", None, None, "pages/2_Progress.py", "All tasks", None),
    ("Overdue", len(late), None, None, "pages/2_Progress.py", "Overdue tasks", {"show": views.SHOW["overdue"]}),
    ("Blocked", len(blocked), None, None, "pages/2_Progress.py", "Blocked tasks", {"show": views.SHOW["blocked"]}),
    ("Forecast", ui.date_text(forecast.likely), ui.forecast_delta(forecast), forecast.reason or ui.HELP["forecast"],
     "pages/4_Timeline.py", "Burn-up", None),
]  # fmt: skip
for column, (label, value, delta, help_text, page, link, query) in zip(
    st.columns([1, 1, 1, 1, 1.4]), cards, strict=True
):
    with column.container(border=True):
        st.metric(label, value, delta, help=help_text)
        st.page_link(page, label=link, icon=":material/arrow_forward:", query_params=query)

st.subheader("Stage gates")
for column, stage, phase in zip(st.columns(len(plan.stages)), plan.stages, summary["phases"], strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{stage.name}**  \n{ui.badge(phase['gate'])}")
        missing = phase["gate_missing"]
        st.caption(
            f"{readiness.percent_text(phase['readiness'])} ready · {phase['done']} of {phase['tasks']} done"
            + (f"  \n{len(missing)} mandatory task(s) open: {ui.ids_text(missing)}" if missing else "")
        )
        st.page_link("pages/3_Readiness.py", label="Gate detail", query_params={"stage": str(stage.number)})

chart = ui.computed("overview_chart", lambda: charts.build_clause_figure(figures.clauses[edition], 1, edition), edition)
ui.chart(chart, key="overview_clauses")

st.subheader("Needs attention")
if figures.attention.empty:
    st.caption("Nothing is overdue, blocked or waiting on unfinished dependencies.")
else:
    ui.show_table(figures.attention)

st.subheader("Who owes what")
owners = figures.owners
st.caption(
    "Unfinished tasks per owner"
    + (f"; the {ui.TOP_ROWS} with most overdue of {len(owners)} owners." if len(owners) > ui.TOP_ROWS else ".")
)
ui.show_table(owners.head(ui.TOP_ROWS))
