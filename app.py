"""Overview: where the rollout stands, for the lead every week and the committee every month."""

import streamlit as st

import ui
from rollout import assurance, gates, readiness, summary, timeline, views
from rollout.plan import EDITION_NAMES
from rollout.words import counted

ui.page_setup("Overview")
plan, today, edition = ui.plan(), ui.today(), ui.edition()

st.title("Rollout overview")
st.caption(
    f"{ui.plain(plan.organisation)} · {today:%A %d %B %Y} · {EDITION_NAMES[plan.edition]} · "
    f"certification target {plan.target_date:%d %B %Y}"
)

if not ui.has_progress() and not st.session_state.get("welcomed"):
    with st.container(border=True):
        st.subheader("Welcome")
        st.write(
            f"This tracker follows the rollout of a service management system certified against "
            f"{EDITION_NAMES[plan.edition]}, along the phases of ISO/IEC TR 20000-5 (succeeded by "
            f"ISO/IEC TS 20000-5:2022). The plan holds {len(plan.tasks)} tasks in {len(plan.stages)} stages. "
            "No progress has been recorded yet. How would you like to begin?"
        )
        start, upload, demo = st.columns(3)
        if ui.may_open("pages/2_Progress.py") and start.button(
            "Start tracking on this plan", type="primary", width="stretch", icon=":material/edit_note:"
        ):
            st.session_state["welcomed"] = True
            st.switch_page("pages/2_Progress.py")
        if ui.may_open("pages/5_Import.py") and upload.button(
            "Import a spreadsheet", width="stretch", icon=":material/upload_file:"
        ):
            st.switch_page("pages/5_Import.py")
        demo.button("Explore a demo rollout", width="stretch", icon=":material/science:", on_click=ui.enter_demo)
        st.caption("The demo is written to a folder of its own; your data folder stays empty until you save.")

figures = ui.figures()
forecast, status = figures.forecast, figures.status
caveat = forecast.floor_text(ui.date_text)

# (label, value, delta, help, link page, link label, link query)
cards = [
    (summary.PROGRESS, readiness.percent_text(status["overall"]), None, summary.PROGRESS_HELP,
     "pages/3_Readiness.py", "By stage", None),
    (summary.IMPLEMENTED, summary.implemented_text(status), None, summary.IMPLEMENTED_HELP,
     "pages/3_Readiness.py", "By clause", None),
    (assurance.CONFORMANT, summary.conformant_text(status), None, assurance.CONFORMANT_HELP,
     "pages/7_Assurance.py", "Assurance", None),
    (assurance.STAGE2, "Yes" if status["conformity"]["ready_for_stage2"] else "Not yet",
     counted(status["conformity"]["open_major"], "open major finding") if status["conformity"]["open_major"] else None,
     assurance.STAGE2_RULE, "pages/7_Assurance.py", "Why", None),
    ("Tasks done", summary.done_text(status), None, "Done among the tasks that apply (not applicable ones are left out).",
     "pages/2_Progress.py", "All tasks", None),
    ("Overdue", len(figures.overdue), None, None, "pages/2_Progress.py", "Overdue tasks", {"show": views.SHOW["overdue"]}),
    ("Blocked", len(figures.blocked), None, None, "pages/2_Progress.py", "Blocked tasks", {"show": views.SHOW["blocked"]}),
    ("Likely finish", ui.date_text(forecast.likely) or "no forecast yet", ui.forecast_delta(forecast),
     forecast.reason or f"{timeline.FORECAST_HELP}{f' Here: {caveat}.' if caveat else ''}",
     "pages/4_Timeline.py", "Burn-up", None),
]  # fmt: skip
with st.container(horizontal=True):
    for label, value, delta, help_text, page, link, query in cards:
        with st.container(border=True, width="content"):  # as wide as its label and value: nothing cut
            st.metric(label, value, delta, help=help_text, delta_color="off" if label == assurance.STAGE2 else "normal")
            if ui.may_open(page):
                st.page_link(page, label=link, icon=":material/arrow_forward:", query_params=query)

st.subheader("Stage gates")
st.caption(gates.RULE)
with st.container(horizontal=True):
    for gate, phase in zip(figures.gates, status["phases"], strict=True):
        with st.container(border=True, width=230, height="stretch"):
            st.markdown(f"**{ui.plain(gate.name)}**  \n{ui.badge(gate.state)}")
            signed = figures.decisions[gate.stage]
            st.caption(
                f"{readiness.percent_text(phase['readiness'])} of its work done · {phase['done']} of "
                f"{phase['tasks']} tasks  \n{gate.sentence()}"
                + ("  \nSigned off by the committee." if signed["signed_off"] else "")
                + ("  \nAwaits the committee's decision." if signed["needed"] else "")
            )
            st.page_link("pages/3_Readiness.py", label="Gate detail", query_params={"stage": str(gate.stage)})

ui.chart(ui.clause_chart(ui.source(), "bars", edition, 1), key="overview_clauses")

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
